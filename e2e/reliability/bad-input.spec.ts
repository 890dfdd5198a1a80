/**
 * Hazard: bad input at every door — append, import and the tab channel —
 * in real Chromium. Each row of the catalog must end in a typed error (an
 * EventStoreError with the expected code, and the field / batch index / line
 * where it applies) or, for the channel, be ignored (channelStats.ignored
 * grows); and nothing may be written: the number of stored events and the
 * commit sequence in `meta` are unchanged after each row, and live state still
 * equals the log.
 */
import { expect, test } from '@playwright/test';
import type { EventStore } from '../../src/index.js';
import { muteViteClient, openPage, uniqueDb } from './kit.js';

const KEY = 'agent:bad:main';

declare global {
  interface Window {
    bad: { store: EventStore; errors: string[] };
  }
}

interface Row {
  name: string;
  /** `ignored` for channel rows; else the error code, or `untyped …` / `resolved`. */
  outcome: string;
  field?: string | undefined;
  index?: number | undefined;
  line?: number | undefined;
  /** Stored events and meta.seq changed by the row. */
  written: boolean;
}

test('a catalog of bad inputs to append, import and the tab channel: each typed or ignored, nothing written', async ({
  context,
}) => {
  test.setTimeout(120_000);
  await muteViteClient(context);
  const receiver = await openPage(context);
  const sender = await openPage(context);
  const pageErrors: string[] = [];
  for (const p of [receiver, sender]) p.on('pageerror', (e) => pageErrors.push(e.message));
  const name = uniqueDb('bad');

  await receiver.evaluate(
    async ({ name, key }) => {
      const store = await window.sessionlog.openEventStore({ name });
      const errors: string[] = [];
      store.on('error', (e) => errors.push(e.message));
      window.bad = { store, errors };
      // Some history, so deletions and duplicates have something to hit.
      await store.append(
        Array.from({ length: 12 }, (_, k) => window.kit.event(store, key, 'seed', k)),
      );
      await window.kit.live(store, [key]);
    },
    { name, key: KEY },
  );

  // ---- append and import, in the page that owns the store
  const rows = await receiver.evaluate(async (key) => {
    const { store } = window.bad;
    const { createEvent, MAX_EVENT_BYTES, MAX_SESSION_KEY_LENGTH } = window.sessionlog;
    const good = () =>
      JSON.parse(
        JSON.stringify(
          createEvent(
            key,
            'bad',
            { type: 'message_received', content: 'fine' },
            { clock: store.clock, origin: store.origin },
          ),
        ),
      ) as Record<string, unknown>;
    const withKind = (kind: unknown) => ({ ...good(), kind });
    const withField = (field: string, value: unknown) => ({ ...good(), [field]: value });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const line = (v: unknown) => `${JSON.stringify(v)}\n`;
    const fineLine = () =>
      line(
        createEvent(
          key,
          'bad',
          { type: 'message_sent', content: 'x', message_id: 'm' },
          { clock: store.clock, origin: store.origin },
        ),
      );

    const appendRows: Array<[string, () => unknown]> = [
      ['null', () => null],
      ['a number', () => 42],
      ['a string', () => 'message'],
      ['an array holding null at index 1', () => [good(), null, good()]],
      [
        'no id',
        () => {
          const e = good();
          delete e.id;
          return e;
        },
      ],
      ['id not hex', () => withField('id', 'z'.repeat(64))],
      ['id too short', () => withField('id', 'a'.repeat(63))],
      ['id of other content', () => ({ ...good(), id: good().id })],
      [
        'reference id with 31 bytes',
        () => {
          const e = good();
          delete e.origin;
          return { ...e, id: Array(31).fill(1) };
        },
      ],
      [
        'reference id with a byte of 300',
        () => {
          const e = good();
          delete e.origin;
          return { ...e, id: [...Array(31).fill(1), 300] };
        },
      ],
      ['empty session key', () => withField('session_key', '')],
      [
        'session key too long',
        () => withField('session_key', 'k'.repeat(MAX_SESSION_KEY_LENGTH + 1)),
      ],
      ['session key a number', () => withField('session_key', 7)],
      ['agent id an array', () => withField('agent_id', ['a'])],
      ['timestamp not RFC 3339', () => withField('timestamp', 'yesterday')],
      ['timestamp in year 10000', () => withField('timestamp', '10000-01-01T00:00:00Z')],
      [
        'timestamp two hours ahead (clock skew bound)',
        () => withField('timestamp', new Date(Date.now() + 2 * 3600_000).toISOString()),
      ],
      ['empty origin', () => withField('origin', '')],
      ['unknown top-level field', () => withField('extra', true)],
      ['no kind', () => withField('kind', undefined)],
      ['kind type a number', () => withKind({ type: 7 })],
      ['kind type not snake_case', () => withKind({ type: 'Not A Type' })],
      [
        'content a number',
        () => withKind({ type: 'message_received', content: 1, attachments: [] }),
      ],
      [
        'attachments not an array',
        () => withKind({ type: 'message_received', content: 'x', attachments: {} }),
      ],
      [
        'negative token count',
        () =>
          withKind({
            type: 'agent_response',
            content: 'x',
            model: 'm',
            tokens: {
              input_tokens: -1,
              output_tokens: 1,
              cache_read_tokens: null,
              cache_write_tokens: null,
            },
          }),
      ],
      [
        'NaN in tool params',
        () => withKind({ type: 'tool_called', tool_name: 't', params: { n: Number.NaN } }),
      ],
      [
        'a function in state',
        () => withKind({ type: 'state_changed', key: 'k', value: { f: () => 1 } }),
      ],
      [
        'a BigInt in a tool result',
        () => withKind({ type: 'tool_result', tool_name: 't', result: 1n, success: true }),
      ],
      ['a cycle in state', () => withKind({ type: 'state_changed', key: 'k', value: cyclic })],
      [
        'a lone surrogate in content',
        () => withKind({ type: 'message_received', content: 'a\uD800b', attachments: [] }),
      ],
      [
        'an event over MAX_EVENT_BYTES',
        () =>
          withKind({
            type: 'message_received',
            content: 'x'.repeat(MAX_EVENT_BYTES),
            attachments: [],
          }),
      ],
      [
        '1000 good events and one bad at the end',
        () => [
          ...Array.from({ length: 1000 }, () =>
            createEvent(
              key,
              'bad',
              { type: 'message_received', content: 'ok' },
              { clock: store.clock, origin: store.origin },
            ),
          ),
          withField('timestamp', 'soon'),
        ],
      ],
    ];
    const importRows: Array<[string, () => Promise<unknown>]> = [
      [
        'import: a line that is not JSON',
        () => window.sessionlog.importEvents(store, `${fineLine()}{not json\n`),
      ],
      [
        'import: a JSON array line',
        () => window.sessionlog.importEvents(store, `${fineLine()}[1,2]\n`),
      ],
      [
        'import: an empty object on line 3',
        () => window.sessionlog.importEvents(store, `${fineLine()}${fineLine()}{}\n`),
      ],
      [
        'import: an event whose id does not match, line 2',
        () =>
          window.sessionlog.importEvents(
            store,
            `${fineLine()}${line({ ...good(), id: good().id })}`,
          ),
      ],
      [
        'import: invalid UTF-8 bytes',
        () =>
          window.sessionlog.importEvents(
            store,
            new Blob([fineLine(), new Uint8Array([0xff, 0xfe, 0x0a])]),
          ),
      ],
      [
        'import: a stream that fails midway',
        () =>
          window.sessionlog.importEvents(
            store,
            new ReadableStream<string>({
              start(c) {
                c.enqueue(fineLine());
                c.error(new Error('disk gone'));
              },
            }),
          ),
      ],
      [
        'import: a source of the wrong type',
        () => window.sessionlog.importEvents(store, 42 as never),
      ],
      [
        'import: already aborted',
        () => window.sessionlog.importEvents(store, fineLine(), { signal: AbortSignal.abort() }),
      ],
      [
        'import: batchSize 0',
        () => window.sessionlog.importEvents(store, fineLine(), { batchSize: 0 }),
      ],
      [
        'import: batchSize NaN',
        () => window.sessionlog.importEvents(store, fineLine(), { batchSize: Number.NaN }),
      ],
      [
        'import: onInvalid not a mode',
        () => window.sessionlog.importEvents(store, fineLine(), { onInvalid: 'ignore' as never }),
      ],
      ['record: an unknown kind', () => store.record(key, 'bad', { type: 'not_a_kind' } as never)],
      [
        'record: empty session key',
        () => store.record('', 'bad', { type: 'message_received', content: 'x' }),
      ],
    ];

    const state = async () => ({
      count: (await window.kit.rawAll(store.name, 'events')).length,
      seq: (await window.kit.rawMeta(store.name)).seq,
    });
    const out: Array<{
      name: string;
      outcome: string;
      field?: string;
      index?: number;
      line?: number;
      written: boolean;
    }> = [];
    const run = async (name: string, call: () => Promise<unknown>) => {
      const before = await state();
      let outcome = 'resolved';
      let details: { field?: string; index?: number; line?: number } = {};
      try {
        await Promise.race([
          call(),
          new Promise((_, reject) => setTimeout(() => reject({ name: 'HANGS' }), 10_000)),
        ]);
      } catch (error) {
        const e = error as {
          code?: string;
          field?: string;
          index?: number;
          line?: number;
          name?: string;
          constructor?: { name: string };
        };
        outcome = e?.constructor?.name === 'EventStoreError' ? e.code! : `untyped ${e?.name}`;
        details = { field: e.field, index: e.index, line: e.line };
      }
      const after = await state();
      out.push({
        name,
        outcome,
        ...details,
        written: after.count !== before.count || after.seq !== before.seq,
      });
    };
    for (const [name, build] of appendRows)
      await run(name, async () => store.append(build() as never));
    for (const [name, call] of importRows) await run(name, call);
    // skip mode: the good lines go in, each bad line is reported with its number and written nowhere
    const skipped = await window.sessionlog.importEvents(
      store,
      `${fineLine()}{bad\n${fineLine()}${line({ ...good(), id: good().id })}`,
      { onInvalid: 'skip' },
    );
    return {
      out,
      skipped: { added: skipped.added, lines: skipped.invalidLines.map((l) => l.line) },
    };
  }, KEY);

  const byName = new Map<string, Row>(rows.out.map((r) => [r.name, r]));
  for (const row of rows.out) expect(row.written, `${row.name}: nothing written`).toBe(false);
  const expected: Record<string, Partial<Row>> = {
    null: { outcome: 'validation', field: 'event' },
    'a number': { outcome: 'validation', field: 'event' },
    'a string': { outcome: 'validation', field: 'event' },
    'an array holding null at index 1': { outcome: 'validation', field: 'event', index: 1 },
    'no id': { outcome: 'validation', field: 'id' },
    'id not hex': { outcome: 'validation', field: 'id' },
    'id too short': { outcome: 'validation', field: 'id' },
    'id of other content': { outcome: 'validation', field: 'id' },
    'reference id with 31 bytes': { outcome: 'validation', field: 'id' },
    'reference id with a byte of 300': { outcome: 'validation', field: 'id[31]' },
    'empty session key': { outcome: 'validation', field: 'session_key' },
    'session key too long': { outcome: 'validation', field: 'session_key' },
    'session key a number': { outcome: 'validation', field: 'session_key' },
    'agent id an array': { outcome: 'validation', field: 'agent_id' },
    'timestamp not RFC 3339': { outcome: 'validation', field: 'timestamp' },
    'timestamp in year 10000': { outcome: 'validation', field: 'timestamp' },
    'timestamp two hours ahead (clock skew bound)': { outcome: 'validation', field: 'timestamp' },
    'empty origin': { outcome: 'validation', field: 'origin' },
    'unknown top-level field': { outcome: 'validation', field: 'extra' },
    'no kind': { outcome: 'validation', field: 'kind' },
    'kind type a number': { outcome: 'validation', field: 'kind.type' },
    'kind type not snake_case': { outcome: 'validation', field: 'kind.type' },
    'content a number': { outcome: 'validation', field: 'kind.content' },
    'attachments not an array': { outcome: 'validation', field: 'kind.attachments' },
    'negative token count': { outcome: 'validation', field: 'kind.tokens.input_tokens' },
    'NaN in tool params': { outcome: 'validation', field: 'kind.params.n' },
    'a function in state': { outcome: 'validation', field: 'kind.value.f' },
    'a BigInt in a tool result': { outcome: 'validation', field: 'kind.result' },
    'a cycle in state': { outcome: 'validation', field: 'kind.value.self' },
    'a lone surrogate in content': { outcome: 'validation', field: 'kind.content' },
    'an event over MAX_EVENT_BYTES': { outcome: 'validation', field: 'kind' },
    '1000 good events and one bad at the end': {
      outcome: 'validation',
      field: 'timestamp',
      index: 1000,
    },
    'import: a line that is not JSON': { outcome: 'validation', line: 2 },
    'import: a JSON array line': { outcome: 'validation', line: 2, field: 'event' },
    'import: an empty object on line 3': { outcome: 'validation', line: 3, field: 'id' },
    'import: an event whose id does not match, line 2': {
      outcome: 'validation',
      line: 2,
      field: 'id',
    },
    'import: invalid UTF-8 bytes': { outcome: 'serialization' },
    'import: a stream that fails midway': { outcome: 'serialization' },
    'import: a source of the wrong type': { outcome: 'serialization' },
    'import: already aborted': { outcome: 'aborted' },
    'import: batchSize 0': { outcome: 'validation', field: 'batchSize' },
    'import: batchSize NaN': { outcome: 'validation', field: 'batchSize' },
    'import: onInvalid not a mode': { outcome: 'validation', field: 'onInvalid' },
    'record: an unknown kind': { outcome: 'validation', field: 'kind.type' },
    'record: empty session key': { outcome: 'validation', field: 'session_key' },
  };
  expect([...byName.keys()].sort()).toEqual(Object.keys(expected).sort());
  for (const [rowName, want] of Object.entries(expected)) {
    const got = byName.get(rowName)!;
    expect({ outcome: got.outcome }, rowName).toEqual({ outcome: want.outcome });
    if (want.field !== undefined) expect(got.field, `${rowName}: field`).toBe(want.field);
    if (want.index !== undefined) expect(got.index, `${rowName}: index`).toBe(want.index);
    if (want.line !== undefined) expect(got.line, `${rowName}: line`).toBe(want.line);
  }
  expect(rows.skipped).toEqual({ added: 2, lines: [2, 4] });

  // ---- the tab channel: garbage posted by other code of the origin
  const before = await receiver.evaluate(async () => ({
    count: (await window.kit.rawAll(window.bad.store.name, 'events')).length,
    seq: (await window.kit.rawMeta(window.bad.store.name)).seq,
  }));
  const channelRows = await sender.evaluate(
    async ({ name, key }) => {
      const { createEvent } = window.sessionlog;
      const channel = new BroadcastChannel(`sessionlog:${name}`);
      const meta = await window.kit.rawMeta(name);
      const env = { v: 1, db: meta.instance, from: 'intruder' };
      const event = createEvent(key, 'x', { type: 'message_received', content: 'never stored' });
      const stored = JSON.parse(
        JSON.stringify(
          (
            await (await window.sessionlog.openEventStore({ name, crossTab: false })).getEvents(key)
          )[0],
        ),
      );
      const rows: Array<[string, unknown]> = [
        ['channel: null', null],
        ['channel: a string', 'commit'],
        ['channel: protocol version 2', { ...env, v: 2, type: 'commit', seq: meta.seq + 1 }],
        [
          'channel: another database instance',
          { ...env, db: 'f00', type: 'commit', seq: meta.seq + 1 },
        ],
        ['channel: sender not a string', { ...env, from: 7, type: 'commit', seq: meta.seq + 1 }],
        ['channel: negative seq', { ...env, type: 'commit', seq: -1 }],
        ['channel: fractional seq', { ...env, type: 'commit', seq: 1.5 }],
        [
          'channel: events not an array',
          { ...env, type: 'commit', seq: meta.seq + 1, events: 'all' },
        ],
        [
          'channel: an event with a bad id',
          {
            ...env,
            type: 'commit',
            seq: meta.seq + 1,
            events: [{ ...stored, id: 'f'.repeat(64) }],
          },
        ],
        [
          'channel: 5001 events (huge)',
          { ...env, type: 'commit', seq: meta.seq + 1, events: Array(5001).fill(stored) },
        ],
        [
          'channel: forged commit of an unstored event at seq + 1',
          { ...env, type: 'commit', seq: meta.seq + 1, events: [event] },
        ],
        [
          'channel: forged deletion at seq + 1',
          {
            ...env,
            type: 'delete',
            seq: meta.seq + 1,
            sessionKey: key,
            timestamp: new Date().toISOString(),
          },
        ],
        [
          'channel: deletion with a bad timestamp',
          { ...env, type: 'delete', seq: meta.seq + 1, sessionKey: key, timestamp: 'now' },
        ],
        [
          'channel: draft with an unknown status',
          {
            ...env,
            type: 'draft',
            draft: {
              id: 'd',
              sessionKey: key,
              agentId: 'a',
              model: 'm',
              text: 'x',
              startedAt: 1,
              status: 'weird',
            },
          },
        ],
        [
          'channel: draft text with a lone surrogate',
          {
            ...env,
            type: 'draft',
            draft: {
              id: 'd',
              sessionKey: key,
              agentId: 'a',
              model: 'm',
              text: '\uDC00',
              startedAt: 1,
              status: 'streaming',
            },
          },
        ],
        ['channel: unknown message type', { ...env, type: 'hello', seq: 1 }],
      ];
      for (const [, message] of rows) channel.postMessage(message);
      channel.close();
      return rows.map(([rowName]) => rowName);
    },
    { name, key: KEY },
  );
  const after = await receiver.evaluate(
    async ({ key, expected }) => {
      const { store, errors } = window.bad;
      const deadline = performance.now() + 10_000;
      while (store.channelStats.ignored < expected && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const differ = await window.kit.live(store, [key]);
      const audit = await window.kit.audit(store, [key]);
      return {
        stats: store.channelStats,
        differ,
        problems: audit.problems,
        count: (await window.kit.rawAll(store.name, 'events')).length,
        seq: (await window.kit.rawMeta(store.name)).seq,
        stillThere: (await store.getEvents(key)).length,
        errors,
      };
    },
    { key: KEY, expected: channelRows.length },
  );
  expect(after.stats.received).toBe(channelRows.length);
  expect(after.stats.ignored, `every channel row ignored (last: ${after.stats.lastIgnored})`).toBe(
    channelRows.length,
  );
  expect({ count: after.count, seq: after.seq }, 'the channel wrote nothing').toEqual(before);
  expect(after.differ).toEqual([]);
  expect(after.problems).toEqual([]);
  expect(after.stillThere, 'a forged deletion deletes nothing').toBeGreaterThan(0);
  expect(after.errors).toEqual([]);
  expect(pageErrors).toEqual([]);
  const total = rows.out.length + channelRows.length + 1;
  console.log(
    `[reliability] bad input: ${total} rows (${rows.out.length} append/import/record, ${channelRows.length} channel, 1 skip-mode import)`,
  );
  test.info().annotations.push({ type: 'figures', description: `${total} distinct bad inputs` });
});
