/**
 * The event model (issue 2, docs/design.md §1–2): every kind round-trips through JSON
 * and verifies; the reference's form is read with its id kept; timestamps are
 * normalized; origin separates replicas; session keys; canonical JSON (RFC
 * 8785); unknown kinds.
 */
import { describe, expect, test } from 'vitest';
import { HybridClock } from '../src/clock.js';
import { EventStoreError } from '../src/errors.js';
import {
  type AnyEvent,
  createEvent,
  EVENT_TYPES,
  type EventKindInput,
  isKnownKind,
  mainSessionKey,
  parseEvent,
  REFERENCE_ORIGIN,
  sessionKey,
  verifyEvent,
} from '../src/event.js';
import { bytesToHex, computeEventId } from '../src/ids.js';
import { canonicalJson } from '../src/json.js';
import { applyEvent, emptyProjection, project } from '../src/projection.js';

const KEY = 'agent:default:channel:telegram:account:bot123:dm:user456';
const T0 = '2025-01-15T12:00:00.000000000Z';
/** A clock whose wall time is fixed after every timestamp used here, so no skew check fires. */
const testClock = () => new HybridClock({ now: () => Date.UTC(2025, 0, 16) });

/** One example of each of the eight kinds, in the reference's declaration order. */
const KINDS: EventKindInput[] = [
  { type: 'session_started', channel: 'telegram', peer_id: 'user456' },
  {
    type: 'message_received',
    content: 'Hello 👋🏽 — "quotes" \\ back\tslash\n',
    attachments: [
      { kind: 'image', mime_type: 'image/png', size: 1024 },
      { kind: 'file', mime_type: null, size: null },
    ],
  },
  { type: 'message_sent', content: 'hi there', message_id: 'm-1' },
  {
    type: 'tool_called',
    tool_name: 'web_search',
    params: { query: 'rust serde', limit: 10, filters: { lang: ['en', 'ja'], since: null } },
  },
  {
    type: 'tool_result',
    tool_name: 'web_search',
    result: [1, 2.5, 'three', false, null, { k: [] }],
    success: true,
  },
  {
    type: 'agent_response',
    content: 'The answer is 42.',
    model: 'claude',
    tokens: {
      input_tokens: 120,
      output_tokens: 30,
      cache_read_tokens: 5,
      cache_write_tokens: null,
    },
  },
  { type: 'session_ended', reason: 'user left' },
  { type: 'state_changed', key: 'prefs', value: { theme: 'dark', é: [1, { x: null }] } },
];

function expectValidation(run: () => unknown, field: string): EventStoreError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EventStoreError);
  const error = caught as EventStoreError;
  expect(error.code).toBe('validation');
  expect(error.field).toBe(field);
  expect(error.message).toContain(field);
  return error;
}

describe('every kind', () => {
  test('the fixture table covers exactly the eight known kinds', () => {
    expect(KINDS.map((k) => k.type)).toEqual([...EVENT_TYPES]);
    expect(EVENT_TYPES).toHaveLength(8);
  });

  test.each(KINDS.map((k) => [k.type, k] as const))(
    '%s: created, serialized, parsed back, verified',
    (_type, kind) => {
      const clock = testClock();
      const event = createEvent(KEY, 'default', kind, { clock, origin: 'tab-a' });
      expect(event.id).toMatch(/^[0-9a-f]{64}$/);
      expect(event.origin).toBe('tab-a');
      expect(event.session_key).toBe(KEY);
      expect(event.agent_id).toBe('default');
      expect(event.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
      expect(event.timestamp).toBe(clock.last);
      expect(event.kind.type).toBe(kind.type);
      expect(isKnownKind(event.kind)).toBe(true);
      expect(verifyEvent(event)).toBe(true);

      const text = JSON.stringify(event);
      const parsed = parseEvent(JSON.parse(text), { clock });
      expect(parsed).toEqual(event);
      expect(verifyEvent(parsed)).toBe(true);
      // The id is the hash of the canonical content (docs/design.md §2), recomputable anywhere.
      const { id, ...content } = parsed;
      expect(computeEventId(content)).toBe(id);
      // Serializing again gives the same bytes: the in-memory form is a fixed point.
      expect(JSON.stringify(parsed)).toBe(text);
    },
  );

  test('optional members get their defaults (attachments [], cache tokens null, mime/size null)', () => {
    const clock = testClock();
    const m = createEvent(KEY, 'a', { type: 'message_received', content: 'x' }, { clock });
    expect(m.kind).toEqual({ type: 'message_received', content: 'x', attachments: [] });
    const withAttachment = createEvent(
      KEY,
      'a',
      { type: 'message_received', content: 'x', attachments: [{ kind: 'audio' }] },
      { clock },
    );
    expect(withAttachment.kind.attachments).toEqual([
      { kind: 'audio', mime_type: null, size: null },
    ]);
    const r = createEvent(
      KEY,
      'a',
      {
        type: 'agent_response',
        content: '',
        model: '',
        tokens: { input_tokens: 0, output_tokens: 0 },
      },
      { clock },
    );
    expect(r.kind.tokens).toEqual({
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: null,
      cache_write_tokens: null,
    });
  });

  test('the created event is a private copy: mutating the input afterwards changes nothing', () => {
    const params = { list: [1, 2], nested: { a: 'b' } };
    const event = createEvent(
      KEY,
      'a',
      { type: 'tool_called', tool_name: 't', params },
      { clock: testClock() },
    );
    params.list.push(3);
    params.nested.a = 'changed';
    expect(event.kind.params).toEqual({ list: [1, 2], nested: { a: 'b' } });
    expect(verifyEvent(event)).toBe(true);
  });

  test('verifyEvent is false once the content no longer matches the id', () => {
    const event = createEvent(
      KEY,
      'a',
      { type: 'session_ended', reason: 'x' },
      { clock: testClock() },
    );
    expect(verifyEvent({ ...event, agent_id: 'b' })).toBe(false);
    expect(verifyEvent({ ...event, timestamp: '2025-01-15T12:00:00.000000001Z' })).toBe(false);
    expect(verifyEvent({ ...event, origin: 'other' })).toBe(false);
    expect(verifyEvent({ ...event, kind: { type: 'session_ended', reason: 'y' } })).toBe(false);
  });
});

describe('the reference form', () => {
  const bytes = Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256);
  const line = {
    id: bytes,
    session_key: KEY,
    agent_id: 'default',
    timestamp: '2025-01-15T10:00:01.5Z',
    kind: { type: 'message_received', content: 'hi', attachments: [] },
  };

  test('an id of 32 numbers becomes hex, origin "reference", not verifiable', () => {
    const event = parseEvent(line, { clock: testClock() });
    expect(event.id).toBe(bytesToHex(bytes));
    expect(event.id).toHaveLength(64);
    expect(event.origin).toBe(REFERENCE_ORIGIN);
    expect(event.origin).toBe('reference');
    expect(event.timestamp).toBe('2025-01-15T10:00:01.500000000Z');
    expect(verifyEvent(event)).toBe(false);
  });

  test('the normalized form of a reference event round-trips through JSON with its id kept', () => {
    const clock = testClock();
    const event = parseEvent(line, { clock });
    const again = parseEvent(JSON.parse(JSON.stringify(event)), { clock });
    expect(again).toEqual(event);
    expect(again.id).toBe(bytesToHex(bytes));
    expect(verifyEvent(again)).toBe(false);
  });

  test('a hex id is accepted in upper case and normalized to lower case', () => {
    const clock = testClock();
    const event = createEvent(KEY, 'a', { type: 'session_ended', reason: 'r' }, { clock });
    const parsed = parseEvent({ ...event, id: event.id.toUpperCase() }, { clock });
    expect(parsed.id).toBe(event.id);
  });
});

describe('timestamps', () => {
  const digits = '123456789';
  test.each(Array.from({ length: 10 }, (_, n) => n))('%i fraction digits normalize to 9', (n) => {
    const fraction = digits.slice(0, n);
    const raw = `2025-01-15T12:00:03${n ? `.${fraction}` : ''}Z`;
    const expected = `2025-01-15T12:00:03.${fraction.padEnd(9, '0')}Z`;
    const clock = testClock();
    const created = createEvent(
      KEY,
      'a',
      { type: 'session_ended', reason: 'r' },
      { clock, timestamp: raw, origin: 'o' },
    );
    expect(created.timestamp).toBe(expected);
    expect(verifyEvent(created)).toBe(true);
    // The reference form with the same raw timestamp reads to the same normalized one.
    const parsed = parseEvent(
      { ...created, id: Array(32).fill(7), origin: undefined, timestamp: raw },
      { clock },
    );
    expect(parsed.timestamp).toBe(expected);
    // An explicit timestamp is observed by the clock: the next one sorts after it.
    expect(clock.next() > expected).toBe(true);
  });

  test('normalized timestamps sort as text in time order, unlike mixed fraction lengths', () => {
    const raw = ['2025-01-15T12:00:03Z', '2025-01-15T12:00:03.5Z', '2025-01-15T12:00:03.05Z'];
    // As raw text, "03.05Z" < "03.5Z" < "03Z" — the wrong order for 03Z.
    expect([...raw].sort()).toEqual([raw[2], raw[1], raw[0]]);
    const clock = testClock();
    const normalized = raw.map(
      (timestamp) =>
        createEvent(KEY, 'a', { type: 'session_ended', reason: 'r' }, { clock, timestamp })
          .timestamp,
    );
    expect([...normalized].sort()).toEqual([normalized[0], normalized[2], normalized[1]]);
  });

  test('without an explicit timestamp, events get strictly increasing clock timestamps', () => {
    const clock = new HybridClock({ now: () => Date.UTC(2025, 0, 15) });
    const stamps = Array.from(
      { length: 5 },
      () => createEvent(KEY, 'a', { type: 'session_ended', reason: 'r' }, { clock }).timestamp,
    );
    expect(stamps[0]).toBe('2025-01-15T00:00:00.000000000Z');
    expect(stamps[4]).toBe('2025-01-15T00:00:00.000000004Z');
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]! > stamps[i - 1]!).toBe(true);
  });
});

describe('origin', () => {
  test('identical content in the same instant gets different ids on different replicas', () => {
    const clock = testClock();
    const kind = { type: 'message_sent', content: 'same', message_id: 'same' } as const;
    const a = createEvent(KEY, 'a', kind, { clock, origin: 'replica-a', timestamp: T0 });
    const b = createEvent(KEY, 'a', kind, { clock, origin: 'replica-b', timestamp: T0 });
    expect(a.timestamp).toBe(b.timestamp);
    expect(a.kind).toEqual(b.kind);
    expect(a.id).not.toBe(b.id);
    expect(verifyEvent(a) && verifyEvent(b)).toBe(true);
    // Two messages, not one: the projection keeps both.
    expect(project([a, b]).messages).toHaveLength(2);
    // The same replica making the same content at the same instant gets the same id (idempotence).
    const a2 = createEvent(KEY, 'a', kind, { clock, origin: 'replica-a', timestamp: T0 });
    expect(a2.id).toBe(a.id);
  });

  test('events without an explicit origin carry this page’s random origin', () => {
    const clock = testClock();
    const a = createEvent(KEY, 'a', { type: 'session_ended', reason: 'r' }, { clock });
    const b = createEvent(KEY, 'a', { type: 'session_ended', reason: 'r' }, { clock });
    expect(a.origin).toMatch(/^[0-9a-f]{16}$/);
    expect(b.origin).toBe(a.origin);
  });

  test('an event without origin (hex id) parses and verifies', () => {
    const content = {
      session_key: KEY,
      agent_id: 'a',
      timestamp: T0,
      kind: { type: 'session_ended', reason: 'r' },
    };
    const event = parseEvent({ id: computeEventId(content), ...content }, { clock: testClock() });
    expect(event.origin).toBeUndefined();
    expect('origin' in event).toBe(false);
    expect(verifyEvent(event)).toBe(true);
  });
});

describe('session keys', () => {
  test('the reference formats', () => {
    expect(
      sessionKey({
        agent: 'default',
        channel: 'telegram',
        account: 'bot123',
        peerType: 'dm',
        peer: 'user456',
      }),
    ).toBe('agent:default:channel:telegram:account:bot123:dm:user456');
    expect(
      sessionKey({
        agent: 'helper',
        channel: 'discord',
        account: 'guild-42',
        peerType: 'group',
        peer: 'chan-9001',
      }),
    ).toBe('agent:helper:channel:discord:account:guild-42:group:chan-9001');
    for (const peerType of ['dm', 'group', 'channel', 'thread'] as const) {
      expect(sessionKey({ agent: 'a', channel: 'c', account: 'x', peerType, peer: 'p' })).toBe(
        `agent:a:channel:c:account:x:${peerType}:p`,
      );
    }
    expect(mainSessionKey('default')).toBe('agent:default:main');
    expect(mainSessionKey('東京')).toBe('agent:東京:main');
  });

  const good = { agent: 'a', channel: 'c', account: 'x', peerType: 'dm', peer: 'p' } as const;
  test.each([
    ['peerType', { ...good, peerType: 'room' }],
    ['agent', { ...good, agent: '' }],
    ['channel', { ...good, channel: 'tele:gram' }],
    ['account', { ...good, account: 42 }],
    ['peer', { ...good, peer: 'x\uD800' }],
  ])('sessionKey names the bad part: %s', (field, parts) => {
    expectValidation(() => sessionKey(parts as never), field);
  });

  test.each([
    ['empty', ''],
    ['with a colon', 'a:b'],
    ['a lone surrogate', '\uDC00'],
  ])('mainSessionKey rejects an agent that is %s', (_name, agent) => {
    expectValidation(() => mainSessionKey(agent), 'agent');
  });

  test('any non-empty string is accepted as a key by events', () => {
    const event = createEvent(
      'just some key',
      'a',
      { type: 'session_ended', reason: 'r' },
      {
        clock: testClock(),
      },
    );
    expect(event.session_key).toBe('just some key');
  });
});

describe('canonicalJson is RFC 8785 (JCS)', () => {
  test('sorted keys, no whitespace, nested', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x', { d: 2, c: {} }], '': [] })).toBe(
      '{"":[],"a":[true,null,"x",{"c":{},"d":2}],"b":1}',
    );
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson('x')).toBe('"x"');
  });

  test('RFC 8785 §3.2.2 example: numbers, string escapes, literals', () => {
    const input =
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],' +
      ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
      ' "literals": [null, true, false]}';
    expect(canonicalJson(JSON.parse(input))).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  test('RFC 8785 §3.2.3 example: keys sorted by UTF-16 code units', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","ö":"Latin Small Letter O With Diaeresis",' +
        '"€":"Euro Sign","😀":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  test('RFC 8785 number serialization (ECMAScript form)', () => {
    const vectors: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [1e21, '1e+21'],
      [1e-7, '1e-7'],
      [0.000001, '0.000001'],
      [9007199254740991, '9007199254740991'],
      [-1.5e-300, '-1.5e-300'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [100, '100'],
    ];
    for (const [n, text] of vectors) expect(canonicalJson(n)).toBe(text);
  });

  test('equal values give equal text whatever the key insertion order', () => {
    expect(canonicalJson({ a: 1, b: { y: 2, x: 3 } })).toBe(
      canonicalJson({ b: { x: 3, y: 2 }, a: 1 }),
    );
  });
});

describe('unknown kinds', () => {
  const clock = testClock();
  const content = {
    session_key: KEY,
    agent_id: 'a',
    timestamp: '2025-01-15T12:59:00.000000000Z',
    origin: 'o',
    kind: { type: 'message_deleted', target: 'abc', nested: { list: [1, null] } },
  };
  const raw = { id: computeEventId(content), ...content };

  test('are rejected unless allowUnknownKinds', () => {
    const error = expectValidation(() => parseEvent(raw, { clock }), 'kind.type');
    expect(error.message).toContain('message_deleted');
  });

  test('are accepted with allowUnknownKinds, kept unchanged, and verify', () => {
    const event = parseEvent(raw, { clock, allowUnknownKinds: true });
    expect(event).toEqual(raw);
    expect(isKnownKind(event.kind)).toBe(false);
    expect(verifyEvent(event)).toBe(true);
    expect(
      parseEvent(JSON.parse(JSON.stringify(event)), { clock, allowUnknownKinds: true }),
    ).toEqual(event);
  });

  test('allowUnknownKinds still validates known kinds strictly', () => {
    expectValidation(
      () =>
        parseEvent({ ...raw, kind: { type: 'session_ended' } }, { clock, allowUnknownKinds: true }),
      'kind.reason',
    );
  });

  test('are ignored by project() and applyEvent()', () => {
    const unknown = parseEvent(raw, { clock, allowUnknownKinds: true });
    const known: AnyEvent[] = KINDS.map((kind, i) =>
      createEvent(KEY, 'a', kind, {
        clock,
        origin: 'o',
        timestamp: `2025-01-15T12:${String(10 + i * 5).padStart(2, '0')}:00Z`,
      }),
    );
    // The unknown event is the greatest of all here: were it counted, last_event_id would be its id.
    expect(unknown.timestamp > known[known.length - 1]!.timestamp).toBe(true);
    const expected = project(known);
    expect(project([...known, unknown])).toEqual(expected);
    expect(project([unknown, ...known])).toEqual(expected);
    expect(project([unknown], KEY)).toEqual(emptyProjection(KEY));
    expect(applyEvent(expected, unknown)).toBe(expected);
  });
});
