/**
 * The sync client (sessionlog/sync) end to end in Node: devices are stores on
 * separate fake IndexedDBs, the server is the real handler on PostgreSQL and
 * on PGlite, and the network is a fetch the test can cut.
 */
import { IDBFactory as FakeFactory } from 'fake-indexeddb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../src/event.js';
import { createSyncHandler, type SyncHandler } from '../../src/server/index.js';
import { type EventStore, openEventStore } from '../../src/store.js';
import { createSync, type SyncClient } from '../../src/sync/index.js';
import { BACKENDS, type Backend } from './backends.js';

const DAY = 24 * 60 * 60 * 1000;
let tenantCounter = 0;

interface Device {
  store: EventStore;
  sync: SyncClient;
  online: boolean;
  /** Requests this device's sync sent (for "nothing doubled"). */
  requests: number;
  /** The device's wall clock. */
  now: number;
  close(): Promise<void>;
}

// Generous timeouts: a device is a fake IndexedDB, slow on a loaded machine.
describe.each(BACKENDS)('sync client on $name', { timeout: 120_000 }, ({ open }) => {
  let backend: Backend;
  let handler: SyncHandler;
  let tenant: string;

  beforeAll(async () => {
    backend = await open();
    handler = createSyncHandler({
      db: backend.db,
      tenant: (request) => request.headers.get('authorization')?.replace('Bearer ', ''),
    });
  });
  afterAll(async () => {
    await handler.close();
    await backend.close();
  });
  beforeEach(() => {
    tenant = `user-${tenantCounter++}`;
  });

  async function device(name: string, now = Date.now(), failEvery = 0): Promise<Device> {
    const indexedDB = new FakeFactory() as IDBFactory;
    const self: Device = {
      online: true,
      requests: 0,
      now,
      store: await openEventStore({ name, indexedDB, crossTab: false, now: () => self.now }),
      sync: undefined as unknown as SyncClient,
      async close() {
        await self.sync.stop();
        await self.store.close();
      },
    };
    self.sync = createSync(self.store, {
      url: 'http://sync.test/api/sync',
      headers: { authorization: `Bearer ${tenant}` },
      indexedDB,
      maxBackoffMs: 50,
      fetch: async (input, init) => {
        if (!self.online) throw new TypeError('Failed to fetch');
        self.requests++;
        if (failEvery && self.requests % failEvery === 0) throw new TypeError('connection reset');
        return handler.fetch(new Request(input, init));
      },
    });
    return self;
  }

  const say = (d: Device, session: string, text: string) =>
    d.store.record(session, 'agent', { type: 'message_received', content: text, attachments: [] });
  const ids = async (d: Device) => {
    const all: AnyEvent[] = [];
    for (const key of await d.store.listSessions()) all.push(...(await d.store.getEvents(key)));
    return all.map((e) => e.id).sort();
  };

  it('two devices that wrote offline converge after reconnecting, nothing lost or doubled', async () => {
    const a = await device(`a-${tenant}`);
    const b = await device(`b-${tenant}`);
    try {
      await say(a, 'shared', 'before');
      await a.sync.syncNow();
      await b.sync.syncNow();
      expect(await ids(b)).toEqual(await ids(a));
      a.online = false;
      b.online = false;
      for (let i = 0; i < 5; i++) {
        await say(a, 'shared', `a${i}`);
        await say(b, 'shared', `b${i}`);
        await say(b, `b-only`, `b${i}`);
      }
      await expect(a.sync.syncNow()).rejects.toMatchObject({ code: 'unavailable' });
      expect(a.sync.status.state).toBe('offline');
      a.online = true;
      b.online = true;
      await a.sync.syncNow();
      await b.sync.syncNow();
      await a.sync.syncNow();
      expect(a.sync.status).toMatchObject({ state: 'idle', leader: true });
      expect((await ids(a)).length).toBe(16);
      expect(await ids(a)).toEqual(await ids(b));
      expect(await a.store.getProjection('shared')).toEqual(await b.store.getProjection('shared'));
      const { rows } = await backend.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM sessionlog_events WHERE tenant = $1',
        [tenant],
      );
      expect(rows[0]!.n).toBe(16);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('retries through a flaky network without losing or doubling events', async () => {
    const a = await device(`flaky-a-${tenant}`, Date.now(), 3);
    const b = await device(`flaky-b-${tenant}`);
    try {
      for (let i = 0; i < 30; i++) await say(a, `s${i % 3}`, `m${i}`);
      // Every third request fails: the client backs off and resumes where it stopped.
      for (;;) {
        try {
          await a.sync.syncNow();
          break;
        } catch {
          // a failed attempt; syncNow again as a user would
        }
      }
      await b.sync.syncNow();
      expect(await ids(b)).toEqual(await ids(a));
      expect((await ids(b)).length).toBe(30);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('a device offline for a week: the deleted session is not resurrected, its later messages stay', async () => {
    const start = Date.now() - 8 * DAY;
    const a = await device(`week-a-${tenant}`, start);
    const b = await device(`week-b-${tenant}`, start);
    try {
      await say(a, 'doomed', 'old news');
      await a.sync.syncNow();
      await b.sync.syncNow();
      b.online = false;
      b.now = start + 1 * DAY;
      const beforeDeletion = await say(b, 'doomed', 'written offline before the deletion');
      a.now = start + 3 * DAY;
      await a.store.deleteSession('doomed');
      await a.sync.syncNow();
      b.now = start + 5 * DAY;
      const afterDeletion = await say(b, 'doomed', 'written offline after the deletion');
      b.now = start + 7 * DAY;
      a.now = start + 7 * DAY;
      b.online = true;
      await b.sync.syncNow();
      await a.sync.syncNow();
      const left = (d: Device) => d.store.getEvents('doomed').then((es) => es.map((e) => e.id));
      expect(await left(b)).toEqual([afterDeletion.id]);
      expect(await left(a)).toEqual([afterDeletion.id]);
      expect(await left(a)).not.toContain(beforeDeletion.id);
      // A third device starting from nothing sees the same.
      const c = await device(`week-c-${tenant}`, start + 7 * DAY);
      await c.sync.syncNow();
      expect(await left(c)).toEqual([afterDeletion.id]);
      await c.close();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('holds aside an event from a fast clock, applies the rest, and takes it once the clock caught up', async () => {
    const fast = await device(`fast-${tenant}`, Date.now() + 3 * 60 * 60 * 1000);
    const slow = await device(`slow-${tenant}`);
    const third = await device(`third-${tenant}`);
    try {
      const ahead = await say(fast, 'clock', 'from the future');
      await say(slow, 'clock', 'normal');
      await fast.sync.syncNow();
      await slow.sync.syncNow();
      const held = await slow.sync.held();
      expect(held).toHaveLength(1);
      expect(held[0]).toMatchObject({
        direction: 'pull',
        error: { code: 'validation', field: 'timestamp' },
      });
      expect(slow.sync.status.held).toBe(1);
      expect((await slow.store.getEvents('clock')).map((e) => e.id)).not.toContain(ahead.id);
      // Pulls go on past it.
      const later = await say(third, 'other', 'later');
      await third.sync.syncNow();
      await slow.sync.syncNow();
      expect((await slow.store.getEvents('other')).map((e) => e.id)).toEqual([later.id]);
      slow.now += 3 * 60 * 60 * 1000;
      await slow.sync.syncNow();
      expect(await slow.sync.held()).toEqual([]);
      expect((await slow.store.getEvents('clock')).map((e) => e.id)).toContain(ahead.id);
    } finally {
      await fast.close();
      await slow.close();
      await third.close();
    }
  });
});
