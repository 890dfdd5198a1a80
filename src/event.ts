/**
 * The event model (docs/design.md §1): the eight kinds of the Rust reference, their
 * validation, and creating, parsing and verifying events. Events are plain
 * JSON with the reference's snake_case field names, so one shape crosses
 * IndexedDB, BroadcastChannel, export files and servers.
 */
import { defaultClock, type HybridClock } from './clock.js';
import { type EventStoreError, validationError } from './errors.js';
import { deepFreeze } from './freeze.js';
import { bytesToHex, computeEventId, EVENT_ID_PATTERN, randomOrigin } from './ids.js';
import {
  canonicalJson,
  checkWellFormed,
  defineField,
  isObject,
  type JsonValue,
  toJsonValue,
  utf8Length,
} from './json.js';
import { normalizeTimestamp } from './timestamp.js';

/** Metadata of an attachment (the content itself is not stored in events). */
export interface AttachmentMeta {
  kind: string;
  mime_type: string | null;
  size: number | null;
}

/** Token usage of one agent response. */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
}

/** A session began on a channel with a peer. */
export interface SessionStarted {
  type: 'session_started';
  channel: string;
  peer_id: string;
}
/**
 * Where a message-carrying event hangs in the conversation tree (DESIGN §8).
 * Absent: the event follows the previous node in (timestamp, id) order, the
 * reference's linear log. `null`: the event is a root (a first message, or an
 * edit of one). An id: that event is the parent, even if not seen yet.
 */
export interface TreeLink {
  parent_id?: string | null;
}

/** Reasoning text the model showed. */
export interface ReasoningPart {
  type: 'reasoning';
  text: string;
}
/** A span of the message's text, placed among the other parts (the full text stays in `content`). */
export interface TextPart {
  type: 'text';
  text: string;
}
/** A source the answer cites: a URL, a document, or both. */
export interface SourcePart {
  type: 'source';
  source_id?: string;
  url?: string;
  title?: string;
  media_type?: string;
  filename?: string;
}
/** A file by reference (a URL: `https:`, `blob:`, `data:`…); its bytes are never in the event. */
export interface FilePart {
  type: 'file';
  media_type: string;
  url: string;
  filename?: string;
  size?: number;
}
/** Structured data an app attaches to a message (a chart, a form, a status). */
export interface DataPart {
  type: 'data';
  name: string;
  /** Any JSON value (validated when the event is made; typed `unknown` as the AI SDK types it). */
  data: unknown;
  data_id?: string;
}
/** A part of a type this version does not know: kept as written, ignored. */
export interface UnknownPart {
  type: string;
  [field: string]: JsonValue;
}
/**
 * Content that is not plain text, in order. Unknown part types and unknown
 * fields of known parts are kept as written (forward compatibility).
 */
export type MessagePart = ReasoningPart | TextPart | SourcePart | FilePart | DataPart;

/** The user (peer) sent a message. */
export interface MessageReceived extends TreeLink {
  type: 'message_received';
  content: string;
  attachments: AttachmentMeta[];
  parts?: MessagePart[];
}
/** A message went out to the peer. */
export interface MessageSent extends TreeLink {
  type: 'message_sent';
  content: string;
  message_id: string;
  parts?: MessagePart[];
}
/** The agent called a tool. `call_id` pairs it with its result. */
export interface ToolCalled extends TreeLink {
  type: 'tool_called';
  tool_name: string;
  params: JsonValue;
  call_id?: string;
  /** The UI's fields of the call that the event does not model (approval, title…), as given. */
  meta?: { [key: string]: JsonValue };
}
/** A tool returned. `call_id` names the call it answers. */
export interface ToolResult extends TreeLink {
  type: 'tool_result';
  tool_name: string;
  result: JsonValue;
  success: boolean;
  call_id?: string;
  /** The UI's fields of the result that the event does not model, as given. */
  meta?: { [key: string]: JsonValue };
}
/** The model answered, with its token usage. */
export interface AgentResponse extends TreeLink {
  type: 'agent_response';
  content: string;
  model: string;
  tokens: TokenUsage;
  parts?: MessagePart[];
}
/** The session ended. */
export interface SessionEnded {
  type: 'session_ended';
  reason: string;
}
/** A custom state key was set. */
export interface StateChanged {
  type: 'state_changed';
  key: string;
  value: JsonValue;
}

/**
 * The head of the conversation tree moved to `target_id` (a branch switch).
 * Not a reference kind: reference-format export leaves it out.
 */
export interface HeadSet {
  type: 'head_set';
  target_id: string;
}

/** The eight kinds of the reference plus this library's `head_set`, tagged by `type`. */
export type EventKind =
  | SessionStarted
  | MessageReceived
  | MessageSent
  | ToolCalled
  | ToolResult
  | AgentResponse
  | SessionEnded
  | StateChanged
  | HeadSet;

/** The `type` tags of the known kinds. */
export type EventType = EventKind['type'];

/**
 * A kind this version does not know (written by a newer version, say). It is
 * stored and passed on unchanged, and ignored by projections.
 */
export interface UnknownKind {
  type: string;
  [field: string]: JsonValue;
}

/** What callers pass to `createEvent`: optional members get their defaults. */
export type EventKindInput =
  | SessionStarted
  | (Omit<MessageReceived, 'attachments'> & {
      attachments?: Array<{ kind: string; mime_type?: string | null; size?: number | null }>;
    })
  | MessageSent
  | ToolCalled
  | ToolResult
  | (Omit<AgentResponse, 'tokens'> & {
      tokens: {
        input_tokens: number;
        output_tokens: number;
        cache_read_tokens?: number | null;
        cache_write_tokens?: number | null;
      };
    })
  | SessionEnded
  | StateChanged
  | HeadSet;

/**
 * One immutable event. `timestamp` is always normalized (9 fraction digits);
 * `id` is 64 lowercase hex characters.
 */
export interface SessionEvent<K extends EventKind | UnknownKind = EventKind> {
  id: string;
  session_key: string;
  agent_id: string;
  timestamp: string;
  /** The replica that made the event; `"reference"` marks an id made by the Rust reference. */
  origin?: string;
  kind: K;
}

/** An event as read from storage, another tab or a file: its kind may be one this version does not know. */
export type AnyEvent = SessionEvent<EventKind | UnknownKind>;

/** The `origin` given to events whose id the Rust reference computed: such ids cannot be re-verified. */
export const REFERENCE_ORIGIN = 'reference';
/** Largest accepted event: its canonical JSON, in UTF-8 bytes (1 MiB). */
export const MAX_EVENT_BYTES = 1024 * 1024;
/** Longest accepted session key, in UTF-16 code units. */
export const MAX_SESSION_KEY_LENGTH = 1024;
/** Longest accepted agent id or origin, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 256;
/** Longest accepted `call_id`, in UTF-16 code units (providers use ~40). */
export const MAX_CALL_ID_LENGTH = 256;

/** The `type` tags of the reference's eight kinds, in its declaration order. */
export const EVENT_TYPES: readonly EventType[] = [
  'session_started',
  'message_received',
  'message_sent',
  'tool_called',
  'tool_result',
  'agent_response',
  'session_ended',
  'state_changed',
];
/** The `type` tags of the kinds this library adds (the reference cannot hold them). */
export const EXTENSION_TYPES: readonly EventType[] = ['head_set'];
const REFERENCE_KINDS = new Set<string>(EVENT_TYPES);
// Counts (sizes, tokens) are u64 in the reference; JSON numbers are exact up to 2^53.
const MAX_COUNT = 2 ** 53;
const UNKNOWN_TYPE_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** Whether `kind` is one this version knows (the reference's eight, or `head_set`). */
export function isKnownKind(kind: EventKind | UnknownKind): kind is EventKind {
  return KIND_FIELDS.has(kind.type);
}

/** Whether `kind` is one this library adds to the reference's (`head_set`): its format cannot hold them. */
export function isExtensionKind(kind: EventKind | UnknownKind): boolean {
  return KIND_FIELDS.has(kind.type) && !REFERENCE_KINDS.has(kind.type);
}

type Fields = Record<string, unknown>;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value}`;
}

/** The error of a value of the wrong type: `<path>: must be <what>, got <its type>`. */
function wrongType(path: string, what: string, value: unknown): EventStoreError {
  return validationError(path, `must be ${what}, got ${typeName(value)}`);
}

/** The path of `key` inside `field` (the event's top level is `''`). */
const at = (field: string, key: string) => (field ? `${field}.${key}` : key);

function asRecord(value: unknown, field: string): Fields {
  if (!isObject(value)) throw wrongType(field, 'an object', value);
  return value;
}

function str(
  record: Fields,
  key: string,
  field: string,
  opts: { nonEmpty?: boolean; max?: number } = {},
): string {
  const value = record[key];
  const path = at(field, key);
  if (value === undefined) throw validationError(path, 'is missing');
  if (typeof value !== 'string') throw wrongType(path, 'a string', value);
  if (opts.nonEmpty && value.length === 0) throw validationError(path, 'must not be empty');
  if (opts.max !== undefined && value.length > opts.max)
    throw validationError(path, `is longer than ${opts.max} characters`);
  checkWellFormed(value, path);
  return value;
}

function count(value: unknown, path: string, nullable: boolean): number | null {
  if (value === undefined || value === null) {
    if (nullable) return null;
    throw validationError(path, 'is missing');
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_COUNT) {
    throw validationError(
      path,
      `must be a non-negative integer, got ${typeof value === 'number' ? value : typeName(value)}`,
    );
  }
  return value;
}

function json(record: Fields, key: string, field: string): JsonValue {
  if (!(key in record) || record[key] === undefined)
    throw validationError(`${field}.${key}`, 'is missing');
  return toJsonValue(record[key], `${field}.${key}`);
}

/**
 * The fields of `record` outside `known`. Strict (what this program writes):
 * each is an error, a typo caught early. Lenient (what storage, other tabs
 * and files hold): each is kept as JSON, hashed with the rest and ignored,
 * so a newer version's fields never make an event look corrupt.
 */
function extras(
  record: Fields,
  known: readonly string[],
  field: string,
  lenient: boolean,
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(record)) {
    if (known.includes(key)) continue;
    const path = at(field, key);
    if (!lenient) throw validationError(path, 'is not a known field');
    checkWellFormed(key, path);
    defineField(out, key, toJsonValue(record[key], path));
  }
  return out;
}

/** A known object with its extras: known fields first (their order is the reference's JSON order). */
function withExtras<T extends object>(known: T, extra: Record<string, JsonValue>): T {
  for (const key of Object.keys(extra)) defineField(known, key, extra[key]);
  return known;
}

/** An optional string field: absent (or undefined) stays absent. */
function optStr(
  record: Fields,
  key: string,
  field: string,
  opts: { nonEmpty?: boolean; max?: number } = {},
): string | undefined {
  return record[key] === undefined ? undefined : str(record, key, field, opts);
}

/** Sets `key` on `target` unless the value is absent, so absent fields stay omitted (and ids unchanged). */
function put<T extends object>(target: T, key: string, value: unknown): T {
  if (value !== undefined) (target as Fields)[key] = value;
  return target;
}

/** An event id field (`parent_id`, `target_id`); `nullable`: absent or `null` is kept as such. */
function eventId(value: unknown, path: string, nullable: boolean): string | null | undefined {
  if (nullable && (value === undefined || value === null)) return value;
  if (typeof value !== 'string' || !EVENT_ID_PATTERN.test(value)) {
    throw validationError(
      path,
      `must be an event id (64 lowercase hex characters)${nullable ? ' or null' : ''}, got ${typeof value === 'string' ? `"${value.slice(0, 70)}"` : typeName(value)}`,
    );
  }
  return value;
}

// A Map, not an object literal: a type named "constructor" must not find Object's.
const PART_FIELDS = new Map<string, readonly string[]>([
  ['reasoning', ['type', 'text']],
  ['text', ['type', 'text']],
  ['source', ['type', 'source_id', 'url', 'title', 'media_type', 'filename']],
  ['file', ['type', 'media_type', 'url', 'filename', 'size']],
  ['data', ['type', 'name', 'data', 'data_id']],
]);

function parsePart(value: unknown, path: string, lenient: boolean): MessagePart | UnknownPart {
  const p = asRecord(value, path);
  const type = p.type;
  if (typeof type !== 'string') throw wrongType(`${path}.type`, 'a string', type);
  const fields = PART_FIELDS.get(type);
  if (!fields) {
    if (!lenient) {
      throw validationError(
        `${path}.type`,
        `"${type.slice(0, 64)}" is not one of ${[...PART_FIELDS.keys()].join(', ')}`,
      );
    }
    if (!UNKNOWN_TYPE_PATTERN.test(type))
      throw validationError(`${path}.type`, 'must be snake_case, at most 64 characters');
    return toJsonValue(p, path) as UnknownPart;
  }
  const extra = extras(p, fields, path, lenient);
  let part: MessagePart;
  switch (type) {
    case 'reasoning':
    case 'text':
      part = { type, text: str(p, 'text', path) };
      break;
    case 'source': {
      const source: SourcePart = { type };
      for (const key of fields.slice(1)) put(source, key, optStr(p, key, path));
      if (source.url === undefined && source.source_id === undefined)
        throw validationError(`${path}.url`, 'is missing (a source needs a url or a source_id)');
      part = source;
      break;
    }
    case 'file': {
      const file: FilePart = {
        type,
        media_type: str(p, 'media_type', path, { nonEmpty: true }),
        url: str(p, 'url', path, { nonEmpty: true }),
      };
      put(file, 'filename', optStr(p, 'filename', path));
      if (p.size !== undefined) file.size = count(p.size, `${path}.size`, false) as number;
      part = file;
      break;
    }
    default: {
      const data: DataPart = {
        type: 'data',
        name: str(p, 'name', path, { nonEmpty: true }),
        data: json(p, 'data', path),
      };
      put(data, 'data_id', optStr(p, 'data_id', path, { nonEmpty: true }));
      part = data;
    }
  }
  return withExtras(part, extra);
}

function parts(list: unknown, lenient: boolean): Array<MessagePart | UnknownPart> | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list)) throw wrongType('kind.parts', 'an array', list);
  const out: Array<MessagePart | UnknownPart> = [];
  // A for loop: a sparse array's holes must be errors, not skipped.
  for (let i = 0; i < list.length; i++) out.push(parsePart(list[i], `kind.parts[${i}]`, lenient));
  return out;
}

function attachments(list: unknown, lenient: boolean): AttachmentMeta[] {
  if (!Array.isArray(list)) throw wrongType('kind.attachments', 'an array', list);
  return list.map((item, i): AttachmentMeta => {
    const path = `kind.attachments[${i}]`;
    const a = asRecord(item, path);
    const more = extras(a, ['kind', 'mime_type', 'size'], path, lenient);
    const mime = a.mime_type ?? null;
    if (mime !== null && typeof mime !== 'string')
      throw wrongType(`${path}.mime_type`, 'a string or null', mime);
    if (mime !== null) checkWellFormed(mime, `${path}.mime_type`);
    return withExtras(
      { kind: str(a, 'kind', path), mime_type: mime, size: count(a.size, `${path}.size`, true) },
      more,
    );
  });
}

const TOKEN_FIELDS = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_write_tokens'];

function tokens(value: unknown, lenient: boolean): TokenUsage {
  const t = asRecord(value, 'kind.tokens');
  const more = extras(t, TOKEN_FIELDS, 'kind.tokens', lenient);
  const out: Fields = {};
  // The two cache counts (the last two) may be null.
  TOKEN_FIELDS.forEach((key, i) => {
    out[key] = count(t[key], `kind.tokens.${key}`, i > 1);
  });
  return withExtras(out as unknown as TokenUsage, more);
}

/**
 * The fields of each known kind after `type`, in the reference's JSON order
 * (the normal form's order, and the order they are checked in).
 */
const KIND_FIELDS = new Map<string, readonly string[]>([
  ['session_started', ['channel', 'peer_id']],
  ['message_received', ['content', 'attachments', 'parent_id', 'parts']],
  ['message_sent', ['content', 'message_id', 'parent_id', 'parts']],
  ['tool_called', ['tool_name', 'params', 'parent_id', 'call_id', 'meta']],
  ['tool_result', ['tool_name', 'result', 'success', 'parent_id', 'call_id', 'meta']],
  ['agent_response', ['content', 'model', 'tokens', 'parent_id', 'parts']],
  ['session_ended', ['reason']],
  ['state_changed', ['key', 'value']],
  ['head_set', ['target_id']],
]);

type FieldReader = (k: Fields, key: string, lenient: boolean) => unknown;
const jsonField: FieldReader = (k, key) => json(k, key, 'kind');

/** How a kind's field is checked and normalized; a field not named here is a required string. */
const READERS: Record<string, FieldReader> = {
  params: jsonField,
  result: jsonField,
  value: jsonField,
  success: (k, key) => {
    if (typeof k[key] !== 'boolean') throw wrongType(`kind.${key}`, 'a boolean', k[key]);
    return k[key];
  },
  parent_id: (k) => eventId(k.parent_id, 'kind.parent_id', true),
  target_id: (k) => eventId(k.target_id, 'kind.target_id', false),
  call_id: (k) => optStr(k, 'call_id', 'kind', { nonEmpty: true, max: MAX_CALL_ID_LENGTH }),
  // A tool kind's optional `meta`: a JSON object.
  meta: (k) =>
    k.meta === undefined ? undefined : toJsonValue(asRecord(k.meta, 'kind.meta'), 'kind.meta'),
  parts: (k, _, lenient) => parts(k.parts, lenient),
  attachments: (k, _, lenient) => attachments(k.attachments ?? [], lenient),
  tokens: (k, _, lenient) => tokens(k.tokens, lenient),
};

/**
 * Validates a kind and returns it in normal form (defaults filled in, a
 * private copy). `lenient` keeps unknown kinds and unknown fields (see
 * {@link extras}); strict rejects them.
 */
function parseKind(value: unknown, lenient: boolean): EventKind | UnknownKind {
  const k = asRecord(value, 'kind');
  const type = k.type;
  if (typeof type !== 'string') throw wrongType('kind.type', 'a string', type);
  const fields = KIND_FIELDS.get(type);
  if (!fields) {
    if (!lenient) {
      throw validationError(
        'kind.type',
        `"${type.slice(0, 64)}" is not one of ${[...KIND_FIELDS.keys()].join(', ')}`,
      );
    }
    if (!UNKNOWN_TYPE_PATTERN.test(type))
      throw validationError('kind.type', 'must be snake_case, at most 64 characters');
    return toJsonValue(k, 'kind') as UnknownKind;
  }
  const extra = extras(k, ['type', ...fields], 'kind', lenient);
  const out: Fields = { type };
  for (const key of fields)
    put(out, key, (READERS[key] ?? ((k, key) => str(k, key, 'kind')))(k, key, lenient));
  // The table above is the kinds' shapes: the normal form is an EventKind by construction.
  return withExtras(out as unknown as EventKind, extra);
}

const STAMP_PLACEHOLDER = '0000-00-00T00:00:00.000000000Z';

interface ContentInput {
  session_key: unknown;
  agent_id: unknown;
  /** A timestamp to validate, or a function that stamps one once the rest is valid. */
  timestamp: unknown;
  origin: unknown;
}

/** Validates the hashed fields of an event around an already parsed kind. */
function parseContent(
  input: ContentInput,
  kind: EventKind | UnknownKind,
  clock: HybridClock,
): Omit<AnyEvent, 'id'> {
  const top = input as unknown as Fields;
  const session_key = str(top, 'session_key', '', { nonEmpty: true, max: MAX_SESSION_KEY_LENGTH });
  const agent_id = str(top, 'agent_id', '', { max: MAX_NAME_LENGTH });
  const origin =
    input.origin === undefined
      ? undefined
      : str(top, 'origin', '', { nonEmpty: true, max: MAX_NAME_LENGTH });
  let timestamp: string | undefined;
  if (typeof input.timestamp !== 'function') {
    timestamp = normalizeTimestamp(input.timestamp);
    clock.check(timestamp);
  }
  const build = (timestamp: string): Omit<AnyEvent, 'id'> =>
    origin === undefined
      ? { session_key, agent_id, timestamp, kind }
      : { session_key, agent_id, timestamp, origin, kind };
  // Every normalized timestamp has the same length, so the size is known before the
  // clock is read: an oversized event must not advance the clock either.
  const size = utf8Length(canonicalJson(build(timestamp ?? STAMP_PLACEHOLDER)));
  if (size > MAX_EVENT_BYTES) {
    throw validationError(
      'kind',
      `event is ${size} bytes of JSON, more than the limit of ${MAX_EVENT_BYTES}`,
    );
  }
  return build(timestamp ?? (input.timestamp as () => string)());
}

/** Options of {@link createEvent}. */
export interface CreateEventOptions {
  /** Clock that stamps the event; the module's default clock otherwise. A store passes its own. */
  clock?: HybridClock;
  /** Replica id hashed into the event; a random id per page load otherwise. */
  origin?: string;
  /** An explicit timestamp (RFC 3339) instead of the clock's; the clock still observes it. */
  timestamp?: string;
}

const pageOrigin = randomOrigin();

// Events made by createEvent are deep-frozen, so they stay valid: parseEvent and
// the store's append skip re-validating and re-hashing them.
const minted = new WeakSet<object>();

/**
 * Creates a complete event: validates the kind, stamps it with the clock,
 * sets the origin and computes the content-addressed id. The event is deeply
 * frozen (immutable), which lets the store trust it without hashing it again. Throws a
 * `validation` error naming the offending field.
 */
export function createEvent<K extends EventKindInput>(
  sessionKey: string,
  agentId: string,
  kind: K,
  options: CreateEventOptions = {},
): SessionEvent<Extract<EventKind, { type: K['type'] }>> {
  const clock = options.clock ?? defaultClock;
  // Everything is validated before the clock advances, so bad input leaves no trace.
  const parsedKind = parseKind(kind, false);
  const input = {
    session_key: sessionKey,
    agent_id: agentId,
    origin: options.origin ?? pageOrigin,
  };
  const content = parseContent(
    { ...input, timestamp: options.timestamp ?? (() => clock.next()) },
    parsedKind,
    clock,
  );
  if (options.timestamp !== undefined) clock.observe(content.timestamp);
  const event = deepFreeze({ id: computeEventId(content), ...content });
  minted.add(event);
  return event as SessionEvent<Extract<EventKind, { type: K['type'] }>>;
}

/** Options of {@link parseEvent}. */
export interface ParseEventOptions {
  /**
   * Accept kinds this version does not know (they are kept and ignored by
   * projections). The store sets this for what it reads from storage and other
   * tabs; by default an unknown `type` is a `validation` error.
   */
  allowUnknownKinds?: boolean;
  /** Clock whose skew bound the timestamp must respect; the default clock otherwise. */
  clock?: HybridClock;
}

function parseId(value: unknown): { id: string; reference: boolean } {
  if (typeof value === 'string') {
    const id = value.toLowerCase();
    if (!EVENT_ID_PATTERN.test(id)) throw validationError('id', 'must be 64 hex characters');
    return { id, reference: false };
  }
  if (Array.isArray(value)) {
    if (value.length !== 32)
      throw validationError('id', `byte array must have 32 entries, got ${value.length}`);
    // A for loop, not forEach: forEach skips the holes of a sparse array (structured clone keeps them).
    for (let i = 0; i < value.length; i++) {
      const b: unknown = value[i];
      if (typeof b !== 'number' || !Number.isInteger(b) || b < 0 || b > 255) {
        throw validationError(`id[${i}]`, 'must be an integer from 0 to 255');
      }
    }
    return { id: bytesToHex(value as number[]), reference: true };
  }
  throw wrongType('id', 'a hex string or an array of 32 bytes', value);
}

/**
 * Validates an untrusted value and returns a typed event in normal form.
 * Accepts this library's form and the reference's (id as 32 numbers,
 * timestamps with 0–9 fraction digits); a reference id is kept as given and
 * the event gets `origin: "reference"`. An id that does not match the content
 * is rejected. Throws `EventStoreError` (`validation`) naming the field.
 */
export function parseEvent(
  value: unknown,
  options?: ParseEventOptions & { allowUnknownKinds?: false },
): SessionEvent;
export function parseEvent(value: unknown, options: ParseEventOptions): AnyEvent;
export function parseEvent(value: unknown, options: ParseEventOptions = {}): AnyEvent {
  if (typeof value === 'object' && value !== null && minted.has(value)) return value as AnyEvent;
  const record = asRecord(value, 'event');
  extras(record, ['id', 'session_key', 'agent_id', 'timestamp', 'origin', 'kind'], '', false);
  const { id, reference } = parseId(record.id);
  if (reference && record.origin !== undefined) {
    throw validationError('origin', 'must be absent when the id is a reference byte array');
  }
  const kind = parseKind(record.kind, options.allowUnknownKinds ?? false);
  const origin = reference ? REFERENCE_ORIGIN : record.origin;
  const content = parseContent(
    {
      session_key: record.session_key,
      agent_id: record.agent_id,
      timestamp: record.timestamp,
      origin,
    },
    kind,
    options.clock ?? defaultClock,
  );
  if (content.origin !== REFERENCE_ORIGIN && computeEventId(content) !== id) {
    throw validationError('id', 'does not match the event content (corrupt or forged event)');
  }
  return { id, ...content };
}

/**
 * Whether the event's id is the hash of its content. Always `false` for
 * events made by the Rust reference (`origin: "reference"`): it hashed a Rust
 * debug string that cannot be rebuilt from JSON, so those ids are trusted as
 * given, never verified.
 */
export function verifyEvent(event: AnyEvent): boolean {
  if (event.origin === REFERENCE_ORIGIN) return false;
  try {
    return computeEventId(event) === event.id;
  } catch {
    return false;
  }
}

/** Total order of events: by normalized timestamp, then by id. */
export function compareEvents(
  a: { timestamp: string; id: string },
  b: { timestamp: string; id: string },
): number {
  if (a.timestamp !== b.timestamp) return a.timestamp < b.timestamp ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The peer types of the reference's session keys. */
export type PeerType = 'dm' | 'group' | 'channel' | 'thread';

/** Parts of a channel session key. */
export interface SessionKeyParts {
  agent: string;
  channel: string;
  account: string;
  peerType: PeerType;
  peer: string;
}

function keyPart(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw validationError(field, 'must be a non-empty string');
  if (value.includes(':'))
    throw validationError(field, 'must not contain ":" (it separates key parts)');
  checkWellFormed(value, field);
  return value;
}

/** The reference's channel session key: `agent:<agent>:channel:<channel>:account:<account>:<peerType>:<peer>`. */
export function sessionKey(parts: SessionKeyParts): string {
  const { agent, channel, account, peerType, peer } = parts;
  if (!['dm', 'group', 'channel', 'thread'].includes(peerType)) {
    throw validationError('peerType', 'must be one of dm, group, channel, thread');
  }
  return `agent:${keyPart(agent, 'agent')}:channel:${keyPart(channel, 'channel')}:account:${keyPart(account, 'account')}:${peerType}:${keyPart(peer, 'peer')}`;
}

/** The reference's main session key of an agent: `agent:<agent>:main`. */
export function mainSessionKey(agent: string): string {
  return `agent:${keyPart(agent, 'agent')}:main`;
}
