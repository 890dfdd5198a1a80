import { describe, expect, it } from 'vitest';
import {
  createEvent,
  type EventStore,
  mainSessionKey,
  openEventStore,
  project,
} from '../src/index.js';
import { factory, uniqueName } from './helpers.js';

async function open(): Promise<EventStore> {
  return openEventStore({ name: uniqueName(), indexedDB: factory(), crossTab: false });
}

describe('EventStore basics', () => {
  it('appends, dedupes and projects', async () => {
    const store = await open();
    const key = mainSessionKey('a');
    const e1 = createEvent(key, 'a', { type: 'session_started', channel: 'web', peer_id: 'u' });
    const e2 = createEvent(key, 'a', { type: 'message_received', content: 'hi' });
    const r = await store.append([e1, e2]);
    expect(r.added.map((e) => e.id)).toEqual([e1.id, e2.id]);
    const again = await store.append(e2);
    expect(again.added).toEqual([]);
    expect(again.duplicates.map((e) => e.id)).toEqual([e2.id]);
    const events = await store.getEvents(key);
    expect(events.map((e) => e.id)).toEqual([e1.id, e2.id]);
    const p = await store.getProjection(key);
    expect(p).toEqual(project(events));
    const summary = await store.getSummary(key);
    expect(summary?.messageCount).toBe(1);
    expect(summary?.eventCount).toBe(2);
    await expect(store.getProjection('nope')).rejects.toMatchObject({ code: 'not_found' });
    await store.close();
    await expect(store.append(e1)).rejects.toMatchObject({ code: 'closed' });
  });

  it('groups concurrent appends and pages messages', async () => {
    const store = await open();
    const key = mainSessionKey('b');
    const events = Array.from({ length: 120 }, (_, i) =>
      createEvent(key, 'b', { type: 'message_received', content: `m${i}` }, { clock: store.clock }),
    );
    await Promise.all(events.map((e) => store.append(e)));
    const page = await store.getMessages(key, { limit: 50 });
    expect(page.hasMore).toBe(true);
    expect(page.messages.map((m) => m.id)).toEqual(events.slice(70).map((e) => e.id));
    const older = await store.getMessages(key, { limit: 50, before: page.messages[0]! });
    expect(older.messages.map((m) => m.id)).toEqual(events.slice(20, 70).map((e) => e.id));
    const newer = await store.getMessages(key, { limit: 10, after: older.messages[0]! });
    expect(newer.messages.map((m) => m.id)).toEqual(events.slice(21, 31).map((e) => e.id));
    await store.close();
  });

  it('notifies subscribers with immutable snapshots', async () => {
    const store = await open();
    const key = mainSessionKey('c');
    const seen: number[] = [];
    store.subscribe(key, (p) => seen.push(p.messages.length));
    await store.record(key, 'c', { type: 'message_received', content: 'one' });
    await store.record(key, 'c', { type: 'message_received', content: 'two' });
    await vi_waitFor(() => store.getSnapshot(key)?.messages.length === 2);
    const snap = store.getSnapshot(key)!;
    expect(Object.isFrozen(snap)).toBe(true);
    expect(seen.at(-1)).toBe(2);
    await store.deleteSession(key);
    expect(store.getSnapshot(key)?.messages.length).toBe(0);
    await expect(store.getProjection(key)).rejects.toMatchObject({ code: 'not_found' });
    await store.close();
  });
});

async function vi_waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('condition not met');
}
