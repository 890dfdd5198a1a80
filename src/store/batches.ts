/** Small operations on a batch of events that several parts of the store apply. */
import type { HybridClock } from '../clock.js';
import type { AnyEvent } from '../event.js';

/** Events grouped by session, in order. */
export function groupBySession(events: readonly AnyEvent[]): Map<string, AnyEvent[]> {
  const groups = new Map<string, AnyEvent[]>();
  for (const e of events) {
    const list = groups.get(e.session_key);
    if (list) list.push(e);
    else groups.set(e.session_key, [e]);
  }
  return groups;
}

/**
 * Makes `clock` observe the latest timestamp of `events`, so what this tab
 * records next sorts after them (normalized timestamps sort as text).
 */
export function observeLatest(clock: HybridClock, events: readonly AnyEvent[]): void {
  let latest = '';
  for (const e of events) if (e.timestamp > latest) latest = e.timestamp;
  if (latest) clock.observe(latest);
}
