/**
 * Bad input (issue 2): every row is a distinct bad input to parseEvent or
 * createEvent and must fail with a typed `validation` error whose `field` is
 * exactly the offending path and whose message names it. createEvent rows also
 * check that a rejected event leaves no trace on the clock.
 */
import { describe, expect, test } from 'vitest';
import { DEFAULT_MAX_CLOCK_SKEW_MS, HybridClock } from '../src/clock.js';
import { EventStoreError } from '../src/errors.js';
import {
  createEvent,
  type EventKindInput,
  MAX_EVENT_BYTES,
  MAX_NAME_LENGTH,
  MAX_SESSION_KEY_LENGTH,
  parseEvent,
} from '../src/event.js';
import { type JsonValue, MAX_JSON_DEPTH } from '../src/json.js';
import { formatTimestamp } from '../src/timestamp.js';

const KEY = 'agent:default:main';
const NOW = Date.UTC(2025, 0, 16);
const clockAt = () => new HybridClock({ now: () => NOW });

type Json = Record<string, unknown>;

/** A valid event in its JSON form, freshly built for each row to mutate. */
function good(kind: EventKindInput = { type: 'message_received', content: 'hi' }): Json {
  const event = createEvent(KEY, 'default', kind, {
    clock: clockAt(),
    origin: 'tab-1',
    timestamp: '2025-01-15T12:00:00.5Z',
  });
  return JSON.parse(JSON.stringify(event)) as Json;
}
const withKind = (kind: Json, base: EventKindInput) => {
  const event = good(base);
  event.kind = kind;
  return event;
};
const goodKind = (type: string) => good(SAMPLE[type]).kind as Json;

const SAMPLE: Record<string, EventKindInput> = {
  message_received: {
    type: 'message_received',
    content: 'hi',
    attachments: [{ kind: 'image', mime_type: 'image/png', size: 3 }],
  },
  tool_called: { type: 'tool_called', tool_name: 't', params: {} },
  tool_result: { type: 'tool_result', tool_name: 't', result: null, success: true },
  agent_response: {
    type: 'agent_response',
    content: 'c',
    model: 'm',
    tokens: { input_tokens: 1, output_tokens: 2, cache_read_tokens: null, cache_write_tokens: 3 },
  },
  state_changed: { type: 'state_changed', key: 'k', value: 1 },
};

function cyclic(): Json {
  const o: Json = { a: 1 };
  o.self = o;
  return o;
}
/** `[1, <hole>, 3]`: structured clone keeps holes, so parseEvent can meet them. */
function holey(): unknown[] {
  const a: unknown[] = [1];
  a[2] = 3;
  return a;
}
function deep(levels: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}
const future = formatTimestamp(BigInt(NOW + DEFAULT_MAX_CLOCK_SKEW_MS + 1) * 1_000_000n);

type Row = [name: string, field: string, run: (clock: HybridClock) => unknown];
const parse =
  (value: unknown, allowUnknownKinds = false) =>
  (clock: HybridClock) =>
    parseEvent(value, { clock, allowUnknownKinds });
const create =
  (kind: unknown, key: unknown = KEY, agent: unknown = 'default', options: Json = {}) =>
  (clock: HybridClock) =>
    createEvent(key as string, agent as string, kind as EventKindInput, { clock, ...options });
const tweak = (edit: (e: Json) => void) => {
  const e = good();
  edit(e);
  return parse(e);
};
const tweakKind = (type: string, edit: (k: Json) => void) => {
  const k = goodKind(type);
  edit(k);
  return parse(withKind(k, SAMPLE[type]!));
};

const PARSE_ROWS: Row[] = [
  ['not an object: a string', 'event', parse('{"id":"x"}')],
  ['not an object: null', 'event', parse(null)],
  ['not an object: an array', 'event', parse([good()])],
  ['id missing', 'id', tweak((e) => delete e.id)],
  ['id of 63 hex characters', 'id', tweak((e) => (e.id = (e.id as string).slice(1)))],
  ['id with non-hex characters', 'id', tweak((e) => (e.id = 'z'.repeat(64)))],
  ['id a number', 'id', tweak((e) => (e.id = 42))],
  ['id byte array of 31 entries', 'id', tweak((e) => (e.id = Array(31).fill(0)))],
  [
    'id byte 256',
    'id[5]',
    tweak((e) => (e.id = Array.from({ length: 32 }, (_, i) => (i === 5 ? 256 : 1)))),
  ],
  ['id byte 1.5', 'id[31]', tweak((e) => (e.id = [...Array(31).fill(0), 1.5]))],
  [
    'id byte array with an undefined entry',
    'id[3]',
    tweak((e) => (e.id = Object.assign(Array(32).fill(0), { 3: undefined }))),
  ],
  [
    'id byte array with a hole (sparse, as structured clone can deliver)',
    'id[7]',
    tweak((e) => {
      delete e.origin; // a reference id comes without origin: only the hole is wrong
      e.id = new Array(32).fill(1, 0, 7).fill(1, 8);
    }),
  ],
  [
    'id not matching the content (one digit changed)',
    'id',
    tweak((e) => (e.id = `${(e.id as string)[0] === 'a' ? 'b' : 'a'}${(e.id as string).slice(1)}`)),
  ],
  [
    'content changed after the id was computed',
    'id',
    tweak((e) => ((e.kind as Json).content = 'hi!')),
  ],
  ['origin removed after the id was computed', 'id', tweak((e) => delete e.origin)],
  ['extra unknown top-level field', 'extra', tweak((e) => (e.extra = 1))],
  ['origin next to a reference byte-array id', 'origin', tweak((e) => (e.id = Array(32).fill(1)))],
  ['origin empty', 'origin', tweak((e) => (e.origin = ''))],
  ['origin not a string', 'origin', tweak((e) => (e.origin = null))],
  ['session_key missing', 'session_key', tweak((e) => delete e.session_key)],
  ['session_key empty', 'session_key', tweak((e) => (e.session_key = ''))],
  [
    'session_key longer than MAX_SESSION_KEY_LENGTH',
    'session_key',
    tweak((e) => (e.session_key = 'k'.repeat(MAX_SESSION_KEY_LENGTH + 1))),
  ],
  [
    'session_key with a lone surrogate',
    'session_key',
    tweak((e) => (e.session_key = 'agent:\uD83D:main')),
  ],
  ['agent_id a number', 'agent_id', tweak((e) => (e.agent_id = 7))],
  [
    'agent_id longer than MAX_NAME_LENGTH',
    'agent_id',
    tweak((e) => (e.agent_id = 'a'.repeat(MAX_NAME_LENGTH + 1))),
  ],
  ['timestamp missing', 'timestamp', tweak((e) => delete e.timestamp)],
  ['timestamp a number (epoch ms)', 'timestamp', tweak((e) => (e.timestamp = NOW))],
  ['timestamp month 13', 'timestamp', tweak((e) => (e.timestamp = '2025-13-01T00:00:00Z'))],
  ['timestamp February 30', 'timestamp', tweak((e) => (e.timestamp = '2024-02-30T00:00:00Z'))],
  [
    'timestamp February 29 of a common year',
    'timestamp',
    tweak((e) => (e.timestamp = '2023-02-29T00:00:00Z')),
  ],
  ['timestamp day 0', 'timestamp', tweak((e) => (e.timestamp = '2025-01-00T00:00:00Z'))],
  ['timestamp hour 24', 'timestamp', tweak((e) => (e.timestamp = '2025-01-15T24:00:00Z'))],
  ['timestamp minute 60', 'timestamp', tweak((e) => (e.timestamp = '2025-01-15T12:60:00Z'))],
  ['timestamp leap second 60', 'timestamp', tweak((e) => (e.timestamp = '2016-12-31T23:59:60Z'))],
  ['timestamp year 10000', 'timestamp', tweak((e) => (e.timestamp = '10000-01-01T00:00:00Z'))],
  ['timestamp year 0000', 'timestamp', tweak((e) => (e.timestamp = '0000-01-01T00:00:00Z'))],
  [
    'timestamp with 10 fraction digits',
    'timestamp',
    tweak((e) => (e.timestamp = '2025-01-15T12:00:00.1234567890Z')),
  ],
  ['timestamp without Z', 'timestamp', tweak((e) => (e.timestamp = '2025-01-15T12:00:00'))],
  [
    'timestamp with an offset instead of Z',
    'timestamp',
    tweak((e) => (e.timestamp = '2025-01-15T12:00:00+01:00')),
  ],
  [
    'timestamp with a space instead of T',
    'timestamp',
    tweak((e) => (e.timestamp = '2025-01-15 12:00:00Z')),
  ],
  [
    'timestamp with an empty fraction',
    'timestamp',
    tweak((e) => (e.timestamp = '2025-01-15T12:00:00.Z')),
  ],
  [
    'timestamp beyond DEFAULT_MAX_CLOCK_SKEW_MS in the future',
    'timestamp',
    tweak((e) => (e.timestamp = future)),
  ],
  ['kind missing', 'kind', tweak((e) => delete e.kind)],
  ['kind an array', 'kind', tweak((e) => (e.kind = [{ type: 'session_ended', reason: 'x' }]))],
  ['kind.type missing', 'kind.type', tweak((e) => delete (e.kind as Json).type)],
  ['kind.type a number', 'kind.type', tweak((e) => ((e.kind as Json).type = 3))],
  [
    'unknown kind.type where a known kind is required',
    'kind.type',
    tweak((e) => ((e.kind as Json).type = 'message_deleted')),
  ],
  [
    'unknown kind.type not snake_case (allowUnknownKinds)',
    'kind.type',
    (c) =>
      parseEvent(withKind({ type: 'Message-Deleted' }, SAMPLE.tool_called!), {
        clock: c,
        allowUnknownKinds: true,
      }),
  ],
  [
    'unknown kind with a NaN field (allowUnknownKinds)',
    'kind.payload[0]',
    (c) =>
      parseEvent(withKind({ type: 'future_kind', payload: [Number.NaN] }, SAMPLE.tool_called!), {
        clock: c,
        allowUnknownKinds: true,
      }),
  ],
  ['extra field in a known kind', 'kind.extra', tweak((e) => ((e.kind as Json).extra = true))],
  ['kind.content missing', 'kind.content', tweak((e) => delete (e.kind as Json).content)],
  ['kind.content a number', 'kind.content', tweak((e) => ((e.kind as Json).content = 1))],
  [
    'kind.content with a lone high surrogate',
    'kind.content',
    tweak((e) => ((e.kind as Json).content = 'emoji cut in half: \uD83D')),
  ],
  [
    'kind.content with a lone low surrogate',
    'kind.content',
    tweak((e) => ((e.kind as Json).content = '\uDE00 at the start')),
  ],
  [
    'kind.attachments an object',
    'kind.attachments',
    tweakKind('message_received', (k) => (k.attachments = { kind: 'image' })),
  ],
  [
    'kind.attachments[1] a string',
    'kind.attachments[1]',
    tweakKind('message_received', (k) => (k.attachments = [{ kind: 'a' }, 'b'])),
  ],
  [
    'kind.attachments[0].kind missing',
    'kind.attachments[0].kind',
    tweakKind('message_received', (k) => (k.attachments = [{ size: 1 }])),
  ],
  [
    'kind.attachments[0].size negative',
    'kind.attachments[0].size',
    tweakKind('message_received', (k) => (k.attachments = [{ kind: 'a', size: -1 }])),
  ],
  [
    'kind.attachments[0].size a string',
    'kind.attachments[0].size',
    tweakKind('message_received', (k) => (k.attachments = [{ kind: 'a', size: '10' }])),
  ],
  [
    'kind.attachments[0].mime_type a number',
    'kind.attachments[0].mime_type',
    tweakKind('message_received', (k) => (k.attachments = [{ kind: 'a', mime_type: 5 }])),
  ],
  [
    'kind.attachments[0] extra field',
    'kind.attachments[0].url',
    tweakKind('message_received', (k) => (k.attachments = [{ kind: 'a', url: 'x' }])),
  ],
  ['kind.tokens missing', 'kind.tokens', tweakKind('agent_response', (k) => delete k.tokens)],
  [
    'kind.tokens.input_tokens negative',
    'kind.tokens.input_tokens',
    tweakKind('agent_response', (k) => ((k.tokens as Json).input_tokens = -1)),
  ],
  [
    'kind.tokens.output_tokens fractional',
    'kind.tokens.output_tokens',
    tweakKind('agent_response', (k) => ((k.tokens as Json).output_tokens = 1.5)),
  ],
  [
    'kind.tokens.output_tokens missing',
    'kind.tokens.output_tokens',
    tweakKind('agent_response', (k) => delete (k.tokens as Json).output_tokens),
  ],
  [
    'kind.tokens.cache_read_tokens a string',
    'kind.tokens.cache_read_tokens',
    tweakKind('agent_response', (k) => ((k.tokens as Json).cache_read_tokens = '5')),
  ],
  [
    'kind.tokens.cache_write_tokens above 2^53',
    'kind.tokens.cache_write_tokens',
    tweakKind('agent_response', (k) => ((k.tokens as Json).cache_write_tokens = 2 ** 54)),
  ],
  [
    'kind.tokens extra field',
    'kind.tokens.total',
    tweakKind('agent_response', (k) => ((k.tokens as Json).total = 3)),
  ],
  ['kind.success a string', 'kind.success', tweakKind('tool_result', (k) => (k.success = 'true'))],
  ['kind.result missing', 'kind.result', tweakKind('tool_result', (k) => delete k.result)],
  ['kind.params missing', 'kind.params', tweakKind('tool_called', (k) => delete k.params)],
  ['kind.value missing', 'kind.value', tweakKind('state_changed', (k) => delete k.value)],
  ['kind.key a number', 'kind.key', tweakKind('state_changed', (k) => (k.key = 1))],
  [
    'kind.message_id null',
    'kind.message_id',
    parse(
      withKind(
        { type: 'message_sent', content: 'c', message_id: null },
        { type: 'message_sent', content: 'c', message_id: 'm' },
      ),
    ),
  ],
  [
    'kind.reason missing',
    'kind.reason',
    parse(withKind({ type: 'session_ended' }, { type: 'session_ended', reason: 'r' })),
  ],
  [
    'kind.peer_id missing',
    'kind.peer_id',
    parse(
      withKind(
        { type: 'session_started', channel: 'c' },
        { type: 'session_started', channel: 'c', peer_id: 'p' },
      ),
    ),
  ],
];

const big = 'x'.repeat(MAX_EVENT_BYTES);
const CREATE_ROWS: Row[] = [
  ['kind not an object', 'kind', create('message_received')],
  [
    'unknown kind.type (createEvent never allows unknown kinds)',
    'kind.type',
    create({ type: 'message_deleted', target: 'x' }),
  ],
  ['session key empty', 'session_key', create({ type: 'session_ended', reason: 'r' }, '')],
  [
    'session key not a string',
    'session_key',
    create({ type: 'session_ended', reason: 'r' }, { agent: 'a' }),
  ],
  [
    'session key longer than MAX_SESSION_KEY_LENGTH',
    'session_key',
    create({ type: 'session_ended', reason: 'r' }, 'k'.repeat(MAX_SESSION_KEY_LENGTH + 1)),
  ],
  ['agent id null', 'agent_id', create({ type: 'session_ended', reason: 'r' }, KEY, null)],
  [
    'origin option empty',
    'origin',
    create({ type: 'session_ended', reason: 'r' }, KEY, 'a', { origin: '' }),
  ],
  [
    'origin option longer than MAX_NAME_LENGTH',
    'origin',
    create({ type: 'session_ended', reason: 'r' }, KEY, 'a', {
      origin: 'o'.repeat(MAX_NAME_LENGTH + 1),
    }),
  ],
  [
    'timestamp option Feb 30',
    'timestamp',
    create({ type: 'session_ended', reason: 'r' }, KEY, 'a', { timestamp: '2025-02-30T00:00:00Z' }),
  ],
  [
    'timestamp option beyond the skew bound',
    'timestamp',
    create({ type: 'session_ended', reason: 'r' }, KEY, 'a', { timestamp: future }),
  ],
  [
    'function in params',
    'kind.params.callback',
    create({ type: 'tool_called', tool_name: 't', params: { callback: () => 1 } }),
  ],
  [
    'BigInt in params',
    'kind.params.n',
    create({ type: 'tool_called', tool_name: 't', params: { n: 10n } }),
  ],
  [
    'Symbol in params',
    'kind.params.s',
    create({ type: 'tool_called', tool_name: 't', params: { s: Symbol('x') } }),
  ],
  [
    'undefined member in params',
    'kind.params.gone',
    create({ type: 'tool_called', tool_name: 't', params: { gone: undefined } }),
  ],
  [
    'undefined in an array',
    'kind.params.a[1]',
    create({ type: 'tool_called', tool_name: 't', params: { a: [1, undefined, 3] } }),
  ],
  [
    'hole in a sparse array',
    'kind.params.a[1]',
    create({ type: 'tool_called', tool_name: 't', params: { a: holey() } }),
  ],
  [
    'cycle in params',
    'kind.params.self',
    create({ type: 'tool_called', tool_name: 't', params: cyclic() }),
  ],
  [
    'NaN result',
    'kind.result',
    create({ type: 'tool_result', tool_name: 't', result: Number.NaN, success: false }),
  ],
  [
    'Infinity inside a result array',
    'kind.result[1]',
    create({
      type: 'tool_result',
      tool_name: 't',
      result: [0, Number.POSITIVE_INFINITY],
      success: true,
    }),
  ],
  [
    '-Infinity deep inside a result',
    'kind.result.stats.min',
    create({
      type: 'tool_result',
      tool_name: 't',
      result: { stats: { min: Number.NEGATIVE_INFINITY } },
      success: true,
    }),
  ],
  [
    'Date instance as a state value',
    'kind.value',
    create({ type: 'state_changed', key: 'k', value: new Date(0) }),
  ],
  [
    'Map instance inside a state value',
    'kind.value.m',
    create({ type: 'state_changed', key: 'k', value: { m: new Map() } }),
  ],
  [
    'class instance inside a state value',
    'kind.value[0]',
    create({
      type: 'state_changed',
      key: 'k',
      value: [
        new (class Point {
          x = 1;
        })(),
      ],
    }),
  ],
  [
    'lone surrogate in a nested string',
    'kind.result.list[1]',
    create({
      type: 'tool_result',
      tool_name: 't',
      result: { list: ['ok', '\uDC00'] },
      success: true,
    }),
  ],
  [
    'lone surrogate in an object key',
    'kind.value.bad\uD800key',
    create({ type: 'state_changed', key: 'k', value: { 'bad\uD800key': 1 } }),
  ],
  [
    'lone surrogate in the state key',
    'kind.key',
    create({ type: 'state_changed', key: '\uD800', value: 1 }),
  ],
  [
    `nesting deeper than MAX_JSON_DEPTH (${MAX_JSON_DEPTH})`,
    `kind.value${'[0]'.repeat(MAX_JSON_DEPTH)}`,
    create({ type: 'state_changed', key: 'k', value: deep(MAX_JSON_DEPTH + 1) }),
  ],
  ['content beyond MAX_EVENT_BYTES', 'kind', create({ type: 'message_received', content: big })],
  [
    'multi-byte content beyond MAX_EVENT_BYTES in UTF-8 (not in UTF-16 units)',
    'kind',
    create({ type: 'message_received', content: 'é'.repeat(MAX_EVENT_BYTES / 2) }),
  ],
  [
    'tokens negative (createEvent)',
    'kind.tokens.input_tokens',
    create({
      type: 'agent_response',
      content: '',
      model: '',
      tokens: { input_tokens: -5, output_tokens: 0 },
    }),
  ],
  [
    'attachment size fractional (createEvent)',
    'kind.attachments[0].size',
    create({ type: 'message_received', content: '', attachments: [{ kind: 'a', size: 0.5 }] }),
  ],
];

function expectValidation(run: () => unknown, field: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'must throw').toBeInstanceOf(EventStoreError);
  const error = caught as EventStoreError;
  expect(error.code).toBe('validation');
  expect(error.field).toBe(field);
  expect(error.message).toContain(field);
}

describe('bad input to parseEvent', () => {
  test('the table is large and its rows distinct', () => {
    const names = [...PARSE_ROWS, ...CREATE_ROWS].map((r) => r[0]);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBeGreaterThanOrEqual(35);
  });

  test('the base event of the table is valid', () => {
    for (const kind of [undefined, ...Object.values(SAMPLE)]) {
      expect(() => parseEvent(good(kind), { clock: clockAt() })).not.toThrow();
    }
  });

  test.each(PARSE_ROWS)('%s → %s', (_name, field, run) => {
    expectValidation(() => run(clockAt()), field);
  });
});

describe('bad input to createEvent', () => {
  test.each(CREATE_ROWS)('%s → %s', (_name, field, run) => {
    const clock = clockAt();
    expectValidation(() => run(clock), field);
    // Bad input writes nothing: the clock did not advance.
    expect(clock.last).toBeNull();
  });

  test('the limits are inclusive: an event of exactly MAX_EVENT_BYTES is accepted', () => {
    const clock = clockAt();
    const probe = createEvent(
      KEY,
      'a',
      { type: 'message_received', content: '' },
      { clock, origin: 'o' },
    );
    const overhead = new TextEncoder().encode(JSON.stringify(probe)).length - probe.id.length - 8;
    const content = 'x'.repeat(MAX_EVENT_BYTES - overhead);
    const ok = createEvent(KEY, 'a', { type: 'message_received', content }, { clock, origin: 'o' });
    expect(ok.kind.content).toHaveLength(MAX_EVENT_BYTES - overhead);
    expectValidation(
      () =>
        createEvent(
          KEY,
          'a',
          { type: 'message_received', content: `${content}x` },
          { clock, origin: 'o' },
        ),
      'kind',
    );
    expect(
      createEvent(
        'k'.repeat(MAX_SESSION_KEY_LENGTH),
        'a'.repeat(MAX_NAME_LENGTH),
        { type: 'session_ended', reason: '' },
        { clock },
      ).session_key,
    ).toHaveLength(MAX_SESSION_KEY_LENGTH);
    const limit = formatTimestamp(BigInt(NOW + DEFAULT_MAX_CLOCK_SKEW_MS) * 1_000_000n);
    expect(
      createEvent(KEY, 'a', { type: 'session_ended', reason: '' }, { clock, timestamp: limit })
        .timestamp,
    ).toBe(limit);
  });

  test('JSON values at the edge of the rules are accepted', () => {
    const clock = clockAt();
    const value = {
      '': null,
      big: [1e308, -1e-308],
      nested: deep(MAX_JSON_DEPTH - 1) as JsonValue,
    };
    const event = createEvent(
      KEY,
      'a',
      { type: 'state_changed', key: '__proto__', value },
      { clock },
    );
    expect(event.kind.value).toEqual(value);
    const proto = JSON.parse('{"__proto__":[1,"x"]}');
    const event2 = createEvent(
      KEY,
      'a',
      { type: 'state_changed', key: 'k', value: proto },
      { clock },
    );
    expect(Object.keys(event2.kind.value as object)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(event2.kind.value)).not.toEqual([1, 'x']);
    expect(
      createEvent(
        KEY,
        'a',
        { type: 'state_changed', key: 'k', value: Object.create(null) },
        { clock },
      ).kind.value,
    ).toEqual({});
  });
});
