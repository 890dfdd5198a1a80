/**
 * Session summaries: a projection without its message list. The store keeps
 * one per session so that an append costs the same at any session length and a
 * sidebar lists sessions without reading a message.
 */
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

/** What a sidebar shows of a session: its projection less the messages, plus sizes. */
export interface SessionSummary extends Omit<Projection, 'messages'> {
  /** Distinct events stored for the session, of every kind. */
  readonly eventCount: number;
  /** Size of those events as canonical JSON, in UTF-8 bytes (what export writes, roughly). */
  readonly bytes: number;
}

/** The summary of a session with no events. */
export function emptySummary(sessionKey: string): SessionSummary {
  const { messages: _, ...rest } = emptyProjection(sessionKey);
  return { ...rest, eventCount: 0, bytes: 0 };
}

/** The summary of a full projection (for sessions rebuilt from the log). */
export function summaryOf(
  projection: Projection,
  eventCount: number,
  bytes: number,
): SessionSummary {
  const { messages: _, ...rest } = projection;
  return { ...rest, eventCount, bytes };
}

/**
 * Applies events that are NEW to the session (the caller has checked their ids
 * against the log): counts are incremented, so a duplicate must never get
 * here. One copy of the summary for the whole list: a batch of 10,000 events
 * costs one copy, not 10,000. `sizeOf` gives an event's size in bytes.
 */
export function applyEventsToSummary(
  summary: SessionSummary,
  events: readonly AnyEvent[],
  sizeOf: (event: AnyEvent) => number,
): SessionSummary {
  if (events.length === 0) return summary;
  // A shallow copy: applyRegisters replaces nested records rather than changing them.
  const draft: Mutable<SessionSummary> & RegisterBuilder = {
    ...summary,
    versions: { ...summary.versions },
  };
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
 * Whether a record read from the `sessions` store has the shape of the
 * summary of `sessionKey`. A record that does not is corrupt: the store skips
 * it, reports it, and rebuilds it from the log on the next write.
 */
export function isSummaryOf(value: unknown, sessionKey: string): value is SessionSummary {
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
    Object.values(versions.customState).every(isVersion)
  );
}
