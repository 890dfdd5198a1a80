/**
 * Events whose BLAKE2b id this connection has checked (on a read, or on the
 * append that wrote them). A record read again is compared with the event it
 * was, field by field: the same record skips the hash; any difference (a
 * record damaged or forged since) is checked in full again, so nothing
 * corrupt gets past it.
 */
import type { AnyEvent } from '../event.js';
import type { EventRecord } from '../schema.js';

/** Events remembered at most; the oldest go first. */
const CAPACITY = 50_000;

/** Whether two JSON-like values are the same, deeply (same keys, same types, same values). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const key of keys) if (!Object.hasOwn(y, key) || !sameJson(x[key], y[key])) return false;
  return true;
}

/** The events checked on this connection, by id. */
export class VerifiedEvents {
  readonly #events = new Map<string, AnyEvent>();

  /** Remembers events that passed the full check. */
  remember(events: readonly AnyEvent[]): void {
    for (const event of events) {
      this.#events.delete(event.id); // re-inserted last: the newest stay
      this.#events.set(event.id, event);
    }
    while (this.#events.size > CAPACITY) {
      this.#events.delete(this.#events.keys().next().value as string);
    }
  }

  /**
   * The event of `record` if it is exactly a checked event (its storage
   * fields `seq` and `msg` aside), as a new object; else `undefined`.
   */
  match(record: EventRecord): AnyEvent | undefined {
    const id = (record as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return undefined;
    const known = this.#events.get(id);
    if (!known) return undefined;
    const { seq: _seq, msg: _msg, ...event } = record;
    return sameJson(event, known) ? (event as AnyEvent) : undefined;
  }
}
