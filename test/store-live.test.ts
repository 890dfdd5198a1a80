/**
 * Issue 3, live state: subscribe/getSnapshot and subscribeSummaries/
 * getSummariesSnapshot as React's useSyncExternalStore needs them (a
 * synchronous snapshot, the same object until something changes, immutable),
 * and listeners that throw do not break the store.
 */
import { describe, expect, it } from 'vitest';
import {
  type EventStoreError,
  mainSessionKey,
  type Projection,
  project,
  type SessionSummary,
} from '../src/index.js';
import { conversation, openTestStore, waitFor } from './store-helpers.js';

const KEY = mainSessionKey('live');
const OTHER = mainSessionKey('elsewhere');

function expectDeepFrozen(value: unknown, path = 'snapshot'): void {
  if (typeof value !== 'object' || value === null) return;
  expect(Object.isFrozen(value), `${path} is frozen`).toBe(true);
  for (const [k, v] of Object.entries(value)) expectDeepFrozen(v, `${path}.${k}`);
}

describe('subscribe / getSnapshot', () => {
  it('gives a stable, frozen snapshot that changes only when the session changes', async () => {
    const store = await openTestStore();
    const events = conversation(store, KEY);
    await store.append(events.slice(0, 3));
    expect(store.getSnapshot(KEY)).toBeUndefined();
    const calls: Projection[] = [];
    const unsubscribe = store.subscribe(KEY, (p) => {
      // The listener and getSnapshot agree at every notification.
      expect(store.getSnapshot(KEY)).toBe(p);
      calls.push(p);
    });
    await waitFor(() => store.getSnapshot(KEY) !== undefined);
    const first = store.getSnapshot(KEY)!;
    expect(store.getSnapshot(KEY)).toBe(first);
    expect(first).toEqual(project(await store.getEvents(KEY)));
    expectDeepFrozen(first);
    expect(() => {
      (first.messages as unknown[]).push(1);
    }).toThrow();

    // Things that do not change the session keep the same object.
    await store.append(events.slice(0, 2)); // duplicates
    await store.append(conversation(store, OTHER));
    await store.getEvents(KEY);
    expect(store.getSnapshot(KEY)).toBe(first);

    await store.append(events.slice(3));
    await waitFor(() => store.getSnapshot(KEY) !== first);
    const second = store.getSnapshot(KEY)!;
    expect(second).toEqual(project(await store.getEvents(KEY)));
    expectDeepFrozen(second);
    expect(calls.at(-1)).toBe(second);
    const count = calls.length;

    unsubscribe();
    await store.record(KEY, 'x', { type: 'message_received', content: 'unseen' });
    expect(calls.length).toBe(count);
    await store.close();
  });

  it('keeps the live state for a grace period after the last listener leaves', async () => {
    const store = await openTestStore({ liveGraceMs: 50 });
    await store.append(conversation(store, KEY));
    const stop = store.subscribe(KEY, () => {});
    await waitFor(() => store.getSnapshot(KEY) !== undefined);
    const first = store.getSnapshot(KEY)!;
    stop();

    // A resubscribe (React's, when the subscribe function changes) neither reloads nor notifies.
    const calls: Projection[] = [];
    const again = store.subscribe(KEY, (p) => calls.push(p));
    expect(store.getSnapshot(KEY)).toBe(first);
    await store.getEvents(KEY); // lets a (wrong) reload run
    expect(calls).toEqual([]);
    expect(store.getSnapshot(KEY)).toBe(first);

    // Nobody listening: still kept up to date during the grace period, then dropped.
    again();
    const e = await store.record(KEY, 'x', { type: 'message_received', content: 'while idle' });
    await waitFor(() => store.getSnapshot(KEY)?.lastEventId === e.id);
    await waitFor(() => store.getSnapshot(KEY) === undefined);
    await store.record(KEY, 'x', { type: 'message_received', content: 'unseen' });
    expect(calls).toEqual([]);
    await store.close();
  });

  it('a session with no events has an empty projection, filled in as events arrive', async () => {
    const store = await openTestStore();
    store.subscribe(KEY, () => {});
    await waitFor(() => store.getSnapshot(KEY) !== undefined);
    expect(store.getSnapshot(KEY)).toMatchObject({
      sessionKey: KEY,
      messages: [],
      lastEventId: null,
    });
    const e = await store.record(KEY, 'a', { type: 'message_received', content: 'hello' });
    await waitFor(() => store.getSnapshot(KEY)?.lastEventId === e.id);
    expect(store.getSnapshot(KEY)!.messages.map((m) => m.id)).toEqual([e.id]);
    await store.close();
  });
});

describe('subscribeSummaries / getSummariesSnapshot', () => {
  it('gives a stable, frozen list of summaries that changes on commits', async () => {
    const store = await openTestStore();
    await store.append(conversation(store, KEY));
    expect(store.getSummariesSnapshot()).toBeUndefined();
    const calls: Array<readonly SessionSummary[]> = [];
    store.subscribeSummaries((list) => calls.push(list));
    await waitFor(() => store.getSummariesSnapshot() !== undefined);
    const first = store.getSummariesSnapshot()!;
    expect(store.getSummariesSnapshot()).toBe(first);
    expect(first).toEqual(await store.listSummaries());
    expectDeepFrozen(first);
    expect(first[0]).not.toHaveProperty('messages');

    await store.append(conversation(store, KEY).slice(0, 0));
    await store.append((await store.getEvents(KEY)).slice(0, 2)); // duplicates only
    expect(store.getSummariesSnapshot()).toBe(first);

    await store.append(conversation(store, OTHER));
    await waitFor(() => store.getSummariesSnapshot()!.length === 2);
    const second = store.getSummariesSnapshot()!;
    expect(second).not.toBe(first);
    expect(second).toEqual(await store.listSummaries());
    expect(second.map((s) => s.sessionKey)).toEqual([OTHER, KEY]);
    expectDeepFrozen(second);
    expect(calls.at(-1)).toBe(second);
    await store.close();
  });
});

describe('listener errors', () => {
  it('are reported through on("error") and do not stop other listeners or the store', async () => {
    const store = await openTestStore();
    const errors: EventStoreError[] = [];
    store.on('error', (e) => errors.push(e));
    // An error listener that throws must not loop or escape.
    store.on('error', () => {
      throw new Error('the error listener fails too');
    });
    const good: Projection[] = [];
    const goodLists: Array<readonly SessionSummary[]> = [];
    store.subscribe(KEY, () => {
      throw new Error('subscriber bug');
    });
    store.subscribe(KEY, (p) => good.push(p));
    store.subscribeSummaries(() => {
      throw new TypeError('sidebar bug');
    });
    store.subscribeSummaries((list) => goodLists.push(list));

    const e1 = await store.record(KEY, 'a', { type: 'message_received', content: 'one' });
    await waitFor(() => good.at(-1)?.lastEventId === e1.id);
    const e2 = await store.record(KEY, 'a', { type: 'message_received', content: 'two' });
    await waitFor(() => good.at(-1)?.lastEventId === e2.id);
    await waitFor(() => goodLists.at(-1)?.[0]?.lastEventId === e2.id);
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.every((e) => e.name === 'EventStoreError')).toBe(true);
    expect(errors.some((e) => (e.cause as Error)?.message === 'subscriber bug')).toBe(true);
    expect(errors.some((e) => (e.cause as Error)?.message === 'sidebar bug')).toBe(true);
    expect(await store.getProjection(KEY)).toEqual(good.at(-1));
    await store.close();
  });
});
