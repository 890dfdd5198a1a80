/**
 * Issue 3, corrupt records: records written raw into the `events` store (as a
 * bug, another library or a damaged disk could) with a bad shape or an id that
 * does not match the content are skipped by every read and reported through
 * on('corrupt'); records of a kind this version does not know are kept and
 * ignored by projections; everything else stays readable.
 */
import { describe, expect, it } from 'vitest';
import { exportEvents } from '../src/entries/transfer.js';
import {
  type AnyEvent,
  type CorruptRecord,
  compareEvents,
  EventStoreError,
  mainSessionKey,
  project,
} from '../src/index.js';
import { conversation, openTestStore, rawPut, unknownKindEvent, waitFor } from './store-helpers.js';

const KEY = mainSessionKey('damaged');
const OTHER = mainSessionKey('healthy');

async function damaged() {
  const store = await openTestStore();
  const good = conversation(store, KEY);
  await store.append(good);
  await store.append(conversation(store, OTHER));
  const corrupt: CorruptRecord[] = [];
  store.on('corrupt', (c) => corrupt.push(c));
  const ts = (s: number) => new Date(Date.parse(good[3]!.timestamp) + s).toISOString();
  const hex = (c: string) => c.repeat(64);
  const received = good[1]!;
  // Its first hex digit flipped: always another id (a fixed '00' prefix was the id itself once in 256 runs).
  const wrongId = (received.id[0] === '0' ? '1' : '0') + received.id.slice(1);
  const unknown = unknownKindEvent(KEY, ts(1));
  const records = [
    // Bad shapes, all visible to the session and message indexes.
    {
      id: hex('a'),
      session_key: KEY,
      timestamp: ts(2),
      agent_id: 'x',
      kind: 'garbage',
      seq: 1,
      msg: 1,
    },
    {
      id: hex('b'),
      session_key: KEY,
      timestamp: ts(3),
      agent_id: 42,
      kind: { type: 'message_received', content: 'x', attachments: [] },
      seq: 1,
      msg: 1,
    },
    { id: hex('c'), session_key: KEY, timestamp: ts(4), seq: 1 },
    // A message whose content was changed after its id was computed.
    { ...received, id: wrongId, seq: 1, msg: 1 },
    { ...received, kind: { ...received.kind, content: 'tampered' }, id: hex('d'), seq: 1, msg: 1 },
    // A kind from a newer version, with a correct id: kept, not a message.
    { ...unknown, seq: 1 },
  ];
  await rawPut(store.name, 'events', records);
  const bad = [hex('a'), hex('b'), hex('c'), wrongId, hex('d')];
  return { store, good, unknown, corrupt, bad };
}

describe('corrupt records', () => {
  it('are skipped by getEvents and reported; unknown kinds are kept and ignored by projections', async () => {
    const { store, good, unknown, corrupt, bad } = await damaged();
    const events = await store.getEvents(KEY);
    const expected: AnyEvent[] = [...good, unknown].sort(compareEvents);
    expect(events).toEqual(expected);
    expect(corrupt.map((c) => c.key).sort()).toEqual([...bad].sort());
    for (const c of corrupt) {
      expect(c.store).toBe('events');
      expect(c.error).toBeInstanceOf(EventStoreError);
      expect(c.error.code).toBe('validation');
    }
    const byKey = new Map(corrupt.map((c) => [c.key, c.error.field]));
    expect(byKey.get('a'.repeat(64))).toBe('kind');
    expect(byKey.get('b'.repeat(64))).toBe('agent_id');
    expect(byKey.get('d'.repeat(64))).toBe('id');

    const projection = await store.getProjection(KEY);
    expect(projection).toEqual(project(good));
    expect(projection).toEqual(project(expected));
    expect(await store.getEventsSince(KEY, good[0]!.timestamp)).toEqual(expected.slice(1));
    // The other session never notices.
    expect(await store.getProjection(OTHER)).toEqual(project(await store.getEvents(OTHER)));
    await store.close();
  });

  it('are skipped by message pages, exports and live projections', async () => {
    const { store, good, unknown, corrupt } = await damaged();
    const messages = project(good).messages;
    expect(await store.getMessages(KEY)).toEqual({ messages, hasMore: false });
    expect(corrupt.length).toBeGreaterThan(0);
    // Pages stay full-size despite the corrupt records in the message index.
    const page = await store.getMessages(KEY, { limit: 2 });
    expect(page.messages).toEqual(messages.slice(-2));

    const chunks: string[] = [];
    const reader = exportEvents(store, { sessions: [KEY] }).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    expect(chunks.map((c) => JSON.parse(c).id)).toEqual(
      [...good, unknown].sort(compareEvents).map((e) => e.id),
    );

    store.subscribe(KEY, () => {});
    await waitFor(() => store.getSnapshot(KEY) !== undefined);
    expect(store.getSnapshot(KEY)).toEqual(project(good));
    // Writing still works next to the damage.
    const e = await store.record(KEY, 'a', { type: 'message_received', content: 'after' });
    await waitFor(() => store.getSnapshot(KEY)?.lastEventId === e.id);
    expect((await store.getEvents(KEY)).map((x) => x.id)).toContain(e.id);
    await store.close();
  });

  it('a listener of corrupt that throws is reported as an error, reads still succeed', async () => {
    const { store, good, unknown } = await damaged();
    const errors: EventStoreError[] = [];
    store.on('error', (e) => errors.push(e));
    store.on('corrupt', () => {
      throw new Error('logger broke');
    });
    expect(await store.getEvents(KEY)).toHaveLength(good.length + 1);
    expect(errors.length).toBeGreaterThan(0);
    expect((errors[0]!.cause as Error).message).toBe('logger broke');
    expect(unknown.kind.type).toBe('reaction_added');
    await store.close();
  });
});
