/**
 * The Rust reference's JSON shapes (`openclaw_core::events`): its projection
 * form, its event form (id as 32 numbers, chrono timestamps) and serde_json's
 * number and key-order conventions, for export and for conformance checks.
 */
import { validationError } from './errors.js';
import type { AnyEvent } from './event.js';
import { compareCodePoints, isObject, type JsonValue } from './json.js';
import type { Projection, SessionState } from './projection.js';
import { normalizeTimestamp, referenceTimestamp } from './timestamp.js';

/** A message as the reference's projection writes it. */
export type ReferenceMessage =
  | { Inbound: string }
  | { Outbound: string }
  | { Tool: { name: string; result: string } };

/** The reference's projection JSON (field order as the reference writes it). */
export interface ReferenceProjection {
  session_key: string;
  agent_id: string;
  channel: string;
  peer_id: string;
  state: SessionState | 'paused';
  message_count: number;
  /** RFC 3339 in the reference's form (0, 3, 6 or 9 fraction digits), or null for an empty session. */
  last_activity: string | null;
  messages: ReferenceMessage[];
  custom_state: Record<string, JsonValue>;
  /** 32 byte values, or null. */
  last_event_id: number[] | null;
}

/**
 * A number as serde_json writes an f64: the shortest round-trip digits, fixed
 * notation for 1e-5 ≤ |x| < 1e16 (always with a fraction), exponent notation
 * otherwise (`1e-7`, `1e+16`). Integers up to 2^53 are written as integers: JSON.parse
 * cannot tell `100.0` from `100`, so the reference's whole floats below 2^53
 * come back as integers (the one known difference from its bytes).
 */
export function referenceNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) <= 2 ** 53 && !Object.is(x, -0)) return String(x);
  if (x === 0) return '-0.0';
  const [mantissa, exp] = x.toExponential().split('e') as [string, string];
  const e = Number(exp);
  const abs = Math.abs(x);
  if (abs >= 1e-5 && abs < 1e16) {
    const negative = mantissa.startsWith('-');
    const digits = mantissa.replace('-', '').replace('.', '');
    const point = e + 1; // digits before the decimal point
    let text: string;
    if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
    else if (point >= digits.length) text = `${digits}${'0'.repeat(point - digits.length)}.0`;
    else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
    return negative ? `-${text}` : text;
  }
  return `${mantissa}e${e < 0 ? '-' : '+'}${Math.abs(e)}`;
}

/** Compact JSON as serde_json writes a `serde_json::Value`: keys in code point order, serde's numbers. */
export function referenceJson(value: JsonValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string')
    return JSON.stringify(value);
  if (typeof value === 'number') return referenceNumber(value);
  if (Array.isArray(value)) return `[${value.map(referenceJson).join(',')}]`;
  const keys = Object.keys(value).sort(compareCodePoints);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${referenceJson(value[k] as JsonValue)}`).join(',')}}`;
}

/** An id as the reference's `[u8; 32]` (an array of 32 numbers). */
export function idToBytes(id: string): number[] {
  const bytes: number[] = [];
  for (let i = 0; i < 64; i += 2) bytes.push(Number.parseInt(id.slice(i, i + 2), 16));
  return bytes;
}

function toReferenceMessage(message: Projection['messages'][number]): ReferenceMessage {
  const kind = message.kind;
  switch (kind.type) {
    case 'message_received':
      return { Inbound: kind.content };
    case 'message_sent':
    case 'agent_response':
      return { Outbound: kind.content };
    case 'tool_result':
      return { Tool: { name: kind.tool_name, result: referenceJson(kind.result) } };
  }
}

/** The projection in the reference's JSON shape (what its `get_projection` returns). */
export function toReferenceProjection(projection: Projection): ReferenceProjection {
  return {
    session_key: projection.sessionKey,
    agent_id: projection.agentId ?? '',
    channel: projection.channel,
    peer_id: projection.peerId,
    state: projection.state,
    message_count: projection.messageCount,
    last_activity: projection.lastActivity && referenceTimestamp(projection.lastActivity),
    messages: projection.messages.map(toReferenceMessage),
    custom_state: { ...projection.customState },
    last_event_id: projection.lastEventId === null ? null : idToBytes(projection.lastEventId),
  };
}

function field<T>(ok: boolean, value: unknown, path: string, expected: string): T {
  if (!ok) throw validationError(path, `must be ${expected}`);
  return value as T;
}

function parseReferenceMessage(value: unknown, path: string): ReferenceMessage {
  const m = field<Record<string, unknown>>(isObject(value), value, path, 'an object');
  const [tag, ...rest] = Object.keys(m);
  if (rest.length > 0 || tag === undefined)
    throw validationError(path, 'must have exactly one of Inbound, Outbound, Tool');
  if (tag === 'Inbound' || tag === 'Outbound') {
    const text = field<string>(typeof m[tag] === 'string', m[tag], `${path}.${tag}`, 'a string');
    return tag === 'Inbound' ? { Inbound: text } : { Outbound: text };
  }
  if (tag !== 'Tool') throw validationError(`${path}.${tag}`, 'is not Inbound, Outbound or Tool');
  const t = field<Record<string, unknown>>(
    typeof m.Tool === 'object' && m.Tool !== null,
    m.Tool,
    `${path}.Tool`,
    'an object',
  );
  return {
    Tool: {
      name: field<string>(typeof t.name === 'string', t.name, `${path}.Tool.name`, 'a string'),
      result: field<string>(
        typeof t.result === 'string',
        t.result,
        `${path}.Tool.result`,
        'a string',
      ),
    },
  };
}

/**
 * Reads the reference's projection JSON into a checked {@link ReferenceProjection}
 * (timestamps kept in its form). It cannot become a mergeable {@link Projection}:
 * the reference keeps neither the messages' event ids nor register versions.
 */
export function parseReferenceProjection(value: unknown): ReferenceProjection {
  const p = field<Record<string, unknown>>(isObject(value), value, 'projection', 'an object');
  const str = (k: string) => field<string>(typeof p[k] === 'string', p[k], k, 'a string');
  const state = str('state');
  if (state !== 'active' && state !== 'ended' && state !== 'paused')
    throw validationError('state', 'must be active, ended or paused');
  const last = p.last_activity;
  if (last !== null) normalizeTimestamp(last, 'last_activity');
  const id = p.last_event_id;
  if (
    id !== null &&
    !(
      Array.isArray(id) &&
      id.length === 32 &&
      id.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)
    )
  ) {
    throw validationError('last_event_id', 'must be null or 32 byte values');
  }
  const messages = field<unknown[]>(Array.isArray(p.messages), p.messages, 'messages', 'an array');
  const custom = field<Record<string, JsonValue>>(
    isObject(p.custom_state),
    p.custom_state,
    'custom_state',
    'an object',
  );
  return {
    session_key: str('session_key'),
    agent_id: str('agent_id'),
    channel: str('channel'),
    peer_id: str('peer_id'),
    state,
    message_count: field<number>(
      Number.isSafeInteger(p.message_count) && (p.message_count as number) >= 0,
      p.message_count,
      'message_count',
      'a non-negative integer',
    ),
    last_activity: last as string | null,
    messages: messages.map((m, i) => parseReferenceMessage(m, `messages[${i}]`)),
    custom_state: custom,
    last_event_id: id as number[] | null,
  };
}

/**
 * One event as the reference's compact JSON line: id as 32 numbers, its
 * timestamp form, no origin, serde's field order, key order and numbers.
 * Events of this library then carry ids the reference did not compute: they
 * read back as reference events, unverifiable.
 */
export function toReferenceEventJson(event: AnyEvent): string {
  const kind = Object.entries(event.kind)
    .map(
      ([k, v]) =>
        `${JSON.stringify(k)}:${k === 'type' || typeof v !== 'object' || v === null ? referenceJson(v as JsonValue) : recordJson(k, v as JsonValue)}`,
    )
    .join(',');
  return `{"id":[${idToBytes(event.id).join(',')}],"session_key":${JSON.stringify(event.session_key)},"agent_id":${JSON.stringify(event.agent_id)},"timestamp":"${referenceTimestamp(event.timestamp)}","kind":{${kind}}}`;
}

// Attachments and token usage are Rust structs: their fields keep declaration order.
function recordJson(key: string, value: JsonValue): string {
  if (key === 'attachments' && Array.isArray(value)) {
    return `[${value
      .map(
        (a) =>
          `{${Object.entries(a as Record<string, JsonValue>)
            .map(([k, v]) => `${JSON.stringify(k)}:${referenceJson(v)}`)
            .join(',')}}`,
      )
      .join(',')}]`;
  }
  if (key === 'tokens') {
    return `{${Object.entries(value as Record<string, JsonValue>)
      .map(([k, v]) => `${JSON.stringify(k)}:${referenceJson(v)}`)
      .join(',')}}`;
  }
  return referenceJson(value);
}
