/**
 * The long-poll waiters after `close`: a poll woken by the close re-arms before
 * its abort arrives, and must not start a LISTEN again (its pool client would
 * never be released, and a pool's `end` waits for it: the sync e2e's teardown
 * hung on that once).
 */
import { describe, expect, it } from 'vitest';
import type { SqlDatabase } from '../../src/server/database.js';
import { LiveWaiters } from '../../src/server/live.js';

/** A database whose `listen` only counts its listeners. */
function countingDb() {
  const counts = { listening: 0, stopped: 0 };
  const db = {
    listen: async () => {
      counts.listening++;
      return async () => {
        counts.stopped++;
      };
    },
  } as unknown as SqlDatabase;
  return { db, counts };
}

describe('LiveWaiters', () => {
  it('wakes every waiter on close, and never listens again after it', async () => {
    const { db, counts } = countingDb();
    const live = new LiveWaiters(db);
    const first = await live.arm('t');
    await live.arm('u');
    expect(counts).toEqual({ listening: 1, stopped: 0 });
    await live.close();
    await first.woken; // woken by the close
    expect(counts).toEqual({ listening: 1, stopped: 1 });
    const late = await live.arm('t');
    late.cancel();
    expect(counts).toEqual({ listening: 1, stopped: 1 });
  });
});
