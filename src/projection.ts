/**
 * The projection (docs/design.md §4): the materialized view of one session that a
 * chat UI renders. It is a pure function of the SET of events: every field is
 * a join-semilattice (a union, a min/max register or a last-writer-wins
 * register versioned by (timestamp, id)), so `mergeProjections(P(A), P(B))`
 * equals `P(A ∪ B)` and delivery order and duplicates never matter.
 * Snapshots are deeply frozen, so a UI can compare them by reference.
 */
import { validationError } from './errors.js';
import {
  type AgentResponse,
  type AnyEvent,
  compareEvents,
  type EventKind,
  isKnownKind,
  type MessageReceived,
  type MessageSent,
  type SessionEvent,
  type ToolResult,
} from './event.js';
import { deepFreeze } from './freeze.js';
import type { JsonValue } from './json.js';
import { freezeProjection, messageListOf, nodeListOf, withLists } from './message-list.js';
import { NodeList } from './node-list.js';
import {
  buildTree,
  mergeSorted,
  type NodeEntry,
  nodeEntryOf,
  resolveHead,
  type TreeNode,
} from './tree.js';

/** The version of a register: the (timestamp, id) of the event that wrote it. */
export interface Version {
  readonly timestamp: string;
  readonly id: string;
}

/** Which way a message went. */
export type MessageDirection = 'inbound' | 'outbound' | 'tool';

/** A message entry: the event that made it, keyed and ordered by (timestamp, id). */
export interface Message {
  /** The id of the event this message comes from. */
  readonly id: string;
  readonly timestamp: string;
  /** `inbound` (message_received), `outbound` (message_sent, agent_response) or `tool` (tool_result). */
  readonly direction: MessageDirection;
  /** The event's kind, with all its fields. */
  readonly kind: MessageReceived | MessageSent | AgentResponse | ToolResult;
}

/** Lifecycle state: last writer wins between session_started and session_ended. */
export type SessionState = 'active' | 'ended';

/** Token totals over the distinct agent_response events of a session. */
export interface TokenTotals {
  readonly responses: number;
  readonly input: number;
  readonly output: number;
  readonly cacheRead: number;
  readonly cacheWrite: number;
}

/** The registers a projection needs to merge with another one. */
export interface ProjectionVersions {
  /** The first event (its agent_id is the session's). */
  readonly agent: Version | null;
  /** The first session_started (its channel and peer are the session's). */
  readonly peer: Version | null;
  /** The last session_started or session_ended. */
  readonly state: Version | null;
  /** Per custom state key, the last state_changed. */
  readonly customState: Readonly<Record<string, Version>>;
  /** The last head_set (absent in summaries stored before trees existed: read as `null`). */
  readonly head?: Version | null;
}

/** The materialized, immutable view of one session. */
export interface Projection {
  readonly sessionKey: string;
  /** agent_id of the first event; `null` while the session has no event. */
  readonly agentId: string | null;
  /** From the first session_started; `"unknown"` if none (as the reference). */
  readonly channel: string;
  /** From the first session_started; `"unknown"` if none (as the reference). */
  readonly peerId: string;
  readonly state: SessionState;
  /** Number of distinct message_received events (as the reference), on every branch. */
  readonly messageCount: number;
  /** Timestamp of the greatest event, or `null`. */
  readonly lastActivity: string | null;
  /** Id of the greatest event, or `null`. */
  readonly lastEventId: string | null;
  /** Messages ordered by (timestamp, id), every branch included (the reference's list). */
  readonly messages: readonly Message[];
  /**
   * The conversation tree: messages and tool calls ordered by (timestamp, id),
   * each with its resolved parent and children. See `activePath` and `siblingsOf`.
   */
  readonly nodes: readonly TreeNode[];
  /** The resolved head node: the `head_set` target once seen, else the newest leaf; `null` without nodes. */
  readonly head: string | null;
  /** The head register: the target of the last `head_set`, seen or not; `null` if none. */
  readonly headTarget: string | null;
  /** Custom state, last writer wins per key. A null-prototype object: any key is data. */
  readonly customState: Readonly<Record<string, JsonValue>>;
  /** Sums over every agent_response, on every branch: what was spent, not what is shown. */
  readonly tokens: TokenTotals;
  readonly versions: ProjectionVersions;
}

/** The "unknown" channel and peer of a session without session_started (the reference's value). */
export const UNKNOWN = 'unknown';

const NO_TOKENS: TokenTotals = { responses: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };

// Null-prototype records: a state key named "__proto__" must stay an ordinary key.
function record<T>(entries?: Iterable<[string, T]>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  if (entries) for (const [k, v] of entries) out[k] = v;
  return out;
}

/** The projection of a session with no events: the bottom of the lattice. */
export function emptyProjection(sessionKey: string): Projection {
  if (typeof sessionKey !== 'string' || sessionKey.length === 0) {
    throw validationError('sessionKey', 'must be a non-empty string');
  }
  return deepFreeze({
    sessionKey,
    agentId: null,
    channel: UNKNOWN,
    peerId: UNKNOWN,
    state: 'active',
    messageCount: 0,
    lastActivity: null,
    lastEventId: null,
    messages: [],
    nodes: [],
    head: null,
    headTarget: null,
    customState: record(),
    tokens: NO_TOKENS,
    versions: { agent: null, peer: null, state: null, customState: record(), head: null },
  } satisfies Projection);
}

function directionOf(kind: EventKind): MessageDirection | null {
  switch (kind.type) {
    case 'message_received':
      return 'inbound';
    case 'message_sent':
    case 'agent_response':
      return 'outbound';
    case 'tool_result':
      return 'tool';
    default:
      return null;
  }
}

/** The message entry an event makes, or `null` for kinds that make none. */
export function messageOf(event: SessionEvent): Message | null {
  const direction = directionOf(event.kind);
  if (direction === null) return null;
  return {
    id: event.id,
    timestamp: event.timestamp,
    direction,
    kind: event.kind as Message['kind'],
  };
}

const isBefore = (a: Version, b: Version | null) => b === null || compareEvents(a, b) < 0;
const isAfter = (a: Version, b: Version | null) => b === null || compareEvents(a, b) > 0;

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** A projection under construction (internal: summaries reuse the register logic). */
export type RegisterBuilder = Mutable<
  Omit<Projection, 'versions' | 'messages' | 'nodes' | 'head'>
> & {
  versions: Mutable<ProjectionVersions>;
};
type Builder = RegisterBuilder & {
  messages: readonly Message[];
  nodes: readonly TreeNode[];
  head: string | null;
};

/** Applies the register effects of one event (everything but the message list). */
export function applyRegisters(p: RegisterBuilder, event: SessionEvent): void {
  const v: Version = { timestamp: event.timestamp, id: event.id };
  if (isBefore(v, p.versions.agent)) {
    p.agentId = event.agent_id;
    p.versions.agent = v;
  }
  if (
    p.lastActivity === null ||
    p.lastEventId === null ||
    isAfter(v, { timestamp: p.lastActivity, id: p.lastEventId })
  ) {
    p.lastActivity = v.timestamp;
    p.lastEventId = v.id;
  }
  const kind = event.kind;
  if (kind.type === 'session_started' || kind.type === 'session_ended') {
    if (isAfter(v, p.versions.state)) {
      p.state = kind.type === 'session_started' ? 'active' : 'ended';
      p.versions.state = v;
    }
    if (kind.type === 'session_started' && isBefore(v, p.versions.peer)) {
      p.channel = kind.channel;
      p.peerId = kind.peer_id;
      p.versions.peer = v;
    }
  } else if (kind.type === 'head_set') {
    if (isAfter(v, p.versions.head ?? null)) {
      p.headTarget = kind.target_id;
      p.versions.head = v;
    }
  } else if (kind.type === 'state_changed') {
    if (isAfter(v, p.versions.customState[kind.key] ?? null)) {
      p.customState = record([...Object.entries(p.customState), [kind.key, kind.value]]);
      p.versions.customState = record([...Object.entries(p.versions.customState), [kind.key, v]]);
    }
  }
}

/** Counts and token totals, derived from the message set (so duplicates never double-count). */
function countMessages(messages: readonly Message[]): {
  messageCount: number;
  tokens: TokenTotals;
} {
  let messageCount = 0;
  const t = { ...NO_TOKENS };
  for (const m of messages) {
    if (m.kind.type === 'message_received') messageCount++;
    else if (m.kind.type === 'agent_response') addTokens(t, m.kind);
  }
  return { messageCount, tokens: t };
}

/** Adds one agent response's usage to token totals. */
export function addTokens(t: Mutable<TokenTotals>, kind: AgentResponse): void {
  t.responses += 1;
  t.input += kind.tokens.input_tokens;
  t.output += kind.tokens.output_tokens;
  t.cacheRead += kind.tokens.cache_read_tokens ?? 0;
  t.cacheWrite += kind.tokens.cache_write_tokens ?? 0;
}

// Index of the first entry not before `v`.
function lowerBound(messages: readonly Version[], v: Version): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareEvents(messages[mid]!, v) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkSession(projection: Projection, event: AnyEvent): void {
  if (event.session_key !== projection.sessionKey) {
    throw validationError(
      'session_key',
      `event ${event.id.slice(0, 12)} belongs to "${event.session_key}", not "${projection.sessionKey}"`,
    );
  }
}

/**
 * Returns the projection with `event` applied: a new frozen snapshot, or the
 * same object when the event changes nothing (a duplicate, an unknown kind).
 * Throws a `validation` error if the event belongs to another session.
 */
export function applyEvent(projection: Projection, event: AnyEvent): Projection {
  checkSession(projection, event);
  if (!isKnownKind(event.kind)) return projection; // kept in the log, ignored here
  const known = event as SessionEvent;
  const message = messageOf(known);
  const node = nodeEntryOf(known);
  const tree = nodeListOf(projection);
  if (node && tree.get(node.id)) return projection; // already applied
  // The messages and nodes stay chunked (message-list.ts, node-list.ts): an append copies a chunk, not all.
  const before = messageListOf(projection);
  const list = message ? before.insert(deepFreeze(message), compareEvents) : before;
  if (message && list === before) return projection; // already applied
  let nodes = tree;
  if (node) {
    const last = tree.last();
    if (!last || compareEvents(last, node) < 0) nodes = tree.append(node);
    else {
      // Out of order: links of later nodes may change, so the tree is derived again.
      const previous = tree.toArray();
      const entries: NodeEntry[] = previous.slice();
      entries.splice(lowerBound(previous, node), 0, node);
      nodes = NodeList.from(deepFreeze(buildTree(entries, previous)));
    }
  }
  const p = withLists(projection, list, nodes) as Builder;
  applyRegisters(p, known);
  if (message) {
    if (message.kind.type === 'message_received') p.messageCount += 1;
    else if (message.kind.type === 'agent_response') {
      const t = { ...projection.tokens };
      addTokens(t, message.kind);
      p.tokens = t;
    }
  }
  const head = nodes.head(p.headTarget);
  if (head !== projection.head) p.head = head;
  if (!message && !node && unchanged(projection, p)) return projection;
  return freezeProjection(p);
}

// Whether applying registers changed nothing (then the projection stays the same object).
function unchanged(before: Projection, after: RegisterBuilder): boolean {
  const keys = Object.keys(after) as Array<keyof RegisterBuilder>;
  const versions = Object.keys(before.versions) as Array<keyof ProjectionVersions>;
  return (
    keys.every((k) => k === 'versions' || before[k] === after[k]) &&
    versions.every((k) => before.versions[k] === after.versions[k])
  );
}

/**
 * The projection of one session's events, in any order, duplicates allowed.
 * Pass `sessionKey` to project an empty list; otherwise all events must share
 * one session key (a `validation` error names the first that does not).
 */
export function project(events: Iterable<AnyEvent>, sessionKey?: string): Projection {
  const list = [...events];
  const key = sessionKey ?? list[0]?.session_key;
  if (key === undefined)
    throw validationError('events', 'cannot project an empty list without a session key');
  const base = emptyProjection(key);
  const seen = new Set<string>();
  const known: SessionEvent[] = [];
  for (const event of list) {
    checkSession(base, event);
    if (isKnownKind(event.kind) && !seen.has(event.id)) {
      seen.add(event.id);
      known.push(event as SessionEvent);
    }
  }
  known.sort(compareEvents);
  const p: Builder = {
    ...base,
    customState: record(),
    versions: { ...base.versions, customState: record() },
    messages: [],
  };
  const messages: Message[] = [];
  const entries: NodeEntry[] = [];
  for (const event of known) {
    applyRegisters(p, event);
    const message = messageOf(event);
    if (message) messages.push(message);
    const node = nodeEntryOf(event);
    if (node) entries.push(node);
  }
  const nodes = buildTree(entries);
  const head = resolveHead(nodes, p.headTarget);
  return deepFreeze({ ...p, messages, nodes, head, ...countMessages(messages) });
}

/** The merged list, reusing `a` or `b` when it already holds everything. */
function mergeLists<T extends Version>(a: readonly T[], b: readonly T[]): readonly T[] {
  const out = mergeSorted(a, b);
  if (out.length === a.length) return a;
  return out.length === b.length ? b : out;
}

function earlier<T>(a: T, av: Version | null, b: T, bv: Version | null): [T, Version | null] {
  return bv !== null && isBefore(bv, av) ? [b, bv] : [a, av];
}

function later<T>(a: T, av: Version | null, b: T, bv: Version | null): [T, Version | null] {
  return bv !== null && isAfter(bv, av) ? [b, bv] : [a, av];
}

/**
 * The join of two projections of the same session: commutative, associative
 * and idempotent, and `mergeProjections(project(A), project(B))` deep-equals
 * `project(A ∪ B)`. Unlike the reference's merge, no message is ever lost.
 * Throws a `validation` error for projections of different sessions.
 */
export function mergeProjections(a: Projection, b: Projection): Projection {
  if (a.sessionKey !== b.sessionKey) {
    throw validationError(
      'sessionKey',
      `cannot merge "${a.sessionKey}" with "${b.sessionKey}": different sessions`,
    );
  }
  if (a === b) return a;
  const messages = mergeLists(a.messages, b.messages);
  const entries = mergeLists(a.nodes, b.nodes);
  // Links depend on the whole node set: re-derived unless one side already had every node.
  const nodes = entries === a.nodes || entries === b.nodes ? entries : buildTree(entries, a.nodes);
  const [headTarget, headV] = later(
    a.headTarget,
    a.versions.head ?? null,
    b.headTarget,
    b.versions.head ?? null,
  );
  const [agentId, agentV] = earlier(a.agentId, a.versions.agent, b.agentId, b.versions.agent);
  const [peer, peerV] = earlier<[string, string]>(
    [a.channel, a.peerId],
    a.versions.peer,
    [b.channel, b.peerId],
    b.versions.peer,
  );
  const [state, stateV] = later(a.state, a.versions.state, b.state, b.versions.state);
  const aLast = a.lastEventId === null ? null : { timestamp: a.lastActivity!, id: a.lastEventId };
  const bLast = b.lastEventId === null ? null : { timestamp: b.lastActivity!, id: b.lastEventId };
  const [, last] = later(null, aLast, null, bLast);
  const customState = record(Object.entries(a.customState));
  const customV = record(Object.entries(a.versions.customState));
  for (const [key, v] of Object.entries(b.versions.customState)) {
    if (isAfter(v, customV[key] ?? null)) {
      customState[key] = b.customState[key] as JsonValue;
      customV[key] = v;
    }
  }
  const merged: Projection = {
    sessionKey: a.sessionKey,
    agentId,
    channel: peer[0],
    peerId: peer[1],
    state,
    ...(messages === a.messages
      ? { messageCount: a.messageCount, tokens: a.tokens }
      : countMessages(messages)),
    lastActivity: last?.timestamp ?? null,
    lastEventId: last?.id ?? null,
    messages,
    nodes,
    head: resolveHead(nodes, headTarget),
    headTarget,
    customState,
    versions: {
      agent: agentV,
      peer: peerV,
      state: stateV,
      customState: customV,
      head: headV,
    },
  };
  return deepFreeze(merged);
}
