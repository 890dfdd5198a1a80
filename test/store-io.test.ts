/**
 * Issue 3, export and import: JSON Lines in both formats round-trip through a
 * fresh store; imports validate every line and name bad ones by line number
 * (`reject` writes nothing, `skip` imports the rest), commit in batches with
 * progress, stop on an AbortSignal, and read every kind of source.
 * (The reference fixtures are imported in store-fixtures.node.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { exportEvents, type ImportProgress, importEvents } from '../src/entries/transfer.js';
import {
  type AnyEvent,
  compareEvents,
  createEvent,
  type EventStore,
  mainSessionKey,
  parseEvent,
  project,
  REFERENCE_ORIGIN,
} from '../src/index.js';
import {
  conversation,
  openTestStore,
  rawMeta,
  unknownKindEvent,
  waitFor,
} from './store-helpers.js';

async function readAll(stream: ReadableStream<string>): Promise<string[]> {
  const chunks: string[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

/** Three sessions (one long enough to span export pages), every kind, an unknown kind. */
async function populated(): Promise<{ store: EventStore; byKey: Map<string, AnyEvent[]> }> {
  const store = await openTestStore();
  const keys = [mainSessionKey('long'), 'Ａ-session', mainSessionKey('short')];
  const byKey = new Map<string, AnyEvent[]>();
  const long: AnyEvent[] = [];
  for (let i = 0; i < 620; i++) {
    long.push(
      createEvent(
        keys[0]!,
        'a',
        i % 2
          ? { type: 'message_received', content: `m ${i} 😀\u2028"q"\\` }
          : { type: 'state_changed', key: `k${i % 5}`, value: { n: i, f: 1.5 } },
        { clock: store.clock },
      ),
    );
  }
  byKey.set(keys[0]!, long);
  byKey.set(keys[1]!, [
    ...conversation(store, keys[1]!, 'b'),
    unknownKindEvent(keys[1]!, '2025-06-01T00:00:00Z'),
  ]);
  byKey.set(keys[2]!, conversation(store, keys[2]!, 'c', 1).slice(0, 3));
  for (const events of byKey.values()) await store.append(events);
  return { store, byKey };
}

describe('exportEvents', () => {
  it('streams JSON Lines in key order then (timestamp, id) order, and round-trips', async () => {
    const { store, byKey } = await populated();
    const chunks = await readAll(exportEvents(store));
    expect(chunks.every((c) => c.endsWith('\n') && c.indexOf('\n') === c.length - 1)).toBe(true);
    const lines = chunks.map((c) => c.slice(0, -1));
    const keys = await store.listSessions();
    const expected = keys.flatMap((k) => [...byKey.get(k)!].sort(compareEvents));
    expect(lines.length).toBe(expected.length);
    expect(lines.map((l) => JSON.parse(l))).toEqual(expected);

    const copy = await openTestStore();
    const result = await importEvents(copy, chunks.join(''));
    expect(result).toMatchObject({ added: expected.length, duplicates: 0, invalid: 0 });
    for (const key of keys) {
      expect(await copy.getEvents(key)).toEqual(await store.getEvents(key));
      expect(await copy.getSummary(key)).toEqual(await store.getSummary(key));
    }
    // Exporting the copy gives the same bytes.
    expect((await readAll(exportEvents(copy))).join('')).toBe(chunks.join(''));
    await store.close();
    await copy.close();
  });

  it('exports only the sessions asked for', async () => {
    const { store, byKey } = await populated();
    const key = mainSessionKey('short');
    const lines = await readAll(exportEvents(store, { sessions: [key, mainSessionKey('none')] }));
    expect(lines.map((l) => JSON.parse(l).id)).toEqual(
      [...byKey.get(key)!].sort(compareEvents).map((e) => e.id),
    );
    expect(await readAll(exportEvents(store, { sessions: [] }))).toEqual([]);
    await store.close();
  });

  it('the reference format round-trips: ids kept, no origin, same projections', async () => {
    const { store, byKey } = await populated();
    const text = (await readAll(exportEvents(store, { format: 'reference' }))).join('');
    const lines = text.trimEnd().split('\n');
    for (const line of lines.slice(0, 50)) {
      const raw = JSON.parse(line);
      expect(Object.keys(raw)).toEqual(['id', 'session_key', 'agent_id', 'timestamp', 'kind']);
      expect(raw.id).toHaveLength(32);
      expect(raw.id.every((b: unknown) => Number.isInteger(b) && (b as number) <= 255)).toBe(true);
    }
    const copy = await openTestStore();
    const result = await importEvents(copy, text);
    const total = [...byKey.values()].reduce((n, list) => n + list.length, 0);
    expect(result).toMatchObject({ added: total, invalid: 0 });
    for (const [key, events] of byKey) {
      const back = await copy.getEvents(key);
      expect(back.map((e) => e.id)).toEqual([...events].sort(compareEvents).map((e) => e.id));
      expect(back.every((e) => e.origin === REFERENCE_ORIGIN)).toBe(true);
      const strip = (list: AnyEvent[]) => list.map(({ origin: _, ...rest }) => rest);
      expect(strip(back)).toEqual(strip([...events].sort(compareEvents)));
      expect(await copy.getProjection(key)).toEqual(project(events));
    }
    // Exported again in the reference format: the same bytes.
    expect((await readAll(exportEvents(copy, { format: 'reference' }))).join('')).toBe(text);
    await store.close();
    await copy.close();
  });
});

describe('importEvents', () => {
  const KEY = mainSessionKey('imp');

  async function sample(
    n = 12,
  ): Promise<{ store: EventStore; events: AnyEvent[]; lines: string[] }> {
    const store = await openTestStore();
    const events: AnyEvent[] = [];
    for (let i = 0; i < n; i++)
      events.push(
        createEvent(
          KEY,
          'a',
          { type: 'message_received', content: `line ${i} é😀` },
          { clock: store.clock },
        ),
      );
    return { store, events, lines: events.map((e) => JSON.stringify(e)) };
  }

  it('is idempotent: a second import finds only duplicates', async () => {
    const { store, events, lines } = await sample();
    const first = await importEvents(store, lines.join('\n'));
    expect(first).toMatchObject({
      lines: 12,
      added: 12,
      duplicates: 0,
      invalid: 0,
      invalidLines: [],
    });
    const second = await importEvents(store, `${lines.join('\n')}\n${lines[0]}\n`);
    expect(second).toMatchObject({ lines: 13, added: 0, duplicates: 13 });
    expect((await store.getEvents(KEY)).map((e) => e.id)).toEqual(events.map((e) => e.id));
    expect((await store.getSummary(KEY))?.eventCount).toBe(12);
    await store.close();
  });

  it('reports bad lines by number; reject (the default) writes nothing', async () => {
    const { store, lines } = await sample(6);
    const forged = JSON.parse(lines[4]!);
    forged.kind.content = 'edited';
    const text = [
      lines[0],
      '',
      '{not json',
      lines[1],
      JSON.stringify({ ...JSON.parse(lines[2]!), kind: { type: 'message_received', content: 7 } }),
      '   ',
      lines[3],
      JSON.stringify(forged),
      lines[5],
    ].join('\r\n');
    const seq = (await rawMeta(store.name)).seq;
    const error = await importEvents(store, text).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'validation', line: 3 });
    expect((error as Error).message).toContain('line 3');
    expect(await store.listSessions()).toEqual([]);
    expect((await rawMeta(store.name)).seq).toBe(seq);

    const result = await importEvents(store, text, { onInvalid: 'skip' });
    expect(result.invalidLines.map((l) => [l.line, l.field])).toEqual([
      [3, undefined],
      [5, 'kind.content'],
      [8, 'id'],
    ]);
    expect(result).toMatchObject({ lines: 7, added: 4, invalid: 3 });
    expect((await store.getEvents(KEY)).map((e) => e.kind)).toEqual(
      [0, 1, 3, 5].map((i) => JSON.parse(lines[i]!).kind),
    );
    await store.close();
  });

  it('commits in batches and reports progress after each', async () => {
    const { store, lines } = await sample(25);
    const progress: ImportProgress[] = [];
    const text = `${lines.join('\n')}\n`;
    const result = await importEvents(store, text, {
      batchSize: 10,
      onProgress: (p) => progress.push({ ...p }),
    });
    expect(progress.map((p) => p.added)).toEqual([10, 20, 25]);
    expect(progress.at(-1)).toMatchObject({
      lines: 25,
      bytesRead: new TextEncoder().encode(text).length,
    });
    const { invalidLines: _, ...final } = result;
    expect(progress.at(-1)).toEqual(final);
    for (const mode of ['skip', 'reject'] as const) {
      const again: ImportProgress[] = [];
      await importEvents(store, text, {
        batchSize: 7,
        onInvalid: mode,
        onProgress: (p) => again.push(p),
      });
      expect(again.map((p) => p.duplicates)).toEqual([7, 14, 21, 25]);
      for (let i = 1; i < again.length; i++) {
        expect(again[i]!.lines).toBeGreaterThanOrEqual(again[i - 1]!.lines);
        expect(again[i]!.bytesRead).toBeGreaterThanOrEqual(again[i - 1]!.bytesRead);
      }
    }
    await store.close();
  });

  it('stops on an AbortSignal with `aborted`, keeping committed batches', async () => {
    const { store, lines } = await sample(30);
    const text = lines.join('\n');
    const before = new AbortController();
    before.abort(new Error('user cancelled'));
    await expect(importEvents(store, text, { signal: before.signal })).rejects.toMatchObject({
      code: 'aborted',
    });
    expect(await store.listSessions()).toEqual([]);

    for (const mode of ['skip', 'reject'] as const) {
      const controller = new AbortController();
      const error = await importEvents(store, text, {
        batchSize: 10,
        onInvalid: mode,
        signal: controller.signal,
        onProgress: () => controller.abort(),
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'aborted' });
      expect((error as Error).cause).toBe(controller.signal.reason);
    }
    // The first batch of 10 was committed and stays; nothing after it.
    expect(await store.getEvents(KEY)).toHaveLength(10);
    await store.close();
  });

  it('reads strings, Blobs, byte streams split inside characters, async and plain iterables', async () => {
    const { events, lines } = await sample(8);
    const text = `${lines.join('\r\n')}\r\n`;
    const bytes = new TextEncoder().encode(text);
    // Cut the bytes every 7 bytes: many cuts fall inside é (2 bytes) or 😀 (4 bytes).
    const pieces: Uint8Array[] = [];
    for (let i = 0; i < bytes.length; i += 7) pieces.push(bytes.slice(i, i + 7));
    const sources = {
      string: () => text,
      blob: () => new Blob([text]),
      stream: () =>
        new ReadableStream<Uint8Array>({
          start(controller) {
            for (const piece of pieces) controller.enqueue(piece);
            controller.close();
          },
        }),
      asyncIterable: () =>
        (async function* () {
          for (const piece of pieces) yield piece;
        })(),
      lines: () => lines,
    };
    for (const [name, source] of Object.entries(sources)) {
      const store = await openTestStore();
      const result = await importEvents(store, source());
      expect(result, name).toMatchObject({ added: 8, invalid: 0 });
      expect(
        (await store.getEvents(KEY)).map((e) => e.kind),
        name,
      ).toEqual(events.map((e) => e.kind));
      await store.close();
    }
  });

  it('rejects a source that is not UTF-8 with `serialization`, writing nothing', async () => {
    const store = await openTestStore();
    const { lines } = await sample(2);
    const good = new TextEncoder().encode(`${lines[0]}\n`);
    const bad = new Uint8Array([...good, 0xff, 0xfe, 0x0a]);
    await expect(importEvents(store, new Blob([bad]))).rejects.toMatchObject({
      code: 'serialization',
    });
    expect(await store.listSessions()).toEqual([]);
    await store.close();
  });

  it('imported events reach live subscribers and the summary list', async () => {
    const { store, events, lines } = await sample(5);
    store.subscribe(KEY, () => {});
    store.subscribeSummaries(() => {});
    await importEvents(store, lines.join('\n'));
    await waitFor(() => store.getSnapshot(KEY)?.messages.length === 5);
    expect(store.getSnapshot(KEY)).toEqual(project(events.map((e) => parseEvent(e))));
    await waitFor(() => store.getSummariesSnapshot()?.[0]?.eventCount === 5);
    await store.close();
  });
});
