/**
 * The committer's tip (src/store/commit-tx.ts): a commit sends its writes as
 * the tip predicts them, in one round, and when the read of `meta` (or an
 * add) shows the prediction was wrong, that transaction is aborted and the
 * commit made again, read first. Two stores on one database (no tab channel,
 * so neither hears of the other's commits) make every prediction go wrong in
 * turn.
 */
import { describe, expect, it } from 'vitest';
import { type AnyEvent, createEvent, type EventStore } from '../src/index.js';
import type { MetaRecord } from '../src/schema.js';
import { changesSince } from '../src/sync/index.js';
import {
  conversation,
  jsonBytes,
  openTestStore,
  rawAll,
  rawMeta,
  rawOpen,
  rawPut,
} from './store-helpers.js';

const KEY = 'agent:tip:main';

const note = (store: EventStore, content: string, key = KEY): AnyEvent =>
  createEvent(key, 'tip', { type: 'message_received', content }, { clock: store.clock });

/** The summary a store keeps must be the one its events give. */
async function expectSummaryOfLog(store: EventStore, key = KEY) {
  const events = await store.getEvents(key);
  const summary = await store.getSummary(key);
  expect(summary?.eventCount).toBe(events.length);
  expect(summary?.bytes).toBe(jsonBytes(events));
  expect(summary?.messageCount).toBe((await store.getProjection(key)).messageCount);
}

/** The stored events' ids by the commit sequence that added them: [sequence, ids]. */
async function commits(name: string): Promise<Array<[number, string[]]>> {
  const bySeq = new Map<number, string[]>();
  for (const r of await rawAll<{ id: string; seq: number }>(name, 'events'))
    bySeq.set(r.seq, [...(bySeq.get(r.seq) ?? []), r.id].sort());
  return [...bySeq].sort((x, y) => x[0] - y[0]);
}

describe('an append predicted from the tip', () => {
  it('takes the right sequence and summary when another store committed in between', async () => {
    const a = await openTestStore();
    const b = await openTestStore({ name: a.name });
    const e1 = note(a, 'one');
    const e2 = note(b, 'two');
    const e3 = note(a, 'three');
    const e4 = note(a, 'four');
    await a.append(e1); // no tip yet
    await b.append(e2); // b has no tip either
    await a.append(e3); // a's tip is one commit behind
    await a.append(e4); // and now right
    await expectSummaryOfLog(a);
    expect(await commits(a.name)).toEqual([
      [1, [e1.id]],
      [2, [e2.id]],
      [3, [e3.id]],
      [4, [e4.id]],
    ]);
    expect((await rawMeta(a.name)).seq).toBe(4);
    expect((await changesSince(a, 2)).events).toEqual([e3, e4]);
    await a.close();
    await b.close();
  });

  it('takes the right sequence when the commit in between was a deletion', async () => {
    const a = await openTestStore();
    const b = await openTestStore({ name: a.name });
    const other = 'agent:tip:other';
    await a.append(note(a, 'one'));
    await b.append(note(b, 'x', other));
    await a.append(note(a, 'two')); // a's tip: sequence 3
    await b.deleteSession(other); // sequence 4
    const late = note(a, 'three');
    await a.append(late); // a predicts 4: taken by the deletion
    expect((await commits(a.name)).map(([seq]) => seq)).toEqual([1, 3, 5]); // 2 was the deleted session's
    const changes = await changesSince(a, 3);
    expect(changes).toEqual({
      seq: 5,
      events: [late],
      tombstones: [{ sessionKey: other, timestamp: expect.any(String) }],
    });
    await expectSummaryOfLog(a);
    await a.close();
    await b.close();
  });

  it('skips what a deletion made elsewhere covers, though the tip did not know of it', async () => {
    const a = await openTestStore();
    const b = await openTestStore({ name: a.name });
    await a.append(conversation(a, KEY).slice(0, 3));
    const before = note(a, 'before the deletion');
    await b.deleteSession(KEY);
    const after = note(b, 'after the deletion');
    const result = await a.append([before, after]); // a's tip still has the session, no tombstone
    expect(result.skipped).toEqual([before]);
    expect(result.added).toEqual([after]);
    expect(await a.getEvents(KEY)).toEqual([after]);
    await expectSummaryOfLog(a);
    expect((await commits(a.name)).at(-1)?.[1]).toEqual([after.id]);
    await a.close();
    await b.close();
  });

  it('counts an id already stored as a duplicate, in the summary and the commit record', async () => {
    const a = await openTestStore();
    const b = await openTestStore({ name: a.name });
    const first = note(a, 'one');
    await a.append(first);
    const shared = note(b, 'shared');
    await b.append(shared);
    await a.append(note(a, 'two')); // a's tip is right again
    const fresh = note(a, 'three');
    const result = await a.append([first, fresh]);
    expect(result).toEqual({ added: [fresh], duplicates: [first], skipped: [] });
    const again = await a.append([shared, note(a, 'four')]); // stored by b: known to the log only
    expect(again.duplicates).toEqual([shared]);
    await expectSummaryOfLog(a);
    const records = await commits(a.name);
    expect(records.map(([seq, ids]) => [seq, ids.length])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 1],
      [5, 1],
    ]);
    await a.close();
    await b.close();
  });

  it('keeps what another writer put in meta without a commit (journal watermarks)', async () => {
    const a = await openTestStore({ journal: false }); // its own watermarks would be in meta too
    await a.append(note(a, 'one'));
    await a.append(note(a, 'two')); // a's tip holds meta
    const meta = await rawMeta(a.name);
    const marked: MetaRecord = {
      ...meta,
      journal: { other: { file: '9.0.log', at: 1, end: 2 } },
    } as MetaRecord;
    const db = await rawOpen(a.name);
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('meta', 'readwrite');
      tx.objectStore('meta').put(marked, 'state');
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error);
    });
    db.close();
    await a.append(note(a, 'three'));
    expect(await rawMeta(a.name)).toEqual({ ...marked, seq: meta.seq + 1 });
    await a.close();
  });

  it('a summary damaged under a store that predicts it is replaced by the right one', async () => {
    const a = await openTestStore();
    await a.append(conversation(a, KEY).slice(0, 3));
    await a.append(note(a, 'two')); // a's tip holds the summary
    const [summary] = await rawAll<Record<string, unknown>>(a.name, 'sessions');
    await rawPut(a.name, 'sessions', [{ ...summary, eventCount: 'many' }]);
    await a.append(note(a, 'three'));
    await expectSummaryOfLog(a);
    await a.close();
  });

  it('a summary found damaged when reading first is reported and rebuilt from the log', async () => {
    const a = await openTestStore();
    await a.append(conversation(a, KEY).slice(0, 3));
    const [summary] = await rawAll<Record<string, unknown>>(a.name, 'sessions');
    await rawPut(a.name, 'sessions', [{ ...summary, eventCount: 'many' }]);
    const other = await openTestStore({ name: a.name });
    const corrupt: unknown[] = [];
    other.on('corrupt', (c) => corrupt.push(c));
    await other.append(note(other, 'two')); // no tip: reads first
    expect(corrupt).toMatchObject([{ store: 'sessions', key: KEY }]);
    await expectSummaryOfLog(other);
    await other.close();
    await a.close();
  });
});
