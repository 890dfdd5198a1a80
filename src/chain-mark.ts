/**
 * The chain mark: kept with a session's stored summary (never in the summary
 * a caller gets), it says the session's conversation tree is one chain, every
 * node's parent the node before it in (timestamp, id) order. Then the active
 * path is every node, whatever the head, and a page of it is a page of the
 * `message` index: one read instead of a walk of the tree (src/tree-log.ts).
 *
 * Kept conservatively: a node that sorts before the newest one, or links to
 * anything but the node before it, makes the mark `null` (a tree, walked)
 * for good, unless the summary is rebuilt from the log. Absent (a summary of
 * an earlier release) or counted for another `eventCount` (an earlier
 * release appended without keeping it) means unknown: the tree is walked.
 * No layout change: earlier releases ignore the field.
 */
import { type AnyEvent, compareEvents, isKnownKind } from './event.js';
import { isObject } from './json.js';
import type { Projection } from './projection.js';
import { isNodeKind } from './tree.js';

/** One chain of nodes, as of a summary's `eventCount`. */
export interface ChainMark {
  /** The summary's `eventCount` the mark was kept for: any other count makes it unknown. */
  readonly events: number;
  /** The newest node (the chain's end), or `null` before the first. */
  readonly last: { readonly timestamp: string; readonly id: string } | null;
}

/** A summary's stored mark: a chain, `null` (a tree), or `undefined` (unknown). */
export type StoredChain = ChainMark | null | undefined;

/** The mark of a session with no events: an empty chain. */
export const EMPTY_CHAIN: ChainMark = { events: 0, last: null };

/** Whether `mark`, stored with a summary of `eventCount` events, says the tree is one chain. */
export function isChain(mark: StoredChain, eventCount: number): mark is ChainMark {
  return mark !== undefined && mark !== null && mark.events === eventCount;
}

/**
 * The mark after `events` (new to the session: no duplicates) are added to a
 * session of `eventCount` events marked `mark`; `eventCount + events.length`
 * is the count it is kept for.
 */
export function advanceChain(
  mark: StoredChain,
  eventCount: number,
  events: readonly AnyEvent[],
): StoredChain {
  if (mark === null) return null;
  if (!isChain(mark, eventCount)) return undefined;
  const nodes = events
    .filter((e) => isKnownKind(e.kind) && isNodeKind(e.kind))
    .sort(compareEvents) as Array<AnyEvent & { kind: { parent_id?: string | null } }>;
  let last = mark.last;
  for (const node of nodes) {
    if (last !== null) {
      const link = node.kind.parent_id;
      // Before the end, a root, or a link elsewhere (maybe another branch): a tree.
      if (compareEvents(node, last) <= 0) return null;
      if (link !== undefined && link !== last.id) return null;
    }
    last = { timestamp: node.timestamp, id: node.id };
  }
  return { events: eventCount + events.length, last };
}

/** The exact mark of a projection of `eventCount` events (a summary rebuilt from the log). */
export function chainOf(projection: Projection, eventCount: number): ChainMark | null {
  const nodes = projection.nodes;
  for (let i = 0; i < nodes.length; i++) {
    if (nodes[i]!.parentId !== (i === 0 ? null : nodes[i - 1]!.id)) return null;
  }
  const end = nodes[nodes.length - 1];
  return { events: eventCount, last: end ? { timestamp: end.timestamp, id: end.id } : null };
}

/** A stored mark as read back: a malformed one is unknown (the tree is walked), not an error. */
export function readChain(value: unknown): StoredChain {
  if (value === null) return null;
  if (!isObject(value) || !Number.isInteger(value.events)) return undefined;
  const last = value.last;
  if (last === null) return value as unknown as ChainMark;
  if (isObject(last) && typeof last.timestamp === 'string' && typeof last.id === 'string')
    return value as unknown as ChainMark;
  return undefined;
}
