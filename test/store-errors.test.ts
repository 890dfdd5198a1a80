/**
 * Issue 3, errors and the connection's life: `closed` after close(),
 * `unavailable` without IndexedDB, `version_change` when another connection
 * upgrades or deletes the database, `blocked` when an old connection will not
 * let an upgrade through, a database of the same name that is not ours, and a
 * connection the browser closes under the store (reopened once, else
 * `storage`). No promise may hang in any of these.
 */
import { describe, expect, it } from 'vitest';
import { exportEvents, importEvents } from '../src/entries/transfer.js';
import { EventStoreError, mainSessionKey, openEventStore } from '../src/index.js';
import { SCHEMA_VERSION } from '../src/schema.js';
import { factory, uniqueName } from './helpers.js';
import {
  conversation,
  openTestStore,
  rawDelete,
  rawOpen,
  settle,
  tappedFactory,
  within,
} from './store-helpers.js';

const KEY = mainSessionKey('err');

async function expectCode(promise: Promise<unknown>, code: string): Promise<EventStoreError> {
  const outcome = await settle(promise);
  expect(outcome.ok, `expected a rejection with ${code}`).toBe(false);
  const error = (outcome as { error: unknown }).error;
  expect(error).toBeInstanceOf(EventStoreError);
  expect((error as EventStoreError).code).toBe(code);
  return error as EventStoreError;
}

/** Every public call of a store that cannot be used any more. */
function everyCall(store: Awaited<ReturnType<typeof openTestStore>>) {
  const event = conversation(store, KEY)[0]!;
  return {
    append: () => store.append(event),
    record: () => store.record(KEY, 'a', { type: 'message_received', content: 'x' }),
    getEvents: () => store.getEvents(KEY),
    getEventsSince: () => store.getEventsSince(KEY, '2020-01-01T00:00:00Z'),
    getProjection: () => store.getProjection(KEY),
    listSessions: () => store.listSessions(),
    getSummary: () => store.getSummary(KEY),
    listSummaries: () => store.listSummaries(),
    getMessages: () => store.getMessages(KEY),
    deleteSession: () => store.deleteSession(KEY),
    flush: () => store.flush(),
    importEvents: () => importEvents(store, JSON.stringify(event)),
    exportEvents: () => exportEvents(store).getReader().read(),
  };
}

describe('closed', () => {
  it('rejects every call after close() with `closed`, and close() is idempotent', async () => {
    const store = await openTestStore();
    await store.append(conversation(store, KEY));
    const closes: unknown[] = [];
    store.on('close', (v) => closes.push(v));
    await store.close();
    expect(store.closed).toBe(true);
    for (const [name, call] of Object.entries(everyCall(store))) {
      const error = await expectCode(call(), 'closed');
      expect(error.message, name).toContain(store.name);
    }
    await within(store.close());
    expect(closes).toHaveLength(1);
  });

  it('close() lets pending appends finish first', async () => {
    const store = await openTestStore();
    const pending = store.append(conversation(store, KEY));
    await within(store.close());
    expect((await pending).added).toHaveLength(8);
    const again = await openTestStore({ name: store.name });
    expect(await again.getEvents(KEY)).toHaveLength(8);
    await again.close();
  });
});

describe('unavailable', () => {
  it('rejects with `unavailable` when IndexedDB is missing or refuses to open', async () => {
    await expectCode(openEventStore({ name: uniqueName(), indexedDB: undefined }), 'unavailable');
    const refusing = {
      open() {
        throw new DOMException(
          'The user denied permission to access the database.',
          'SecurityError',
        );
      },
    } as unknown as IDBFactory;
    const error = await expectCode(
      openEventStore({ name: uniqueName(), indexedDB: refusing, crossTab: false }),
      'unavailable',
    );
    expect((error.cause as DOMException).name).toBe('SecurityError');
  });
});

describe('version_change', () => {
  it('closes the store with a versionchange event when another connection upgrades the database', async () => {
    const store = await openTestStore();
    await store.append(conversation(store, KEY));
    const seen: string[] = [];
    store.on('versionchange', () => seen.push('versionchange'));
    store.on('close', () => seen.push('close'));
    // Another tab with a newer schema: its open must not be blocked by this store.
    const newer = await within(rawOpen(store.name, SCHEMA_VERSION + 1));
    expect(newer.version).toBe(SCHEMA_VERSION + 1);
    expect(seen).toEqual(['versionchange', 'close']);
    expect(store.closed).toBe(true);
    for (const call of Object.values(everyCall(store))) {
      const error = await expectCode(call(), 'version_change');
      expect(error.message).toMatch(/reopen/);
    }
    // Opening this version of the store on the newer database is refused clearly.
    await expectCode(openTestStore({ name: store.name }), 'version_change');
    newer.close();
    await within(store.close());
  });

  it('a deletion of the database by another tab closes the store too, unblocked', async () => {
    const store = await openTestStore();
    await store.append(conversation(store, KEY));
    const seen: string[] = [];
    store.on('versionchange', () => seen.push('versionchange'));
    await rawDelete(store.name);
    expect(seen).toEqual(['versionchange']);
    await expectCode(store.getEvents(KEY), 'version_change');
  });
});

describe('blocked', () => {
  // An open at the store's schema version never waits for other connections
  // of this release (they are at that version already, or there are none).
  // `blocked` can only happen once a later sessionlog raises the version: this
  // simulates that release with a factory that opens at the next version.
  it('rejects with `blocked` when an old connection holds the database, and never leaks the late connection', async () => {
    const name = uniqueName('blocked');
    const old = await rawOpen(name, SCHEMA_VERSION); // ignores versionchange: never closes
    const real = factory();
    const nextRelease = {
      open: (n: string) => real.open(n, SCHEMA_VERSION + 1),
      deleteDatabase: (n: string) => real.deleteDatabase(n),
    } as unknown as IDBFactory;
    await expectCode(openEventStore({ name, indexedDB: nextRelease, crossTab: false }), 'blocked');
    // The old tab goes away: the queued upgrade completes, and its connection is closed at once.
    old.close();
    await new Promise((r) => setTimeout(r, 100));
    await rawDelete(name);
  });
});

describe('a database of the same name that is not ours', () => {
  it('rejects with a typed error and closes its connection', async () => {
    const name = uniqueName('foreign');
    const foreign = await rawOpen(name, 1, (db) => db.createObjectStore('something-else'));
    foreign.close();
    const outcome = await settle(openEventStore({ name, indexedDB: factory(), crossTab: false }));
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(EventStoreError);
    expect((error as EventStoreError).code).toBe('storage');
    expect((error as EventStoreError).cause).toBeDefined();
    await rawDelete(name);
  });
});

describe('a connection closed under the store', () => {
  it('is reopened once, whether or not the close event fired', async () => {
    const tap = tappedFactory();
    const store = await openTestStore({ indexedDB: tap.factory });
    await store.append(conversation(store, KEY));
    const opens = tap.state.opens;

    // As when site data is cleared: the browser closes the connection and fires `close`.
    const first = tap.connections.at(-1)!;
    first.close();
    first.onclose?.call(first, new Event('close'));
    expect(await within(store.getEvents(KEY))).toHaveLength(8);
    expect(tap.state.opens).toBe(opens + 1);

    // Closed without a close event (Safari loses connections this way): the failed call is retried once.
    const second = tap.connections.at(-1)!;
    expect(second).not.toBe(first);
    second.close();
    const event = await within(
      store.record(KEY, 'a', { type: 'message_received', content: 'again' }),
    );
    expect(tap.state.opens).toBe(opens + 2);
    expect((await store.getEvents(KEY)).map((e) => e.id)).toContain(event.id);
    expect((await store.getSummary(KEY))?.eventCount).toBe(9);
    await store.close();
  });

  it('rejects with `storage` (cause kept) when it cannot be reopened, and nothing hangs', async () => {
    const tap = tappedFactory();
    const store = await openTestStore({ indexedDB: tap.factory });
    await store.append(conversation(store, KEY));
    const db = tap.connections.at(-1)!;
    tap.state.failOpen = true;
    db.close();
    db.onclose?.call(db, new Event('close'));
    const error = await expectCode(store.getEvents(KEY), 'storage');
    expect(error.cause).toBeDefined();
    await expectCode(store.append(conversation(store, KEY, 'a', 1)), 'storage');
    await expectCode(store.listSummaries(), 'storage');
    // Once the browser lets it open again, the store recovers.
    tap.state.failOpen = false;
    expect(await within(store.getEvents(KEY))).toHaveLength(8);
    await store.close();
  });
});
