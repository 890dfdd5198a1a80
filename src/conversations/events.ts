/**
 * Turns a conversation plan into events with deterministic ids: the same
 * export always gives the same events (same origin, agent, timestamps and
 * links), so importing it twice adds nothing.
 *
 * Timestamps come from the export, made strictly increasing along each path
 * (a node gets at least its parent's time + 1 ns, and the session start's):
 * a parent always sorts before its child, as the tree needs.
 */
import type { HybridClock } from '../clock.js';
import { createEvent, type EventKindInput, type SessionEvent } from '../event.js';
import { formatTimestamp } from '../timestamp.js';
import type { ConversationPlan } from './plan.js';

/** Replica id of imported events: fixed, so ids depend on the export only. */
export const IMPORT_ORIGIN_PREFIX = 'import:';

/** The events of one conversation: session start, title, nodes in plan order, head. */
export function planEvents(
  plan: ConversationPlan,
  sessionKey: string,
  agentId: string,
  format: string,
  clock: HybridClock,
): SessionEvent[] {
  const origin = `${IMPORT_ORIGIN_PREFIX}${format}`;
  const firstTime = plan.nodes.find((n) => n.time !== undefined)?.time;
  const start = plan.created ?? (firstTime !== undefined ? firstTime - 1n : 0n);
  const make = (kind: EventKindInput, ns: bigint) =>
    createEvent(sessionKey, agentId, kind, {
      clock,
      origin,
      timestamp: formatTimestamp(ns),
    }) as SessionEvent;
  const events: SessionEvent[] = [
    make({ type: 'session_started', channel: format, peer_id: 'user' }, start),
  ];
  if (plan.title)
    events.push(make({ type: 'state_changed', key: 'title', value: plan.title }, start));
  // The last event made for each export id, and its time.
  const made = new Map<string, { id: string; ns: bigint }>();
  let previous: { id: string; ns: bigint } | undefined;
  let latest = start;
  for (const node of plan.nodes) {
    const linked =
      node.parent === null || node.parent === undefined ? undefined : made.get(node.parent);
    // An explicit link to something not imported (skipped, malformed): the previous node.
    const parent = node.parent === null ? undefined : (linked ?? previous);
    const floor = (parent?.ns ?? start) + 1n;
    const ns = node.time !== undefined && node.time > floor ? node.time : floor;
    const event = make(
      { ...node.kind, parent_id: parent ? parent.id : null } as EventKindInput,
      ns,
    );
    events.push(event);
    previous = { id: event.id, ns };
    made.set(node.source, previous);
    if (ns > latest) latest = ns;
  }
  const head = plan.head === undefined ? undefined : made.get(plan.head);
  if (head) events.push(make({ type: 'head_set', target_id: head.id }, latest + 1n));
  return events;
}
