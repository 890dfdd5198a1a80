/**
 * Issue 3, deleteSession: events and summary removed in one transaction, a
 * tombstone that keeps older events from resurrecting the session (append or
 * import), and newer events that start it anew.
 */
import { describe, expect, it } from 'vitest';
import { importEvents } from '../src/entries/transfer.js';
import { createEvent, EventStoreError, mainSessionKey } from '../src/index.js';
import type { TombstoneRecord } from '../src/schema.js';
import {
  conversation,
  openTestStore,
  rawAll,
  rawMeta,
  settle,
  tappedFactory,
  waitFor,
  withPatched,
} from './store-helpers.js';

const KEY = mainSessionKey('doomed');
const OTHER = mainSessionKey('survivor');

describe('deleteSession', () => {
  it('removes the events and the summary in one transaction and leaves a tombstone', async () => {
    const tap = tappedFactory();
    const store = await openTestStore({ indexedDB: tap.factory });
    const events = conversation(store, KEY);
    await store.append(events);
    await store.append(conversation(store, OTHER));
    const otherBefore = await store.getSummary(OTHER);
    const seq = (await rawMeta(store.name)).seq;
    const start = tap.writes().length;

    await store.deleteSession(KEY);

    const writes = tap.writes().slice(start);
    expect(writes).toHaveLength(1);
    expect(writes[0]!.stores).toEqual(expect.arrayContaining(['events', 'sessions', 'tombstones']));
    expect(await writes[0]!.ended).toBe('complete');
    expect(await store.getEvents(KEY)).toEqual([]);
    expect(await store.getSummary(KEY)).toBeUndefined();
    await expect(store.getProjection(KEY)).rejects.toMatchObject({ code: 'not_found' });
    expect(await store.listSessions()).toEqual([OTHER]);
    expect((await store.listSummaries()).map((s) => s.sessionKey)).toEqual([OTHER]);
    expect(await store.getMessages(KEY)).toEqual({ messages: [], hasMore: false });
    const raw = await rawAll<{ session_key: string }>(store.name, 'events');
    expect(raw.every((r) => r.session_key === OTHER)).toBe(true);
    expect(await store.getSummary(OTHER)).toEqual(otherBefore);
    const [tombstone] = await rawAll<TombstoneRecord>(store.name, 'tombstones');
    expect(tombstone).toMatchObject({ sessionKey: KEY, seq: seq + 1 });
    expect(tombstone!.timestamp > events.at(-1)!.timestamp).toBe(true);
    expect((await rawMeta(store.name)).seq).toBe(seq + 1);
    await store.close();
  });

  it('is atomic: a deletion whose transaction fails removes nothing', async () => {
    const store = await openTestStore();
    await store.append(conversation(store, KEY));
    const events = await store.getEvents(KEY);
    const summary = await store.getSummary(KEY);
    const meta = await rawMeta(store.name);
    const proto = IDBObjectStore.prototype as unknown as Record<'put', unknown>;
    const outcome = await withPatched(
      proto,
      'put',
      (original) =>
        function (this: IDBObjectStore, ...args: unknown[]) {
          const request = original.apply(this, args) as IDBRequest;
          if (this.name === 'tombstones')
            request.addEventListener('success', () => this.transaction.abort());
          return request;
        },
      () => settle(store.deleteSession(KEY)),
    );
    expect(outcome.ok).toBe(false);
    expect((outcome as { error: unknown }).error).toBeInstanceOf(EventStoreError);
    expect(await store.getEvents(KEY)).toEqual(events);
    expect(await store.getSummary(KEY)).toEqual(summary);
    expect(await rawAll(store.name, 'tombstones')).toEqual([]);
    expect(await rawMeta(store.name)).toEqual(meta);
    // And it works once the failure is gone.
    await store.deleteSession(KEY);
    expect(await store.listSessions()).toEqual([]);
    await store.close();
  });

  it('drops older events that arrive later (append or import) and accepts newer ones', async () => {
    const store = await openTestStore();
    const old = conversation(store, KEY);
    await store.append(old.slice(0, 4));
    // Made before the deletion, delivered after it (another tab, a sync, a backup).
    const late = old.slice(4);
    await store.deleteSession(KEY);

    const again = await store.append([...old.slice(0, 4), ...late]);
    expect(again.added).toEqual([]);
    expect(again.skipped.map((e) => e.id)).toEqual(old.map((e) => e.id));
    expect(await store.listSessions()).toEqual([]);
    expect(await store.getSummary(KEY)).toBeUndefined();

    const lines = old.map((e) => JSON.stringify(e)).join('\n');
    const imported = await importEvents(store, lines);
    expect(imported).toMatchObject({ added: 0, skipped: old.length, invalid: 0 });
    expect(await store.listSessions()).toEqual([]);

    // A new event, stamped after the deletion, starts the session anew.
    const fresh = await store.record(KEY, 'default', { type: 'message_received', content: 'new' });
    expect((await store.getEvents(KEY)).map((e) => e.id)).toEqual([fresh.id]);
    const summary = await store.getSummary(KEY);
    expect(summary).toMatchObject({ eventCount: 1, messageCount: 1, lastEventId: fresh.id });
    expect((await store.getProjection(KEY)).messages.map((m) => m.id)).toEqual([fresh.id]);
    // The tombstone still holds for the old events.
    expect((await store.append(old)).skipped).toHaveLength(old.length);
    expect(await store.getSummary(KEY)).toEqual(summary);
    // An explicit timestamp after the deletion counts as newer, one at or before it does not.
    const [tombstone] = await rawAll<TombstoneRecord>(store.name, 'tombstones');
    const atDeletion = createEvent(
      KEY,
      'x',
      { type: 'message_received', content: 'at' },
      { timestamp: tombstone!.timestamp },
    );
    expect((await store.append(atDeletion)).skipped).toEqual([atDeletion]);
    await store.close();
  });

  it('waits for appends issued before it, rejects a bad key, and updates live state', async () => {
    const store = await openTestStore();
    await store.append(conversation(store, OTHER));
    const seen: number[] = [];
    store.subscribe(KEY, (p) => seen.push(p.messages.length));
    store.subscribeSummaries(() => {});
    const pending = store.append(conversation(store, KEY));
    await store.deleteSession(KEY);
    expect((await pending).added).toHaveLength(8);
    expect(await store.getEvents(KEY)).toEqual([]);
    await waitFor(() => store.getSnapshot(KEY)?.messages.length === 0);
    expect(store.getSnapshot(KEY)?.lastEventId).toBeNull();
    await waitFor(() => store.getSummariesSnapshot()?.length === 1);
    expect(store.getSummariesSnapshot()!.map((s) => s.sessionKey)).toEqual([OTHER]);
    await expect(store.deleteSession('')).rejects.toMatchObject({
      code: 'validation',
      field: 'sessionKey',
    });
    // Deleting a session that does not exist is not an error.
    await expect(store.deleteSession(mainSessionKey('never'))).resolves.toBeUndefined();
    await store.close();
  });
});
