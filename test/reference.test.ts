/**
 * The reference's JSON conventions (fixtures README: "Numbers inside JSON
 * values", "Object key order", "JSON string escaping") and its projection
 * shape, read and written.
 */
import { describe, expect, test } from 'vitest';
import { HybridClock } from '../src/clock.js';
import { EventStoreError } from '../src/errors.js';
import { createEvent, type EventKindInput, parseEvent, verifyEvent } from '../src/event.js';
import { canonicalJson, compareCodePoints, type JsonValue } from '../src/json.js';
import { emptyProjection, project } from '../src/projection.js';
import {
  idToBytes,
  parseReferenceProjection,
  type ReferenceProjection,
  referenceJson,
  referenceNumber,
  toReferenceEventJson,
  toReferenceProjection,
} from '../src/reference.js';

const KEY = 'agent:helper:channel:discord:account:guild-42:group:chan-9001';
const clock = () => new HybridClock({ now: () => Date.UTC(2025, 0, 16) });

describe('referenceNumber: serde_json’s f64 text', () => {
  test.each([
    // The README's examples: exponent notation outside [1e-5, 1e16), explicit '+'.
    [1e-7, '1e-7'],
    [1e-6, '1e-6'],
    [2.5e-8, '2.5e-8'],
    [1e16, '1e+16'],
    [1e21, '1e+21'],
    [1.5e300, '1.5e+300'],
    [5e-324, '5e-324'],
    [6.09124e22, '6.09124e+22'],
    // Fixed notation inside [1e-5, 1e16), shortest round-trip digits.
    [0.00001, '0.00001'],
    [0.000015, '0.000015'],
    [0.1, '0.1'],
    [0.30000000000000004, '0.30000000000000004'],
    [-2.25, '-2.25'],
    [227831.15386199, '227831.15386199'],
    [123456789.125, '123456789.125'],
    [1000000000000000.5, '1000000000000000.5'],
    [51715774628035.98, '51715774628035.98'],
    // Negative zero is a float: always written with its fraction.
    [-0, '-0.0'],
    // Integers (JSON.parse cannot tell 100 from 100.0) up to 2^53 are written as integers.
    [0, '0'],
    [100, '100'],
    [-554, '-554'],
    [9007199254740991, '9007199254740991'],
    [9007199254740992, '9007199254740992'],
    [-9007199254740992, '-9007199254740992'],
  ])('%d → %s', (x, text) => {
    expect(referenceNumber(x)).toBe(text);
    expect(Object.is(Number(text.replace(/\.0$/, '')), x) || Number(text) === x).toBe(true);
  });

  test('a whole float at or below 2^53 comes out as an integer: the one known difference', () => {
    // The reference writes 1000000000000000.0 and 100.0 for floats; after JSON.parse they are
    // integers here. Beyond 2^53 only floats exist, and both write the same text.
    expect(referenceNumber(JSON.parse('1000000000000000.0'))).toBe('1000000000000000');
    expect(referenceNumber(JSON.parse('100.0'))).toBe('100');
    expect(referenceNumber(JSON.parse('9007199254740992.0'))).toBe('9007199254740992');
    expect(referenceNumber(JSON.parse('-0.0'))).toBe('-0.0');
    expect(referenceNumber(JSON.parse('1e+16'))).toBe('1e+16');
  });

  test('the text reads back to the same value (shortest round trip) for many doubles', () => {
    const values = [Math.PI, Math.E, 1 / 3, 2 ** -1074, 2 ** 1023, 1e-5 - 1e-21, 1e16 - 2];
    for (const x of [...values, ...values.map((v) => -v)]) {
      expect(Number(referenceNumber(x))).toBe(x);
    }
    // Just below 1e16 stays fixed notation, with ".0" for a whole float beyond 2^53.
    expect(referenceNumber(1e16 - 2)).toBe('9999999999999998.0');
  });
});

describe('referenceJson: code point key order, serde numbers, JSON escapes', () => {
  const keys = ['', '10', '9', 'Alpha', 'alpha', 'é', 'Ａ_fullwidth', '😀_emoji'];

  test('the README key order: "", "10", "9", "Alpha", "alpha", "é", "Ａ_fullwidth", "😀_emoji"', () => {
    // Build the object in reverse order; integer-like keys ("9", "10") even come first in JS.
    const value: Record<string, JsonValue> = {};
    for (const [i, k] of [...keys].reverse().entries()) value[k] = i;
    const text = referenceJson(value);
    const order = Object.keys(JSON.parse(text));
    // JSON.parse puts integer-like keys first again; read the order from the text instead.
    expect(order).toHaveLength(keys.length);
    const positions = keys.map((k) => text.indexOf(`${JSON.stringify(k)}:`));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(text).toBe(
      '{"":7,"10":6,"9":5,"Alpha":4,"alpha":3,"é":2,"Ａ_fullwidth":1,"😀_emoji":0}',
    );
  });

  test('code point order differs from UTF-16 order (RFC 8785) above U+FFFF', () => {
    expect(compareCodePoints('Ａ_fullwidth', '😀_emoji')).toBeLessThan(0);
    expect('Ａ_fullwidth' < '😀_emoji').toBe(false); // UTF-16: U+D83D < U+FF21
    const value = { '😀_emoji': 1, Ａ_fullwidth: 2 };
    expect(referenceJson(value)).toBe('{"Ａ_fullwidth":2,"😀_emoji":1}');
    expect(canonicalJson(value)).toBe('{"😀_emoji":1,"Ａ_fullwidth":2}');
  });

  test('compareCodePoints is a total order by code point', () => {
    const sorted = ['', 'a', 'aa', 'ab', 'b', 'é', '\uffff', '😀', '😀a', '🙂'];
    expect([...sorted].reverse().sort(compareCodePoints)).toEqual(sorted);
    expect(compareCodePoints('😀', '😀')).toBe(0);
    expect(compareCodePoints('a', 'a😀')).toBeLessThan(0);
  });

  test('nested values, string escapes as serde writes them', () => {
    const value: JsonValue = {
      z: [1, 2.5, 'three', false, null, { k: [] }, 1e-7, 9007199254740992],
      a: { floats: [0.1, 1e21, -0, 1e-7, 2.5], empty: {}, list: [] },
      s: 'tab\t nl\n cr\r bs\\ q" bell\u0007 del\u007f nel\u0085 ls\u2028 é 😀',
    };
    expect(referenceJson(value)).toBe(
      '{"a":{"empty":{},"floats":[0.1,1e+21,-0.0,1e-7,2.5],"list":[]},' +
        '"s":"tab\\t nl\\n cr\\r bs\\\\ q\\" bell\\u0007 del\u007f nel\u0085 ls\u2028 é 😀",' +
        '"z":[1,2.5,"three",false,null,{"k":[]},1e-7,9007199254740992]}',
    );
    expect(referenceJson(null)).toBe('null');
    expect(referenceJson('x')).toBe('"x"');
    expect(referenceJson([])).toBe('[]');
  });
});

describe('toReferenceEventJson', () => {
  test('writes the reference form; reading it back keeps the id as an unverifiable reference id', () => {
    const c = clock();
    const event = createEvent(
      KEY,
      'helper',
      {
        type: 'agent_response',
        content: 'ok',
        model: 'm',
        tokens: { input_tokens: 3, output_tokens: 4 },
      },
      { clock: c, origin: 'tab', timestamp: '2025-01-15T10:00:01.500Z' },
    );
    const line = toReferenceEventJson(event);
    expect(line).toBe(
      `{"id":[${idToBytes(event.id).join(',')}],"session_key":"${KEY}","agent_id":"helper",` +
        '"timestamp":"2025-01-15T10:00:01.500Z","kind":{"type":"agent_response","content":"ok",' +
        '"model":"m","tokens":{"input_tokens":3,"output_tokens":4,"cache_read_tokens":null,"cache_write_tokens":null}}}',
    );
    const back = parseEvent(JSON.parse(line), { clock: c });
    expect(back.id).toBe(event.id);
    expect(back.origin).toBe('reference');
    expect(back.kind).toEqual(event.kind);
    expect(back.timestamp).toBe(event.timestamp);
    expect(verifyEvent(back)).toBe(false);
    expect(toReferenceEventJson(back)).toBe(line);
  });

  test('struct fields keep declaration order, JSON values get code point key order', () => {
    const c = clock();
    const m = createEvent(
      KEY,
      'h',
      {
        type: 'message_received',
        content: 'x',
        attachments: [{ size: 1, mime_type: null, kind: 'file' } as never],
      },
      { clock: c, timestamp: '2025-01-15T10:00:00Z' },
    );
    expect(toReferenceEventJson(m)).toContain(
      '"timestamp":"2025-01-15T10:00:00Z","kind":{"type":"message_received","content":"x","attachments":[{"kind":"file","mime_type":null,"size":1}]}}',
    );
    const s = createEvent(
      KEY,
      'h',
      { type: 'state_changed', key: 'k', value: { b: 1, '😀': 2, a: [1e21] } },
      { clock: c, timestamp: '2025-01-15T10:00:00.000000001Z' },
    );
    expect(toReferenceEventJson(s)).toContain(
      '"timestamp":"2025-01-15T10:00:00.000000001Z","kind":{"type":"state_changed","key":"k","value":{"a":[1e+21],"b":1,"😀":2}}}',
    );
  });
});

/** A projection with every message form, a state key "__proto__", tokens and a session_started. */
function sample(): ReferenceProjection {
  const c = clock();
  const at = (s: number) => `2025-01-15T10:00:0${s}.25Z`;
  const kinds: EventKindInput[] = [
    { type: 'session_started', channel: 'discord', peer_id: 'chan-9001' },
    { type: 'message_received', content: 'hi 👋' },
    { type: 'message_sent', content: 'sent', message_id: 'm' },
    { type: 'tool_result', tool_name: 'calc', result: { b: [1e21, -0], a: 'x' }, success: true },
    {
      type: 'agent_response',
      content: 'answer',
      model: 'm',
      tokens: { input_tokens: 1, output_tokens: 1 },
    },
    { type: 'state_changed', key: '__proto__', value: { polluted: true } },
    { type: 'session_ended', reason: 'bye' },
  ];
  const events = kinds.map((kind, i) =>
    createEvent(KEY, 'helper', kind, { clock: c, origin: 'o', timestamp: at(i) }),
  );
  return toReferenceProjection(project(events));
}

describe('toReferenceProjection / parseReferenceProjection', () => {
  test('the reference shape, field by field', () => {
    const p = sample();
    expect(Object.keys(p)).toEqual([
      'session_key',
      'agent_id',
      'channel',
      'peer_id',
      'state',
      'message_count',
      'last_activity',
      'messages',
      'custom_state',
      'last_event_id',
    ]);
    expect(p.messages).toEqual([
      { Inbound: 'hi 👋' },
      { Outbound: 'sent' },
      // createEvent reads -0 as 0 (as JSON writes it), so the reference's -0.0 is not reproduced.
      { Tool: { name: 'calc', result: '{"a":"x","b":[1e+21,0]}' } },
      { Outbound: 'answer' },
    ]);
    expect(p.state).toBe('ended');
    expect(p.message_count).toBe(1);
    expect(p.last_activity).toBe('2025-01-15T10:00:06.250Z');
    expect(p.last_event_id).toHaveLength(32);
    expect(Object.keys(p.custom_state)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(p.custom_state)).toBe(Object.prototype);
  });

  test('round trip through JSON text', () => {
    const p = sample();
    const back = parseReferenceProjection(JSON.parse(JSON.stringify(p)));
    expect(back).toEqual(p);
    expect(Object.keys(back.custom_state)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('round trip of an empty projection (no agent, no activity)', () => {
    const p = toReferenceProjection(emptyProjection(KEY));
    expect(p).toEqual({
      session_key: KEY,
      agent_id: '',
      channel: 'unknown',
      peer_id: 'unknown',
      state: 'active',
      message_count: 0,
      last_activity: null,
      messages: [],
      custom_state: {},
      last_event_id: null,
    });
    expect(parseReferenceProjection(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  test('"paused" (the reference’s third state) and 0–9 fraction digits are read', () => {
    const p = { ...sample(), state: 'paused', last_activity: '2025-01-15T10:00:06.2Z' };
    expect(parseReferenceProjection(p).state).toBe('paused');
    expect(parseReferenceProjection(p).last_activity).toBe('2025-01-15T10:00:06.2Z');
  });

  type Edit = (p: Record<string, unknown>) => unknown;
  const rows: [string, string, Edit][] = [
    ['not an object', 'projection', () => 'x'],
    ['an array', 'projection', () => []],
    ['session_key a number', 'session_key', (p) => ({ ...p, session_key: 1 })],
    ['agent_id missing', 'agent_id', ({ agent_id: _, ...p }) => p],
    ['channel null', 'channel', (p) => ({ ...p, channel: null })],
    ['peer_id missing', 'peer_id', ({ peer_id: _, ...p }) => p],
    ['state unknown', 'state', (p) => ({ ...p, state: 'closed' })],
    ['message_count fractional', 'message_count', (p) => ({ ...p, message_count: 1.5 })],
    ['message_count a string', 'message_count', (p) => ({ ...p, message_count: '1' })],
    ['message_count negative', 'message_count', (p) => ({ ...p, message_count: -1 })],
    ['last_activity missing', 'last_activity', ({ last_activity: _, ...p }) => p],
    [
      'last_activity Feb 30',
      'last_activity',
      (p) => ({ ...p, last_activity: '2025-02-30T00:00:00Z' }),
    ],
    [
      'last_event_id of 31 bytes',
      'last_event_id',
      (p) => ({ ...p, last_event_id: Array(31).fill(0) }),
    ],
    [
      'last_event_id byte 256',
      'last_event_id',
      (p) => ({ ...p, last_event_id: Array(32).fill(256) }),
    ],
    ['last_event_id as hex', 'last_event_id', (p) => ({ ...p, last_event_id: 'ab'.repeat(32) })],
    ['messages an object', 'messages', (p) => ({ ...p, messages: {} })],
    ['messages[1] a string', 'messages[1]', (p) => ({ ...p, messages: [{ Inbound: 'a' }, 'b'] })],
    ['messages[0] empty', 'messages[0]', (p) => ({ ...p, messages: [{}] })],
    [
      'messages[0] two tags',
      'messages[0]',
      (p) => ({ ...p, messages: [{ Inbound: 'a', Outbound: 'b' }] }),
    ],
    [
      'messages[0] unknown tag',
      'messages[0].System',
      (p) => ({ ...p, messages: [{ System: 'a' }] }),
    ],
    [
      'messages[0].Inbound a number',
      'messages[0].Inbound',
      (p) => ({ ...p, messages: [{ Inbound: 1 }] }),
    ],
    ['messages[0].Tool null', 'messages[0].Tool', (p) => ({ ...p, messages: [{ Tool: null }] })],
    [
      'messages[0].Tool.name missing',
      'messages[0].Tool.name',
      (p) => ({ ...p, messages: [{ Tool: { result: '1' } }] }),
    ],
    [
      'messages[0].Tool.result not text',
      'messages[0].Tool.result',
      (p) => ({ ...p, messages: [{ Tool: { name: 'n', result: { a: 1 } } }] }),
    ],
    ['custom_state an array', 'custom_state', (p) => ({ ...p, custom_state: [] })],
    ['custom_state null', 'custom_state', (p) => ({ ...p, custom_state: null })],
  ];

  test.each(rows)('validation: %s → %s', (_name, field, edit) => {
    const input = edit(JSON.parse(JSON.stringify(sample())));
    let caught: unknown;
    try {
      parseReferenceProjection(input);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(EventStoreError);
    expect((caught as EventStoreError).code).toBe('validation');
    expect((caught as EventStoreError).field).toBe(field);
    expect((caught as EventStoreError).message).toContain(field);
  });
});
