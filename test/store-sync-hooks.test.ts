/**
 * What the sync client builds on: changesSince(store, …) from sessionlog/sync (the push
 * watermark) and deleteSession({ at }) (a deletion made on another device).
 */
import { describe, expect, it } from 'vitest';
import { openEventStore } from '../src/store.js';
import { changesSince } from '../src/sync/index.js';
import { factory, uniqueName } from './helpers.js';

const say = (text: string) => ({
  type: 'message_received' as const,
  content: text,
  attachments: [],
});

describe('changesSince', () => {
  it('pages local changes by whole commits, deletions included', async () => {
    const store = await openEventStore({
      name: uniqueName(),
      indexedDB: factory(),
      crossTab: false,
    });
    await Promise.all([store.record('a', 'x', say('1')), store.record('a', 'x', say('2'))]); // one commit
    await store.record('b', 'x', say('3'));
    await store.deleteSession('b');
    const all = await changesSince(store, 0);
    expect(all.events.map((e) => e.session_key)).toEqual(['a', 'a']);
    expect(all.tombstones.map((t) => t.sessionKey)).toEqual(['b']);
    // A page of one event still holds the whole first commit.
    const first = await changesSince(store, 0, 1);
    expect(first.events).toHaveLength(2);
    const rest = await changesSince(store, first.seq, 1);
    expect(rest.seq).toBe(all.seq);
    expect((await changesSince(store, all.seq)).events).toEqual([]);
    await expect(changesSince(store, -1)).rejects.toMatchObject({
      code: 'validation',
      field: 'after',
    });
    await store.close();
  });

  it('rejects what is not a store of openEventStore', async () => {
    const fake = { name: 'x' } as unknown as Parameters<typeof changesSince>[0];
    await expect(changesSince(fake, 0)).rejects.toMatchObject({
      code: 'validation',
      field: 'store',
    });
  });
});

describe('deleteSession with at', () => {
  it('removes events up to the time, keeps later ones, and never moves a deletion back', async () => {
    const name = uniqueName();
    const store = await openEventStore({ name, indexedDB: factory(), crossTab: false });
    const old = await store.record('s', 'x', say('old'));
    const kept = await store.record('s', 'x', say('kept'));
    await store.deleteSession('s', { at: old.timestamp });
    expect((await store.getEvents('s')).map((e) => e.id)).toEqual([kept.id]);
    expect(await store.getSummary('s')).toMatchObject({ eventCount: 1 });
    // An older event comes back from a stale device: dropped.
    expect((await store.append(old)).skipped).toEqual([old]);
    // An earlier deletion time changes nothing.
    await store.deleteSession('s', { at: '2000-01-01T00:00:00Z' });
    expect((await store.getEvents('s')).map((e) => e.id)).toEqual([kept.id]);
    await store.deleteSession('s', { at: kept.timestamp });
    expect(await store.getEvents('s')).toEqual([]);
    expect(await store.getSummary('s')).toBeUndefined();
    await expect(store.deleteSession('s', { at: 'noon' })).rejects.toMatchObject({ field: 'at' });
    await store.close();
  });

  it('shows another open store the events that stay', async () => {
    const name = uniqueName();
    const indexedDB = factory();
    const writer = await openEventStore({ name, indexedDB });
    const reader = await openEventStore({ name, indexedDB });
    const old = await writer.record('s', 'x', say('old'));
    const kept = await writer.record('s', 'x', say('kept'));
    const seen: string[][] = [];
    const stop = reader.subscribe('s', (p) => seen.push(p.messages.map((m) => m.id)));
    await writer.deleteSession('s', { at: old.timestamp });
    await expect.poll(() => seen.at(-1)).toEqual([kept.id]);
    stop();
    await writer.close();
    await reader.close();
  });
});
