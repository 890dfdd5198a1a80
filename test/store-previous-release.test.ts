/**
 * A database written by the previous release (the vendored build in
 * test/fixtures/v1-release, same schema version) is opened by this one, whose
 * commits are written differently (predicted from the committer's tip, see
 * src/store/commit-tx.ts). Nothing it held may be lost or changed: events,
 * summaries, tombstones, drafts, the tree's head, `meta` (sequence, instance,
 * journal watermarks) and what `changesSince` reports; and both releases
 * may write to one database at once (two tabs, one not yet reloaded). Runs in
 * Node (fake-indexeddb) and in Chromium.
 */
import { describe, expect, it } from 'vitest';
import { type AnyEvent, activePath, EventStore, openEventStore } from '../src/index.js';
import type { MetaRecord } from '../src/schema.js';
import { changesSince, type LocalChanges } from '../src/sync/index.js';
import * as v1 from './fixtures/v1-release/sessionlog-v1.js';
import { factory, uniqueName } from './helpers.js';
import { conversation, rawAll, rawOpen, within } from './store-helpers.js';

const A = 'agent:upgrade:a';
const B = 'agent:upgrade:b';
const GONE = 'agent:upgrade:gone';
const CUT = 'agent:upgrade:cut';
const KEYS = [A, B, CUT, GONE];

const plain = <T>(value: T): T => JSON.parse(JSON.stringify(value));

/**
 * `changesSince` of either release: a function of sessionlog/sync now, a
 * store method in the previous release (whose types the fixture maps to today's).
 */
function changesOf(store: EventStore | v1.EventStore, after: number, limit?: number) {
  if (store instanceof EventStore) return changesSince(store, after, limit);
  const old = store as unknown as {
    changesSince(after: number, limit?: number): Promise<LocalChanges>;
  };
  return old.changesSince(after, limit);
}

/** Everything the store shows of its data, through its API. */
async function view(store: EventStore | v1.EventStore) {
  const sessions: Record<string, unknown> = {};
  for (const key of KEYS) {
    sessions[key] = {
      events: await store.getEvents(key),
      projection: await store.getProjection(key).catch((e: { code?: string }) => e.code),
      page: await store.getMessages(key, { limit: 100 }),
      all: await store.getMessages(key, { limit: 100, branch: 'all' }),
      latest: await store.getMessages(key, { limit: 2 }),
    };
  }
  return plain({
    sessions,
    keys: await store.listSessions(),
    summaries: await store.listSummaries(),
    changes: await changesOf(store, 0, 10_000),
    firstPage: await changesOf(store, 0, 3),
  });
}

/** The records of `stores` (all in one transaction, which completes before the connection closes). */
async function readAll(name: string, stores: string[]) {
  const db = await rawOpen(name);
  const tx = db.transaction(stores, 'readonly');
  const out: Record<string, { keys: IDBValidKey[]; values: unknown[] }> = {};
  for (const store of stores) {
    const entry = { keys: [] as IDBValidKey[], values: [] as unknown[] };
    out[store] = entry;
    const keys = tx.objectStore(store).getAllKeys();
    const values = tx.objectStore(store).getAll();
    keys.onsuccess = () => {
      entry.keys = keys.result;
    };
    values.onsuccess = () => {
      entry.values = values.result;
    };
  }
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error);
  });
  db.close();
  return out;
}

/** Every record of every store, read raw, with its key. */
async function dump(name: string) {
  const all = await readAll(name, ['events', 'sessions', 'tombstones', 'drafts', 'meta']);
  return Object.fromEntries(
    Object.entries(all).map(([store, { keys, values }]) => [
      store,
      keys.map((key, i) => [key, values[i]]),
    ]),
  );
}

/** A database written by the previous release: sessions, a branch and a head, deletions, a draft. */
async function writeWithV1(name: string) {
  const store = await v1.openEventStore({
    name,
    indexedDB: factory(),
    crossTab: false,
    drafts: { checkpointMs: 20 },
  });
  const added: AnyEvent[] = [];
  for (const [key, n] of [
    [A, 0],
    [B, 1],
    [GONE, 2],
    [CUT, 3],
  ] as const) {
    const events = conversation(store as unknown as EventStore, key, `agent-${n}`, n);
    await store.append(events.slice(0, 2));
    for (const e of events.slice(2)) await store.append(e); // one commit each
    added.push(...events);
  }
  // A second branch and the head moved back to the first one.
  const first = (await store.getMessages(A)).messages.find((m) => m.direction === 'inbound')!;
  await store.edit(A, first.id, 'an edited question');
  await store.setHead(A, first.id);
  await store.record(B, 'late', { type: 'message_received', content: 'after the others' });
  // A deletion here, and one made elsewhere that keeps the later events.
  await store.deleteSession(GONE);
  const cutAt = (await store.getEvents(CUT))[2]!.timestamp;
  await store.deleteSession(CUT, { at: cutAt });
  // A reply still streaming, checkpointed.
  const draft = store.stream(B, { agentId: 'streamer', model: 'm-1' });
  draft.push('half a rep');
  draft.push('ly');
  await within(
    (async () => {
      for (;;) {
        const drafts = await rawAll<{ text: string }>(name, 'drafts');
        if (drafts[0]?.text === 'half a reply') return;
        await new Promise((r) => setTimeout(r, 10));
      }
    })(),
  );
  const before = await view(store);
  await store.close();
  const raw = await dump(name);
  const meta = raw.meta![0]![1] as MetaRecord;
  return { before, raw, meta };
}

describe('a database written by the previous release', () => {
  it('reads the same, and opening it changes nothing: events, summaries, tombstones, draft, tree head, meta', async () => {
    const name = uniqueName('upgrade');
    const { before, raw, meta } = await writeWithV1(name);
    expect(raw.events!.length).toBeGreaterThan(10);
    expect(raw.tombstones!.length).toBe(2);
    expect(raw.drafts!.length).toBe(1);
    expect(meta.seq).toBeGreaterThan(10);
    // In Chromium the previous release kept its journal: its watermarks are in meta.
    if (typeof navigator !== 'undefined' && 'getDirectory' in (navigator.storage ?? {}))
      expect(Object.keys(meta.journal ?? {}).length).toBeGreaterThan(0);

    // Without the journal first: what it does on open (rotating its files) is not the upgrade.
    const store = await openEventStore({
      name,
      indexedDB: factory(),
      crossTab: false,
      journal: false,
    });
    expect(await view(store)).toEqual(before);
    const projection = await store.getProjection(A);
    expect(projection.headTarget).not.toBeNull();
    await store.close();
    expect(await dump(name)).toEqual(raw);

    // With its journal (the previous release's, in the browser), the store opens on the same data.
    const journaled = await openEventStore({ name, indexedDB: factory(), crossTab: false });
    expect(await view(journaled)).toEqual(before);
    await journaled.close();
  });

  it('goes on from its sequence: new commits, changesSince, its draft finished', async () => {
    const name = uniqueName('upgrade-on');
    const { before, meta } = await writeWithV1(name);
    const store = await openEventStore({
      name,
      indexedDB: factory(),
      crossTab: false,
      drafts: { timeoutMs: 20, heartbeatMs: 10 },
    });
    const added = await store.record(A, 'new', {
      type: 'message_received',
      content: 'after the upgrade',
    });
    const changes = await changesSince(store, meta.seq);
    expect(changes).toEqual({ seq: meta.seq + 1, events: [added], tombstones: [] });
    const all = await changesSince(store, 0, 10_000);
    expect(all.events).toEqual([...before.changes.events, added]);
    expect(all.tombstones).toEqual(before.changes.tombstones);
    // The draft the old release left is resumed and finished.
    // (Its writer is gone: no heartbeat within the timeout.)
    const [draft] = await within(
      (async () => {
        for (;;) {
          const drafts = await store.listInterruptedDrafts();
          if (drafts.length > 0) return drafts;
          await new Promise((r) => setTimeout(r, 10));
        }
      })(),
    );
    expect(draft).toMatchObject({ sessionKey: B, text: 'half a reply', agentId: 'streamer' });
    const handle = await store.resumeDraft(draft!.id);
    handle.push(' and the rest');
    const reply = await handle.done({ tokens: { input_tokens: 1, output_tokens: 2 } });
    expect(reply.kind).toMatchObject({ content: 'half a reply and the rest' });
    expect(await store.listInterruptedDrafts()).toEqual([]);
    expect((await store.getSummary(B))?.eventCount).toBe(
      (before.summaries as Array<{ sessionKey: string; eventCount: number }>).find(
        (s) => s.sessionKey === B,
      )!.eventCount + 1,
    );
    await store.deleteSession(A);
    expect((await changesSince(store, meta.seq + 2)).tombstones).toEqual([
      { sessionKey: A, timestamp: expect.any(String) },
    ]);
    await store.close();
  });

  it('and a store of the previous release write to one database in turn, each commit seen by both', async () => {
    const name = uniqueName('previous-tab');
    const old = await v1.openEventStore({ name, indexedDB: factory(), crossTab: false });
    const store = await openEventStore({ name, indexedDB: factory(), crossTab: false });
    const events = conversation(store, A);
    for (const [i, e] of events.entries()) await (i % 3 === 0 ? old : store).append(e);
    await old.deleteSession(B);
    const more = conversation(store, A, 'more', 2).slice(0, 3);
    await store.append(more[0]!);
    await old.append(more[1]!);
    await store.append([more[1]!, more[2]!]); // a duplicate the new store's tip cannot know
    for (const s of [old, store]) {
      const all = await s.getEvents(A);
      expect(all).toHaveLength(events.length + 3);
      const summary = await s.getSummary(A);
      expect(summary?.eventCount).toBe(all.length);
      expect(summary?.messageCount).toBe((await s.getProjection(A)).messageCount);
    }
    const changes = await changesSince(store, 0, 10_000);
    expect(changes.seq).toBe(events.length + 4);
    expect(changes.tombstones.map((t) => t.sessionKey)).toEqual([B]);
    expect(changes.events).toEqual(await changesOf(old, 0, 10_000).then((c) => c.events));
    await old.close();
    await store.close();
  });

  it('branching a session this release marked as one chain: the mark is not trusted after, pages follow the active path', async () => {
    const name = uniqueName('previous-chain');
    const old = await v1.openEventStore({ name, indexedDB: factory(), crossTab: false });
    const store = await openEventStore({ name, indexedDB: factory(), crossTab: false });
    for (const e of conversation(store, A)) await store.append(e);
    const question = (await store.getMessages(A)).messages.find((m) => m.direction === 'inbound')!;
    // The previous release keeps the mark as it was, counted for fewer events than its summary has.
    await old.edit(A, question.id, 'edited by the previous release');
    await old.record(A, 'default', { type: 'message_received', content: 'and a follow-up' });
    for (const s of [store, old]) {
      const path = activePath(await s.getProjection(A)).filter(
        (n) => n.kind.type !== 'tool_called',
      );
      expect((await s.getMessages(A, { limit: 100 })).messages.map((m) => m.id)).toEqual(
        path.map((n) => n.id),
      );
      expect(path.map((n) => (n.kind as { content?: string }).content).slice(-2)).toEqual([
        'edited by the previous release',
        'and a follow-up',
      ]);
    }
    // This release's next commit drops the stale mark: still the active path.
    await store.record(A, 'default', { type: 'message_received', content: 'one more' });
    const path = activePath(await store.getProjection(A)).filter(
      (n) => n.kind.type !== 'tool_called',
    );
    expect((await store.getMessages(A, { limit: 100 })).messages.map((m) => m.id)).toEqual(
      path.map((n) => n.id),
    );
    expect((await rawAll<{ chain?: unknown }>(name, 'sessions'))[0]).not.toHaveProperty('chain');
    await old.close();
    await store.close();
  });
});
