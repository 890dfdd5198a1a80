/**
 * Session summaries: a projection without its message list. The store keeps
 * one per session so that an append costs the same at any session length and a
 * sidebar lists sessions without reading a message.
 */
import { advanceChain, EMPTY_CHAIN, readChain, type StoredChain } from './chain-mark.js';
import { type AnyEvent, isKnownKind, type SessionEvent } from './event.js';
import { deepFreeze } from './freeze.js';
import { isObject } from './json.js';
import {
  addTokens,
  applyRegisters,
  emptyProjection,
  type Projection,
  type RegisterBuilder,
} from './projection.js';

/**
 * What a sidebar shows of a session: its projection less the messages and the
 * tree (their size grows with the session), plus sizes. The head register
 * (`headTarget`) is kept: it is one value.
 */
export interface SessionSummary extends Omit<Projection, 'messages' | 'nodes' | 'head'> {
  /** Distinct events stored for the session, of every kind. */
  readonly eventCount: number;
  /** Size of those events as canonical JSON, in UTF-8 bytes (what export writes, roughly). */
  readonly bytes: number;
}

/**
 * A summary as the `sessions` store keeps it: plus the chain mark
 * (src/chain-mark.ts), which a caller never sees ({@link publicSummary}).
 */
export interface StoredSummary extends SessionSummary {
  readonly chain?: StoredChain;
}

/** The summary a caller gets of a stored one: without the chain mark. */
export function publicSummary(summary: StoredSummary): SessionSummary {
  if (!('chain' in summary)) return summary;
  const { chain: _, ...rest } = summary;
  return Object.isFrozen(summary) ? Object.freeze(rest) : rest;
}

/** The stored summary of a session with no events: an empty chain. */
export function emptyStoredSummary(sessionKey: string): StoredSummary {
  return { ...emptySummary(sessionKey), chain: EMPTY_CHAIN };
}

/** The summary of a session with no events. */
export function emptySummary(sessionKey: string): SessionSummary {
  const { messages: _, nodes: _n, head: _h, ...rest } = emptyProjection(sessionKey);
  return { ...rest, eventCount: 0, bytes: 0 };
}

/** The summary of a full projection (for sessions rebuilt from the log). */
export function summaryOf(
  projection: Projection,
  eventCount: number,
  bytes: number,
): SessionSummary {
  const { messages: _, nodes: _n, head: _h, ...rest } = projection;
  return { ...rest, eventCount, bytes };
}

/**
 * Applies events that are NEW to the session (the caller has checked their ids
 * against the log): counts are incremented, so a duplicate must never get
 * here. One copy of the summary for the whole list: a batch of 10,000 events
 * costs one copy, not 10,000. `sizeOf` gives an event's size in bytes.
 */
export function applyEventsToSummary(
  summary: StoredSummary,
  events: readonly AnyEvent[],
  sizeOf: (event: AnyEvent) => number,
): StoredSummary {
  if (events.length === 0) return summary;
  // A shallow copy: applyRegisters replaces nested records rather than changing them.
  const draft: Mutable<StoredSummary> & RegisterBuilder = {
    ...summary,
    versions: { ...summary.versions },
  };
  const chain = advanceChain(summary.chain, summary.eventCount, events);
  if (chain === undefined) delete draft.chain;
  else draft.chain = chain;
  let tokens: Parameters<typeof addTokens>[0] | undefined;
  for (const event of events) {
    draft.eventCount += 1;
    draft.bytes += sizeOf(event);
    if (!isKnownKind(event.kind)) continue;
    const known = event as SessionEvent;
    applyRegisters(draft, known);
    if (known.kind.type === 'message_received') draft.messageCount += 1;
    else if (known.kind.type === 'agent_response') {
      tokens ??= { ...summary.tokens };
      addTokens(tokens, known.kind);
    }
  }
  if (tokens) draft.tokens = tokens;
  return deepFreeze(draft);
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// Not isSafeInteger: token totals may pass 2^53 (the reference counts in u64).
const isCount = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
const isText = (v: unknown) => typeof v === 'string';
const isVersion = (v: unknown) =>
  v === null || (isObject(v) && isText(v.timestamp) && isText(v.id));

/**
 * The summary of `sessionKey` read from the `sessions` store, or `undefined`
 * when the record does not have its shape (it is corrupt: the store skips it,
 * reports it, and rebuilds it from the log on the next write). A summary
 * written before trees existed has no head register: it reads as "no head
 * set", which is what it was, so the stored layout needs no upgrade. The
 * chain mark is kept; a malformed one is dropped (unknown: the tree is walked).
 */
export function readSummary(value: unknown, sessionKey: string): StoredSummary | undefined {
  if (!isSummaryOf(value, sessionKey)) return undefined;
  const stored = value as StoredSummary;
  const chain = readChain(stored.chain);
  if (
    value.headTarget !== undefined &&
    value.versions.head !== undefined &&
    (chain !== undefined || !('chain' in stored))
  )
    return stored;
  const { chain: _, ...rest } = stored;
  return {
    ...rest,
    headTarget: value.headTarget ?? null,
    versions: { ...value.versions, head: value.versions.head ?? null },
    ...(chain === undefined ? {} : { chain }),
  };
}

function isSummaryOf(value: unknown, sessionKey: string): value is SessionSummary {
  if (!isObject(value) || value.sessionKey !== sessionKey) return false;
  const { tokens, versions } = value;
  return (
    (value.agentId === null || isText(value.agentId)) &&
    isText(value.channel) &&
    isText(value.peerId) &&
    (value.state === 'active' || value.state === 'ended') &&
    isCount(value.messageCount) &&
    isCount(value.eventCount) &&
    isCount(value.bytes) &&
    (value.lastActivity === null || isText(value.lastActivity)) &&
    (value.lastEventId === null || isText(value.lastEventId)) &&
    isObject(value.customState) &&
    isObject(tokens) &&
    ['responses', 'input', 'output', 'cacheRead', 'cacheWrite'].every((k) => isCount(tokens[k])) &&
    isObject(versions) &&
    isVersion(versions.agent) &&
    isVersion(versions.peer) &&
    isVersion(versions.state) &&
    isObject(versions.customState) &&
    Object.values(versions.customState).every(isVersion) &&
    (value.headTarget === undefined || value.headTarget === null || isText(value.headTarget)) &&
    (versions.head === undefined || isVersion(versions.head))
  );
}
