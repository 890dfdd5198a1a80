/**
 * Issue 3, writing: validation of batches, atomicity of a failed transaction,
 * group commit, durability modes and flush, and 1,000 concurrent appends to
 * 10 sessions whose summaries must equal the projections of the log.
 */
import { describe, expect, it } from 'vitest';
import {
  type AnyEvent,
  compareEvents,
  createEvent,
  type EventStore,
  EventStoreError,
  mainSessionKey,
  project,
} from '../src/index.js';
import { summaryOf } from '../src/summary.js';
import {
  conversation,
  jsonBytes,
  kindsFor,
  openTestStore,
  rawAll,
  rawMeta,
  settle,
  tappedFactory,
  waitFor,
  within,
  withPatched,
} from './store-helpers.js';

/** Everything the store holds, read back through its own API. */
async function contents(store: EventStore) {
  const keys = await store.listSessions();
  return {
    keys,
    events: await Promise.all(keys.map((k) => store.getEvents(k))),
    summaries: await store.listSummaries(),
  };
}

describe('append: validation', () => {
  it('rejects a batch with one invalid event, naming index and field, and writes nothing', async () => {
    const store = await openTestStore();
    const key = mainSessionKey('val');
    const good = conversation(store, key);
    const bad = { ...good[1]!, kind: { type: 'message_received', content: 42 } };
    const seqBefore = (await rawMeta(store.name)).seq;

    const batch = [good[0]!, bad as unknown as AnyEvent, good[2]!];
    const error = await store.append(batch).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventStoreError);
    expect(error).toMatchObject({ code: 'validation', index: 1, field: 'kind.content' });
    expect((error as Error).message).toContain('events[1]');

    // A tampered id (content changed after hashing) is named the same way.
    const forged = { ...good[3]!, agent_id: 'someone-else' };
    await expect(store.append([good[0]!, forged])).rejects.toMatchObject({
      code: 'validation',
      index: 1,
      field: 'id',
    });
    // A single event (not an array) has a field but no index.
    await expect(store.append(bad as unknown as AnyEvent)).rejects.toMatchObject({
      code: 'validation',
      field: 'kind.content',
      index: undefined,
    });
    await expect(store.append([good[0]!, null as unknown as AnyEvent])).rejects.toMatchObject({
      code: 'validation',
      index: 1,
      field: 'event',
    });

    expect(await rawAll(store.name, 'events')).toEqual([]);
    expect(await rawAll(store.name, 'sessions')).toEqual([]);
    expect((await rawMeta(store.name)).seq).toBe(seqBefore);
    expect(await store.listSessions()).toEqual([]);
    expect(await store.getSummary(key)).toBeUndefined();
    await store.close();
  });

  it('an invalid batch does not disturb valid appends issued in the same tick', async () => {
    const store = await openTestStore();
    const key = mainSessionKey('val2');
    const [a, b] = conversation(store, key);
    const bad = { ...b!, timestamp: 'yesterday' } as AnyEvent;
    const [ok, rejected] = await Promise.all([
      settle(store.append(a!)),
      settle(store.append([b!, bad])),
    ]);
    expect(ok.ok).toBe(true);
    expect(rejected).toMatchObject({ ok: false, error: { code: 'validation', index: 1 } });
    expect((await store.getEvents(key)).map((e) => e.id)).toEqual([a!.id]);
    expect((await store.getSummary(key))?.eventCount).toBe(1);
    await store.close();
  });

  it('an empty batch resolves with nothing done', async () => {
    const store = await openTestStore();
    const seq = (await rawMeta(store.name)).seq;
    await expect(store.append([])).resolves.toEqual({ added: [], duplicates: [], skipped: [] });
    expect((await rawMeta(store.name)).seq).toBe(seq);
    await store.close();
  });
});

describe('append: atomicity', () => {
  const FAIL = mainSessionKey('doomed');

  async function seeded() {
    const store = await openTestStore();
    const a = mainSessionKey('alpha');
    const first = conversation(store, a).slice(0, 4);
    await store.append(first);
    await store.append(conversation(store, FAIL).slice(0, 2));
    const seen: unknown[] = [];
    store.subscribe(a, (p) => seen.push(p));
    await waitFor(() => store.getSnapshot(a) !== undefined);
    return { store, a, before: await contents(store), meta: await rawMeta(store.name), seen };
  }

  async function expectUnchanged(s: Awaited<ReturnType<typeof seeded>>) {
    expect(await contents(s.store)).toEqual(s.before);
    expect(await rawMeta(s.store.name)).toEqual(s.meta);
    const rawEvents = await rawAll<{ id: string }>(s.store.name, 'events');
    expect(rawEvents.map((r) => r.id).sort()).toEqual(
      s.before.events
        .flat()
        .map((e) => e.id)
        .sort(),
    );
  }

  it('a transaction aborted after its writes were issued rejects every caller and leaves nothing', async () => {
    const s = await seeded();
    const { store, a } = s;
    const snapshot = store.getSnapshot(a);
    const more = conversation(store, a, 'default', 1);
    const doomed = conversation(store, FAIL, 'default', 1).slice(1, 3);
    const fresh = conversation(store, mainSessionKey('beta')).slice(0, 3);
    const put = IDBObjectStore.prototype as unknown as Record<'put', unknown>;
    const outcomes = await withPatched(
      put,
      'put',
      (original) =>
        function (this: IDBObjectStore, ...args: unknown[]) {
          const request = original.apply(this, args) as IDBRequest;
          // Once the doomed session's summary is written, the transaction fails (as a disk or
          // quota error would fail it): everything it wrote must roll back.
          if (this.name === 'sessions' && (args[0] as { sessionKey?: string }).sessionKey === FAIL)
            request.addEventListener('success', () => this.transaction.abort());
          return request;
        },
      () =>
        Promise.all([
          settle(store.append(more.slice(0, 3))),
          settle(store.append(doomed)),
          settle(
            store.record(mainSessionKey('beta'), 'b', { type: 'message_received', content: 'x' }),
          ),
          settle(store.append(fresh)),
        ]),
    );
    for (const outcome of outcomes) {
      expect(outcome.ok).toBe(false);
      const error = (outcome as { error: unknown }).error;
      expect(error).toBeInstanceOf(EventStoreError);
      expect((error as EventStoreError).code).toBe('storage');
    }
    await expectUnchanged(s);
    expect(store.getSnapshot(a)).toBe(snapshot);
    // The store is still usable, and the same events go in on a retry.
    const retry = await within(store.append([...more.slice(0, 3), ...doomed, ...fresh]));
    expect(retry.added).toHaveLength(8);
    expect((await store.getSummary(FAIL))?.eventCount).toBe(4);
    const all = await store.getEvents(a);
    expect(all).toHaveLength(7);
    await waitFor(() => store.getSnapshot(a)?.messages.length === project(all).messages.length);
    await store.close();
  });

  it('a record that fails to be written synchronously (DataCloneError) aborts the whole batch', async () => {
    const s = await seeded();
    const { store, a } = s;
    const before = conversation(store, a, 'default', 2).slice(0, 3);
    const doomed = conversation(store, FAIL, 'default', 2).slice(1, 2);
    const after = conversation(store, a, 'default', 3).slice(0, 2);
    const add = IDBObjectStore.prototype as unknown as Record<'add', unknown>;
    const outcomes = await withPatched(
      add,
      'add',
      (original) =>
        function (this: IDBObjectStore, ...args: unknown[]) {
          if ((args[0] as { session_key?: string }).session_key === FAIL)
            throw new DOMException('value could not be cloned', 'DataCloneError');
          return original.apply(this, args);
        },
      () =>
        Promise.all([settle(store.append(before)), settle(store.append([...doomed, ...after]))]),
    );
    for (const outcome of outcomes) expect(outcome).toMatchObject({ ok: false });
    await expectUnchanged(s);
    await store.close();
  });
});

describe('append: group commit', () => {
  it('appends issued in one tick share one transaction and resolve after it completes', async () => {
    const tap = tappedFactory();
    const store = await openTestStore({ indexedDB: tap.factory });
    const seq = (await rawMeta(store.name)).seq;
    const writesBefore = tap.writes().length;
    const keys = [mainSessionKey('g1'), mainSessionKey('g2'), mainSessionKey('g3')];
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      const key = keys[i % 3]!;
      const call =
        i % 2 === 0
          ? store.append(
              createEvent(
                key,
                'g',
                { type: 'message_received', content: `m${i}` },
                { clock: store.clock },
              ),
            )
          : store.record(key, 'g', { type: 'state_changed', key: 'n', value: i });
      calls.push(call.then(() => tap.log.push(`resolved${i}`)));
    }
    await within(Promise.all(calls));
    const writes = tap.writes().slice(writesBefore);
    expect(writes).toHaveLength(1);
    expect(await writes[0]!.ended).toBe('complete');
    expect((await rawMeta(store.name)).seq).toBe(seq + 1);
    // Every caller resolved after the commit, none before.
    const committed = tap.log.indexOf(`tx${tap.transactions.indexOf(writes[0]!)}:complete`);
    expect(committed).toBeGreaterThanOrEqual(0);
    const resolved = tap.log
      .map((l, i) => (l.startsWith('resolved') ? i : -1))
      .filter((i) => i >= 0);
    expect(resolved).toHaveLength(60);
    expect(Math.min(...resolved)).toBeGreaterThan(committed);
    for (const key of keys) expect((await store.getSummary(key))?.eventCount).toBe(20);
    await store.close();
  });

  it('duplicates within a group are stored once and reported to each caller', async () => {
    const store = await openTestStore();
    const key = mainSessionKey('dup');
    const [e1, e2] = conversation(store, key);
    const [r1, r2, r3] = await Promise.all([
      store.append([e1!, e2!, e1!]),
      store.append(e2!),
      store.append([e1!]),
    ]);
    expect(r1!.added.map((e) => e.id)).toEqual([e1!.id, e2!.id]);
    expect(r1!.duplicates.map((e) => e.id)).toEqual([e1!.id]);
    expect(r2).toEqual({ added: [], duplicates: [e2], skipped: [] });
    expect(r3).toEqual({ added: [], duplicates: [e1], skipped: [] });
    const seq = (await rawMeta(store.name)).seq;
    // Appending stored events again succeeds and changes nothing, not even the sequence.
    const again = await store.append([e2!, e1!]);
    expect(again.added).toEqual([]);
    expect(again.duplicates).toHaveLength(2);
    expect((await rawMeta(store.name)).seq).toBe(seq);
    expect((await store.getSummary(key))?.eventCount).toBe(2);
    await store.close();
  });
});

describe('append: summaries written with the adds', () => {
  it('a batch mixing stored and new events leaves each summary exact, and an all-stored session untouched', async () => {
    const store = await openTestStore();
    const [a, b] = [mainSessionKey('mixed-a'), mainSessionKey('mixed-b')];
    const [a1, a2] = conversation(store, a);
    const [b1, b2, b3] = conversation(store, b);
    await store.append([a1!, a2!, b1!]);
    const beforeA = await store.getSummary(a);
    const seq = (await rawMeta(store.name)).seq;
    // Session a: every event already stored; session b: one stored, two new.
    const result = await store.append([a1!, b1!, b2!, a2!, b3!]);
    expect(result.added.map((e) => e.id)).toEqual([b2!.id, b3!.id]);
    expect(result.duplicates.map((e) => e.id)).toEqual([a1!.id, b1!.id, a2!.id]);
    expect(await store.getSummary(a)).toEqual(beforeA);
    const summaryB = await store.getSummary(b);
    const expected = project(await store.getEvents(b));
    expect(summaryB).toMatchObject({
      eventCount: 3,
      messageCount: expected.messageCount,
      lastEventId: expected.lastEventId,
      state: expected.state,
      tokens: expected.tokens,
    });
    expect((await rawMeta(store.name)).seq).toBe(seq + 1);
    await store.close();
  });
});

describe('append: durability', () => {
  it('uses relaxed by default, strict when asked per call or per store, and flush() is strict', async () => {
    const tap = tappedFactory();
    const store = await openTestStore({ indexedDB: tap.factory });
    const key = mainSessionKey('dur');
    const [a, b, c] = conversation(store, key);
    let start = tap.writes().length;
    await store.append(a!);
    expect(
      tap
        .writes()
        .slice(start)
        .map((t) => t.durability),
    ).toEqual(['relaxed']);

    start = tap.writes().length;
    await store.append(b!, { durability: 'strict' });
    expect(
      tap
        .writes()
        .slice(start)
        .map((t) => t.durability),
    ).toEqual(['strict']);

    // Strict and relaxed callers of one tick are split into one transaction each.
    start = tap.writes().length;
    const d = conversation(store, key, 'default', 1);
    await Promise.all([store.append(d[0]!, { durability: 'strict' }), store.append(d[1]!)]);
    expect(
      tap
        .writes()
        .slice(start)
        .map((t) => t.durability)
        .sort(),
    ).toEqual(['relaxed', 'strict']);

    // flush waits for what was appended before it, then commits a strict transaction.
    let appended = false;
    const pending = store.append(c!).then(() => {
      appended = true;
    });
    const txBefore = tap.transactions.length;
    await within(store.flush());
    expect(appended).toBe(true);
    const flushTx = tap.transactions.slice(txBefore).filter((t) => t.mode === 'readwrite');
    expect(flushTx.at(-1)).toMatchObject({ durability: 'strict' });
    expect(await flushTx.at(-1)!.ended).toBe('complete');
    await pending;
    expect((await store.getEvents(key)).length).toBe(5);
    await store.close();

    const strict = await openTestStore({ indexedDB: tap.factory, durability: 'strict' });
    expect(strict.durability).toBe('strict');
    start = tap.writes().length;
    await strict.record(key, 'x', { type: 'message_received', content: 'strict' });
    expect(
      tap
        .writes()
        .slice(start)
        .map((t) => t.durability),
    ).toEqual(['strict']);
    expect((await strict.getProjection(key)).messageCount).toBe(1);
    await within(strict.flush());
    await strict.close();
  });
});

describe('append: concurrency in one tab', () => {
  it('1,000 concurrent appends to 10 sessions: each stored once, summaries equal the projections', async () => {
    const store = await openTestStore();
    const keys = Array.from({ length: 10 }, (_, i) => mainSessionKey(`c${i}`));
    const sessionsSeen: Array<readonly unknown[]> = [];
    store.subscribeSummaries((s) => sessionsSeen.push(s));
    // Events of every kind; some with timestamps in the past, so arrival order is not time order.
    const events: AnyEvent[] = [];
    for (let i = 0; i < 1000; i++) {
      const key = keys[i % 10]!;
      const round = Math.floor(i / 80);
      const kind = kindsFor(round)[Math.floor(i / 10) % 8]!;
      const past =
        i % 7 === 0 ? { timestamp: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString() } : {};
      events.push(
        createEvent(key, i % 13 === 0 ? 'other-agent' : 'agent', kind, {
          clock: store.clock,
          ...past,
        }),
      );
    }
    const duplicates = events.filter((_, i) => i % 9 === 0);
    const calls: Promise<unknown>[] = [];
    for (let wave = 0; wave < 10; wave++) {
      const slice = events.slice(wave * 100, wave * 100 + 100);
      // Singles, small batches and repeats, spread over several ticks without awaiting the commits.
      for (let j = 0; j < slice.length; j += 1 + (j % 4)) {
        const part = slice.slice(j, j + 1 + (j % 4));
        calls.push(store.append(part.length === 1 ? part[0]! : part));
      }
      calls.push(store.append(duplicates.slice(wave * 10, wave * 10 + 12)));
      await new Promise((r) => setTimeout(r, wave % 3));
    }
    calls.push(...duplicates.slice(0, 30).map((e) => store.append(e)));
    await within(Promise.all(calls), 20_000);

    const stored = await rawAll<{ id: string }>(store.name, 'events');
    expect(stored).toHaveLength(1000);
    expect(new Set(stored.map((r) => r.id)).size).toBe(1000);
    expect(await store.listSessions()).toEqual([...keys].sort());
    for (const key of keys) {
      const mine = events.filter((e) => e.session_key === key);
      const got = await store.getEvents(key);
      expect(got.map((e) => e.id)).toEqual([...mine].sort(compareEvents).map((e) => e.id));
      const expected = summaryOf(project(got), got.length, jsonBytes(got));
      const summary = await store.getSummary(key);
      expect(summary).toBeDefined();
      const fields = [
        'sessionKey',
        'agentId',
        'channel',
        'peerId',
        'state',
        'messageCount',
        'tokens',
        'customState',
        'lastActivity',
        'lastEventId',
        'eventCount',
        'bytes',
      ] as const;
      for (const f of fields) expect({ [f]: summary![f] }).toEqual({ [f]: expected[f] });
      expect(summary).toEqual(expected);
      expect(await store.getProjection(key)).toEqual(project(mine));
    }
    // The live summary list caught up with the same state.
    const listed = await store.listSummaries();
    await waitFor(() => {
      const live = store.getSummariesSnapshot();
      return (
        live !== undefined &&
        live.length === 10 &&
        live.every((s, i) => s.eventCount === listed[i]!.eventCount)
      );
    });
    expect(store.getSummariesSnapshot()).toEqual(listed);
    expect(sessionsSeen.length).toBeGreaterThan(0);
    await store.close();
  });
});
