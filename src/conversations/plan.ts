/**
 * What an exported conversation becomes, before it is events: a title, a
 * start time, and nodes in an order where parents come first, each naming its
 * parent by the export's own id. The vendor readers (chatgpt.ts, claude.ts)
 * produce plans; events.ts turns a plan into events with deterministic ids.
 */
import { validationError } from '../errors.js';
import type { EventKindInput } from '../event.js';
import { parseTimestamp } from '../timestamp.js';

/** One node of a conversation: a message or tool step, as the export has it. */
export interface PlannedNode {
  /** The export's id of the message this node comes from (several nodes may share one). */
  readonly source: string;
  /** The export's id of the parent message; `null` for a root; `undefined`: the previous node. */
  readonly parent: string | null | undefined;
  /** When the export says it was made (ns since the epoch), if it says. */
  readonly time: bigint | undefined;
  /** The kind, without `parent_id` (the plan's links become event ids later). */
  readonly kind: EventKindInput;
}

/** One conversation of an export, ready to become events. */
export interface ConversationPlan {
  /** The export's id of the conversation. */
  readonly id: string;
  readonly title: string;
  /** When the conversation started (ns), if the export says. */
  readonly created: bigint | undefined;
  readonly nodes: readonly PlannedNode[];
  /** The export's id of the message the conversation shows last (ChatGPT's `current_node`). */
  readonly head: string | undefined;
}

/** A field reader that names the path of what it reads in its errors. */
export type Fields = Record<string, unknown>;

/** The value as an object, or a `validation` error naming `path`. */
export function object(value: unknown, path: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw validationError(path, 'must be an object');
  return value as Fields;
}

/** The value as an array, or a `validation` error naming `path`. */
export function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw validationError(path, 'must be an array');
  return value;
}

/** An optional string (absent or null: `undefined`). */
export function optString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validationError(path, 'must be a string');
  return value;
}

/** A required non-empty string. */
export function idString(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '')
    throw validationError(path, 'must be a non-empty string');
  return value;
}

/** Unix seconds (a float, as ChatGPT writes them) as ns; absent or null: `undefined`. */
export function secondsTime(value: unknown, path: string): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 253402300799)
    throw validationError(path, 'must be Unix seconds');
  // Microseconds: what the float carries reliably, so an import is deterministic.
  return BigInt(Math.round(value * 1e6)) * 1000n;
}

const OFFSET = /^(.*?)(?:Z|([+-])(\d\d):(\d\d))$/i;

/** An ISO 8601 / RFC 3339 time with `Z` or an offset, as ns; absent or null: `undefined`. */
export function isoTime(value: unknown, path: string): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw validationError(path, 'must be an ISO 8601 string');
  const m = OFFSET.exec(value.trim());
  if (!m) throw validationError(path, `"${value.slice(0, 40)}" has no time zone`);
  const utc = parseTimestamp(`${m[1]}Z`, path);
  if (m[2] === undefined) return utc;
  const offset = BigInt(Number(m[3]) * 3600 + Number(m[4]) * 60) * 1_000_000_000n;
  return m[2] === '+' ? utc - offset : utc + offset;
}
