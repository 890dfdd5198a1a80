/**
 * The journal in real Chromium (OPFS, Web Locks, a worker): a database
 * deleted behind the store's back (what Chromium does to a damaged one after
 * a crash) is restored from it, deletions and refused transactions included;
 * nothing is restored twice, on purpose destruction restores nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  type AnyEvent,
  type CorruptRecord,
  createEvent,
  destroyEventStore,
  type EventStore,
  mainSessionKey,
  openEventStore,
  project,
  type RestoreReport,
} from '../src/index.js';
import { decodeFrames, encodeFrame } from '../src/journal/frame.js';
import { allZero, RESERVE } from '../src/journal/reserve.js';
import { journalPath } from '../src/journal/segments.js';
import * as v1 from './fixtures/v1-release/sessionlog-v1.js';
import { deleteDatabase, uniqueName } from './helpers.js';
import { conversation, jsonBytes, withPatched } from './store-helpers.js';

const open = (name: string, options: { journal?: boolean } = {}) =>
  openEventStore({ name, crossTab: false, ...options });

async function journalBytes(name: string): Promise<Uint8Array> {
  let dir = await navigator.storage.getDirectory();
  for (const part of journalPath(name)) dir = await dir.getDirectoryHandle(part);
  const parts: Uint8Array[] = [];
  for await (const file of dir.keys()) {
    const blob = await (await dir.getFileHandle(file)).getFile();
    parts.push(new Uint8Array(await blob.arrayBuffer()));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Appends `frame` after the last frame of the store's one journal file (a
 * frame whose transaction never completed), in the zeros kept there.
 */
async function appendFrame(name: string, frame: Uint8Array): Promise<void> {
  let dir = await navigator.storage.getDirectory();
  for (const part of journalPath(name)) dir = await dir.getDirectoryHandle(part);
  const [file] = await Array.fromAsync(dir.keys());
  const handle = await dir.getFileHandle(file!);
  const { end } = decodeFrames(new Uint8Array(await (await handle.getFile()).arrayBuffer()));
  const writable = await handle.createWritable({ keepExistingData: true });
  await writable.write({ type: 'write', position: end, data: frame.buffer as ArrayBuffer });
  await writable.close();
}

async function snapshot(store: EventStore, keys: string[]) {
  const out: Record<string, { ids: string[]; summary: unknown }> = {};
  for (const key of keys) {
    const events = await store.getEvents(key);
    out[key] = { ids: events.map((e) => e.id), summary: await store.getSummary(key) };
  }
  return out;
}

describe('journal', () => {
  it('restores every acknowledged event after the database is deleted, once', async () => {
    const name = uniqueName('journal');
    const keys = [mainSessionKey('j1'), mainSessionKey('j2')];
    const store = await open(name);
    expect(store.journal).toBe('on');
    expect(store.restored).toBeUndefined();
    const events: AnyEvent[] = [];
    for (let i = 0; i < 5; i++) {
      const batch = [
        ...conversation(store, keys[0]!, 'a', i),
        ...conversation(store, keys[1]!, 'b', i),
      ];
      events.push(...batch);
      await store.append(batch);
    }
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.record(keys[i % 2]!, 'c', { type: 'message_received', content: `burst ${i}` }),
      ),
    );
    const before = await snapshot(store, keys);
    await store.close();

    await deleteDatabase(name);
    const restored = await open(name);
    expect(restored.wasReset).toBe(true);
    expect(restored.restored).toEqual({ events: 100, deletions: 0, damaged: 0, reset: true });
    expect(await snapshot(restored, keys)).toEqual(before);
    for (const key of keys)
      expect((await restored.getProjection(key)).messages).toEqual(
        project(await restored.getEvents(key), key).messages,
      );
    await restored.close();

    const again = await open(name);
    expect(again.restored).toBeUndefined(); // database and journal agree: nothing twice
    expect(await snapshot(again, keys)).toEqual(before);
    await again.close();
    await destroyEventStore(name);
  });

  it('honours deletions and drops a deleted session from the journal', async () => {
    const name = uniqueName('journal-del');
    const [kept, gone] = [mainSessionKey('kept'), mainSessionKey('gone')];
    const store = await open(name);
    await store.append(conversation(store, kept, 'a', 1));
    await store.record(gone, 'a', { type: 'message_received', content: 'secret-words-to-forget' });
    await store.deleteSession(gone);
    const late = createEvent(
      gone,
      'a',
      { type: 'message_received', content: 'after' },
      { clock: store.clock },
    );
    await store.append(late);
    await store.close();
    const text = new TextDecoder().decode(await journalBytes(name));
    expect(text).not.toContain('secret-words-to-forget');
    expect(text).toContain('after');

    await deleteDatabase(name);
    const restored = await open(name);
    expect(restored.restored).toMatchObject({ events: 9, deletions: 1 });
    expect((await restored.getEvents(gone)).map((e) => e.id)).toEqual([late.id]);
    expect(await restored.getEvents(kept)).toHaveLength(8);
    await restored.destroy();
  });

  it('never restores a transaction IndexedDB refused', async () => {
    const name = uniqueName('journal-refused');
    const key = mainSessionKey('refused');
    const store = await open(name);
    await store.append(conversation(store, key, 'ok', 1));
    const refused = conversation(store, key, 'refused', 2);
    await expect(
      withPatched(
        IDBObjectStore.prototype as unknown as Record<'add', unknown>,
        'add',
        () => () => {
          throw new DOMException('simulated failure', 'UnknownError');
        },
        () => store.append(refused),
      ),
    ).rejects.toMatchObject({ code: 'storage' });
    await store.close();
    await deleteDatabase(name);
    const restored = await open(name);
    expect(restored.restored?.events).toBe(8);
    expect((await restored.getEvents(key)).every((e) => e.agent_id === 'ok')).toBe(true);
    await restored.destroy();
  });

  it('a deletion whose tombstone IndexedDB refuses for quota (its data freed) is still journaled: a reset does not bring the session back', async () => {
    const name = uniqueName('journal-tombstone-refused');
    const [kept, gone] = [mainSessionKey('kept'), mainSessionKey('gone')];
    const store = await open(name);
    await store.append([
      ...conversation(store, kept, 'a', 1),
      ...conversation(store, gone, 'b', 1),
    ]);
    // A full quota that refuses what the tombstone's transaction writes, not what frees space.
    const full = (original: (...args: unknown[]) => unknown) =>
      function (this: IDBObjectStore, ...args: unknown[]) {
        if (this.name === 'tombstones') throw new DOMException('simulated', 'QuotaExceededError');
        return original.apply(this, args);
      };
    await expect(
      withPatched(IDBObjectStore.prototype as unknown as Record<'put', unknown>, 'put', full, () =>
        store.deleteSession(gone),
      ),
    ).rejects.toMatchObject({ code: 'quota' });
    expect(await store.getEvents(gone)).toEqual([]); // its data was freed
    await store.close();

    await deleteDatabase(name);
    const restored = await open(name);
    expect(restored.restored).toMatchObject({ events: 8, deletions: 1, damaged: 0 });
    expect(await restored.getEvents(gone)).toEqual([]);
    expect((await restored.getEvents(kept)).length).toBe(8);
    await restored.destroy();
  });

  it('destroy() deletes the database and the journal: nothing comes back', async () => {
    const name = uniqueName('journal-destroy');
    const store = await open(name);
    await store.append(conversation(store, mainSessionKey('d'), 'a', 1));
    await store.destroy();
    const fresh = await open(name);
    expect(fresh.wasReset).toBe(false);
    expect(fresh.restored).toBeUndefined();
    expect(await fresh.listSessions()).toEqual([]);
    await fresh.destroy();
  });

  it('journal: false keeps none, and restores nothing', async () => {
    const name = uniqueName('journal-off');
    const store = await open(name, { journal: false });
    expect(store.journal).toBe('off');
    await store.append(conversation(store, mainSessionKey('off'), 'a', 1));
    await store.close();
    await deleteDatabase(name);
    const fresh = await open(name, { journal: false });
    expect(fresh.restored).toBeUndefined();
    expect(await fresh.listSessions()).toEqual([]);
    await fresh.destroy();
  });

  it("journal: { flush: 'never' } spares strict commits the journal's flush, and still restores", async () => {
    await expect(
      openEventStore({ name: uniqueName('bad'), journal: { flush: 'always' as 'never' } }),
    ).rejects.toMatchObject({ code: 'validation', field: 'journal.flush' });
    await expect(
      openEventStore({ name: uniqueName('bad'), journal: 'yes' as unknown as boolean }),
    ).rejects.toMatchObject({ code: 'validation', field: 'journal' });
    const flushes = async (journal: { flush: 'strict' | 'never' }) => {
      const name = uniqueName('journal-flush');
      const key = mainSessionKey('flush');
      const store = await openEventStore({ name, crossTab: false, durability: 'strict', journal });
      await store.append(conversation(store, key, 'first', 1)); // starts the journal worker
      const seen: boolean[] = [];
      await withPatched(
        Worker.prototype as unknown as Record<'postMessage', unknown>,
        'postMessage',
        (original) =>
          function (this: Worker, ...args: unknown[]) {
            const request = args[0] as { op?: string; flush?: boolean };
            if (request?.op === 'write') seen.push(request.flush === true);
            return original.apply(this, args);
          },
        () => store.append(conversation(store, key, 'second', 2)),
      );
      await store.close();
      await deleteDatabase(name);
      const restored = await open(name);
      const events = restored.restored?.events;
      await restored.destroy();
      return { seen, events };
    };
    expect(await flushes({ flush: 'strict' })).toEqual({ seen: [true], events: 16 });
    expect(await flushes({ flush: 'never' })).toEqual({ seen: [false], events: 16 });
  });

  it("a deletion drops the session from a gone store's segment too, in place, and leaves the rest", async () => {
    const name = uniqueName('journal-del-dead');
    const [kept, gone] = [mainSessionKey('kept'), mainSessionKey('gone')];
    const a = await open(name);
    const b = await open(name);
    await a.append(conversation(a, kept, 'a', 1));
    await b.append(conversation(b, kept, 'b', 2));
    await b.record(gone, 'b', { type: 'message_received', content: 'secret-in-the-other-segment' });
    const before = await snapshot(b, [kept]);
    await b.close(); // its segment's writer is gone
    await a.deleteSession(gone);
    await a.close();
    const text = new TextDecoder().decode(await journalBytes(name));
    expect(text).not.toContain('secret-in-the-other-segment');
    // The gone store's segment was compacted inside its file, renamed to the next
    // generation; this store's own held nothing of the session: not rewritten.
    let dir = await navigator.storage.getDirectory();
    for (const part of journalPath(name)) dir = await dir.getDirectoryHandle(part);
    expect((await Array.fromAsync(dir.keys())).sort()).toEqual(['0.0.log', '1.1.log']);

    await deleteDatabase(name);
    const restored = await open(name);
    expect(restored.restored).toMatchObject({ events: 16, deletions: 1, damaged: 0 });
    expect(await snapshot(restored, [kept])).toEqual(before);
    expect(await restored.getEvents(gone)).toEqual([]);
    await restored.destroy();
  });

  it('two stores on one database write two segments, merged on restore', async () => {
    const name = uniqueName('journal-two');
    const key = mainSessionKey('two');
    const a = await open(name);
    const b = await open(name);
    await Promise.all([
      a.append(conversation(a, key, 'a', 1)),
      b.append(conversation(b, key, 'b', 2)),
    ]);
    const before = await snapshot(a, [key]);
    await a.close();
    await b.close();
    await deleteDatabase(name);
    const restored = await open(name);
    expect(restored.restored?.events).toBe(16);
    expect(await snapshot(restored, [key])).toEqual(before);
    await restored.destroy();
  });

  it('a damaged journal record is skipped and reported; the rest is restored', async () => {
    const name = uniqueName('journal-damaged');
    const key = mainSessionKey('damaged');
    const store = await open(name);
    for (let i = 0; i < 3; i++) await store.append(conversation(store, key, `b${i}`, i));
    await store.close();
    // Flip bytes inside the second frame's payload.
    let dir = await navigator.storage.getDirectory();
    for (const part of journalPath(name)) dir = await dir.getDirectoryHandle(part);
    const [file] = await Array.fromAsync(dir.keys());
    const handle = await dir.getFileHandle(file!);
    const bytes = new Uint8Array(await (await handle.getFile()).arrayBuffer());
    const second = new TextDecoder('latin1').decode(bytes).indexOf('SLJ1', 4);
    for (let i = 40; i < 56; i++) bytes[second + i]! ^= 0xff;
    const writable = await handle.createWritable();
    await writable.write(bytes);
    await writable.close();

    await deleteDatabase(name);
    const restored = await open(name);
    expect(restored.restored).toMatchObject({ events: 16, damaged: 1 });
    expect((await restored.getEvents(key)).some((e) => e.agent_id === 'b1')).toBe(false);
    await restored.destroy();
  });

  it('a database behind its journal (a crash between the two writes) is restored just after open', async () => {
    const name = uniqueName('journal-behind');
    const key = mainSessionKey('behind');
    const store = await open(name);
    await store.append(conversation(store, key, 'kept', 1));
    // The next commit's frame reaches the journal, its transaction never completes.
    const lost = conversation(store, key, 'lost', 2);
    await store.close();
    await appendFrame(name, encodeFrame({ c: lost }));

    const reopened = await open(name);
    const events: RestoreReport[] = [];
    reopened.on('restored', (report) => events.push(report));
    // An append made at once waits for the restore, which commits first.
    const later = conversation(reopened, key, 'later', 3);
    await reopened.append(later);
    const report = await reopened.journalChecked();
    expect(report).toEqual({ events: lost.length, deletions: 0, damaged: 0, reset: false });
    expect(reopened.restored).toEqual(report);
    expect(events).toEqual([report]);
    const stored = (await reopened.getEvents(key)).map((e) => e.id);
    for (const e of [...lost, ...later]) expect(stored).toContain(e.id);
    await reopened.close();

    const again = await open(name);
    expect(await again.journalChecked()).toBeUndefined(); // nothing twice
    await again.destroy();
  });

  it('a store that only reads is checked soon after open: a partial loss comes back with a restored event', async () => {
    const name = uniqueName('journal-read-only');
    const key = mainSessionKey('read-only');
    const store = await open(name);
    await store.append(conversation(store, key, 'kept', 1));
    const lost = conversation(store, key, 'lost', 2);
    await store.close();
    await appendFrame(name, encodeFrame({ c: lost }));

    const reader = await open(name);
    const report = await new Promise<RestoreReport>((resolve) => reader.on('restored', resolve));
    expect(report).toEqual({ events: lost.length, deletions: 0, damaged: 0, reset: false });
    const stored = (await reader.getEvents(key)).map((e) => e.id);
    for (const e of lost) expect(stored).toContain(e.id);
    await reader.destroy();
  });

  it('reports damage met while restoring as corrupt, with the file and offset', async () => {
    // (The report is also what `restored.damaged` counts; listeners can only attach after open.)
    const seen: CorruptRecord[] = [];
    const name = uniqueName('journal-report');
    const store = await open(name);
    store.on('corrupt', (c) => seen.push(c));
    await store.append(conversation(store, mainSessionKey('r'), 'a', 1));
    await store.deleteSession(mainSessionKey('r')); // compaction reads the segment: nothing damaged
    expect(seen).toEqual([]);
    await store.destroy();
  });

  it('a segment keeps zeros past its last frame, at least the reserve for deletions and refusals', async () => {
    const name = uniqueName('journal-reserve');
    const key = mainSessionKey('reserve');
    const store = await open(name);
    for (let i = 0; i < 4; i++) await store.append(conversation(store, key, 'a', i));
    await store.close();
    const bytes = await journalBytes(name);
    const { end, frames, damaged } = decodeFrames(bytes);
    expect(frames.length).toBe(4);
    expect(damaged).toEqual([]);
    expect(bytes.length).toBeGreaterThanOrEqual(end + RESERVE);
    expect(allZero(bytes.subarray(end))).toBe(true);

    // Reopened, the store writes after its last frame, not after the zeros.
    const again = await open(name);
    expect(await again.journalChecked()).toBeUndefined();
    await again.append(conversation(again, key, 'b', 9));
    await again.close();
    const after = decodeFrames(await journalBytes(name));
    expect(after.frames.map((f) => f.at)).toEqual([...frames.map((f) => f.at), end]);
    expect(after.damaged).toEqual([]);
    await destroyEventStore(name);
  });

  it('a journal the previous release wrote (no zeros) is restored losslessly, and written on', async () => {
    const name = uniqueName('journal-v1');
    const [a, b, gone] = [mainSessionKey('v1a'), mainSessionKey('v1b'), mainSessionKey('v1gone')];
    const old = await v1.openEventStore({ name, crossTab: false });
    expect(old.journal).toBe('on');
    const appended: AnyEvent[] = [];
    for (let i = 0; i < 3; i++) {
      const batch = [
        ...conversation(old as unknown as EventStore, a, 'x', i),
        ...conversation(old as unknown as EventStore, b, 'y', i),
      ];
      appended.push(...batch);
      await old.append(batch);
    }
    await old.record(gone, 'z', { type: 'message_received', content: 'forget me' });
    await old.deleteSession(gone);
    await old.close();
    const written = await journalBytes(name);
    expect(decodeFrames(written).end).toBe(written.length); // the old format: frames only

    await deleteDatabase(name);
    const store = await open(name);
    expect(store.restored).toEqual({
      events: appended.length,
      deletions: 1,
      damaged: 0,
      reset: true,
    });
    const restored = await snapshot(store, [a, b, gone]);
    expect(restored[gone]).toEqual({ ids: [], summary: undefined });
    for (const key of [a, b]) {
      const events = await store.getEvents(key);
      expect(events.length).toBe(appended.length / 2);
      expect((await store.getSummary(key))?.bytes).toBe(jsonBytes(events));
    }
    // This release writes on in the old file (reused as its segment), growing it first.
    const more = conversation(store, a, 'new', 7);
    await store.append(more);
    await store.close();
    const grown = await journalBytes(name);
    expect(grown.length).toBeGreaterThanOrEqual(decodeFrames(grown).end + RESERVE);

    await deleteDatabase(name);
    const twice = await open(name);
    expect(twice.restored).toMatchObject({
      events: appended.length + more.length,
      deletions: 1,
      damaged: 0,
    });
    expect(await snapshot(twice, [a, b, gone])).toEqual({
      ...restored,
      [a]: await snapshot(twice, [a]).then((s) => s[a]),
    });
    expect((await twice.getEvents(a)).length).toBe(appended.length / 2 + more.length);
    await twice.destroy();
  });
});
