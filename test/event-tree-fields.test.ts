/**
 * The event model chat UIs need (issue 13): `parent_id`, `call_id` and
 * `parts` inside the kinds, the `head_set` kind, their validation, and the
 * forward-compatibility rule (unknown fields inside known kinds are kept,
 * hashed and ignored by a lenient reader; a strict one rejects them).
 */
import { describe, expect, test } from 'vitest';
import { HybridClock } from '../src/clock.js';
import { toReferenceEventJson } from '../src/entries/reference.js';
import { exportEvents } from '../src/entries/transfer.js';
import { computeEventId } from '../src/ids.js';
import {
  createEvent,
  type EventKindInput,
  EventStoreError,
  MAX_CALL_ID_LENGTH,
  parseEvent,
  project,
  verifyEvent,
} from '../src/index.js';
import { openTestStore } from './store-helpers.js';

const KEY = 'agent:a:main';
const clock = new HybridClock({ now: () => Date.UTC(2026, 10, 30, 6) });
const ID = 'a'.repeat(64);
const make = (kind: EventKindInput) =>
  createEvent(KEY, 'a', kind, { clock, origin: 'o', timestamp: '2026-11-30T05:00:00Z' });

function expectField(run: () => unknown, field: string): EventStoreError {
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
  return error;
}

describe('tree links, call ids and parts', () => {
  test('absent fields stay absent: the event and its id are what they were', () => {
    const plain = make({ type: 'message_received', content: 'hi' });
    const undef = make({ type: 'message_received', content: 'hi', parent_id: undefined });
    expect(Object.keys(plain.kind)).toEqual(['type', 'content', 'attachments']);
    expect(undef.id).toBe(plain.id);
  });

  test('parent_id (an id or null), call_id and parts are hashed, kept and read back', () => {
    const kinds: EventKindInput[] = [
      { type: 'message_received', content: 'q', parent_id: null },
      { type: 'message_sent', content: 'x', message_id: 'm', parent_id: ID },
      { type: 'tool_called', tool_name: 't', params: { q: 1 }, call_id: 'call_1', parent_id: ID },
      { type: 'tool_result', tool_name: 't', result: 2, success: true, call_id: 'call_1' },
      {
        type: 'agent_response',
        content: 'Paris.',
        model: 'm',
        tokens: { input_tokens: 1, output_tokens: 2 },
        parent_id: ID,
        parts: [
          { type: 'reasoning', text: 'The capital…' },
          { type: 'text', text: 'Paris.' },
          { type: 'source', url: 'https://en.wikipedia.org/wiki/Paris', title: 'Paris' },
          { type: 'source', source_id: 'doc-1', media_type: 'application/pdf', filename: 'a.pdf' },
          {
            type: 'file',
            media_type: 'image/png',
            url: 'https://x/y.png',
            filename: 'y.png',
            size: 3,
          },
          { type: 'data', name: 'weather', data: { temp: 21 }, data_id: 'w1' },
        ],
      },
    ];
    for (const kind of kinds) {
      const event = make(kind);
      expect(event.kind).toEqual(
        kind.type === 'message_received'
          ? { ...kind, attachments: [] }
          : {
              ...kind,
              ...(kind.type === 'agent_response'
                ? { tokens: { ...kind.tokens, cache_read_tokens: null, cache_write_tokens: null } }
                : {}),
            },
      );
      const back = parseEvent(JSON.parse(JSON.stringify(event)));
      expect(back).toEqual(event);
      expect(verifyEvent(back)).toBe(true);
      // Another parent is another event.
      if ('parent_id' in kind && kind.parent_id) {
        expect(make({ ...kind, parent_id: 'b'.repeat(64) } as EventKindInput).id).not.toBe(
          event.id,
        );
      }
    }
  });

  test('bad links, call ids and parts are validation errors naming the field', () => {
    const msg = (extra: Record<string, unknown>) => () =>
      make({ type: 'message_received', content: 'q', ...extra } as EventKindInput);
    expectField(msg({ parent_id: 'abc' }), 'kind.parent_id');
    expectField(msg({ parent_id: 'A'.repeat(64) }), 'kind.parent_id');
    expectField(msg({ parent_id: 7 }), 'kind.parent_id');
    const call = (call_id: unknown) => () =>
      make({ type: 'tool_called', tool_name: 't', params: null, call_id } as EventKindInput);
    expectField(call(''), 'kind.call_id');
    expectField(call(1), 'kind.call_id');
    expectField(call('x'.repeat(MAX_CALL_ID_LENGTH + 1)), 'kind.call_id');
    expect(
      make({
        type: 'tool_called',
        tool_name: 't',
        params: null,
        call_id: 'x'.repeat(MAX_CALL_ID_LENGTH),
      }).kind,
    ).toHaveProperty('call_id');
    expectField(msg({ parts: {} }), 'kind.parts');
    expectField(msg({ parts: [null] }), 'kind.parts[0]');
    expectField(msg({ parts: [{ type: 'reasoning' }] }), 'kind.parts[0].text');
    expectField(msg({ parts: [{ text: 'x' }] }), 'kind.parts[0].type');
    expectField(
      msg({ parts: [{ type: 'text', text: 'a' }, { type: 'source' }] }),
      'kind.parts[1].url',
    );
    expectField(msg({ parts: [{ type: 'file', url: 'u' }] }), 'kind.parts[0].media_type');
    expectField(
      msg({ parts: [{ type: 'file', url: 'u', media_type: 'a/b', size: -1 }] }),
      'kind.parts[0].size',
    );
    expectField(msg({ parts: [{ type: 'data', name: 'n' }] }), 'kind.parts[0].data');
    expectField(
      msg({ parts: [{ type: 'data', name: 'n', data: Number.NaN }] }),
      'kind.parts[0].data',
    );
    expectField(msg({ parts: [{ type: 'widget', x: 1 }] }), 'kind.parts[0].type');
    expectField(
      msg({ parts: [{ type: 'reasoning', text: 'x', extra: 1 }] }),
      'kind.parts[0].extra',
    );
    // A hole in a sparse parts array is an error, not skipped.
    expectField(
      msg({ parts: Object.assign([], { 1: { type: 'text', text: 'x' }, length: 2 }) }),
      'kind.parts[0]',
    );
    expectField(() => make({ type: 'head_set', target_id: 'nope' }), 'kind.target_id');
  });
});

describe('tool meta (issue 14)', () => {
  test('a tool call or result keeps its meta object, hashed; absent stays absent', () => {
    const meta = { approval: { id: 'ap', approved: false, reason: 'no' }, dynamic: true };
    const call = make({ type: 'tool_called', tool_name: 't', params: {}, call_id: 'c', meta });
    const result = make({
      type: 'tool_result',
      tool_name: 't',
      result: 'denied',
      success: false,
      call_id: 'c',
      meta: { state: 'output-denied' },
    });
    expect(call.kind).toMatchObject({ meta });
    expect(parseEvent(JSON.parse(JSON.stringify(call)))).toEqual(call);
    expect(verifyEvent(result)).toBe(true);
    const without = make({ type: 'tool_called', tool_name: 't', params: {}, call_id: 'c' });
    expect('meta' in without.kind).toBe(false);
    expect(without.id).not.toBe(call.id);
  });

  test('meta that is not a JSON object is a validation error naming the field', () => {
    for (const bad of [[1], 'x', null])
      expectField(
        () => make({ type: 'tool_called', tool_name: 't', params: {}, meta: bad as never }),
        'kind.meta',
      );
    expectField(
      () =>
        make({
          type: 'tool_result',
          tool_name: 't',
          result: 1,
          success: true,
          meta: { when: new Date() as never },
        }),
      'kind.meta.when',
    );
  });
});

describe('forward compatibility', () => {
  // What a newer version might write: a field this version does not know, a new part type.
  const newer = () => {
    const content = {
      session_key: KEY,
      agent_id: 'a',
      timestamp: '2026-11-30T05:00:00.000000000Z',
      origin: 'newer',
      kind: {
        type: 'agent_response',
        content: 'hi',
        model: 'm',
        tokens: {
          input_tokens: 1,
          output_tokens: 1,
          cache_read_tokens: null,
          cache_write_tokens: null,
          reasoning_tokens: 7,
        },
        parts: [
          { type: 'audio_clip', url: 'https://x/a.ogg' },
          { type: 'reasoning', text: 'r', signature: 'sig' },
        ],
        attempt: 2,
      },
    };
    return content;
  };

  test('a strict reader (createEvent, parseEvent by default) rejects unknown fields, naming them', () => {
    const content = newer();
    const value = { id: computeEventId(content), ...content };
    expectField(() => parseEvent(value), 'kind.attempt');
    const { attempt: _, ...rest } = value.kind;
    expectField(() => parseEvent({ ...value, kind: rest }), 'kind.tokens.reasoning_tokens');
  });

  test('a lenient reader keeps them, verifies the id over them, and ignores them', () => {
    const content = newer();
    const value = { id: computeEventId(content), ...content };
    const event = parseEvent(value, { allowUnknownKinds: true });
    expect(event).toEqual(value);
    expect(verifyEvent(event)).toBe(true);
    const p = project([event]);
    expect(p.tokens.input).toBe(1);
    expect(p.messages[0]!.kind).toHaveProperty('attempt', 2);
    // Changing an unknown field changes what the id covers.
    const forged = { ...value, kind: { ...value.kind, attempt: 3 } };
    expectField(() => parseEvent(forged, { allowUnknownKinds: true }), 'id');
  });

  test('a part or kind typed like an Object member ("constructor") is an unknown type, not a crash', () => {
    const strict = () =>
      make({
        type: 'message_sent',
        content: 'x',
        message_id: 'm',
        parts: [{ type: 'constructor' }],
      } as never);
    expect(expectField(strict, 'kind.parts[0].type').message).toContain('is not one of');
    const content = {
      session_key: KEY,
      agent_id: 'a',
      timestamp: '2026-11-30T05:00:00.000000000Z',
      origin: 'o',
      kind: {
        type: 'message_sent',
        content: 'x',
        message_id: 'm',
        parts: [{ type: 'constructor' }],
      },
    };
    const value = { id: computeEventId(content), ...content };
    expect(parseEvent(value, { allowUnknownKinds: true })).toEqual(value);
    const kind = { ...content, kind: { type: 'to_string' } };
    expectField(() => parseEvent({ id: computeEventId(kind), ...kind }), 'kind.type');
    const proto = { ...content, kind: { type: 'constructor', x: 1 } };
    const unknown = { id: computeEventId(proto), ...proto };
    expect(parseEvent(unknown, { allowUnknownKinds: true })).toEqual(unknown);
  });

  test('the store keeps a newer version’s event byte for byte', async () => {
    const store = await openTestStore();
    try {
      const content = newer();
      const value = { id: computeEventId(content), ...content };
      const result = await store.append(value as never);
      expect(result.added).toHaveLength(1);
      const [stored] = await store.getEvents(KEY);
      expect(JSON.stringify(stored)).toBe(
        JSON.stringify(parseEvent(value, { allowUnknownKinds: true })),
      );
      expect(stored).toEqual(value);
    } finally {
      await store.close();
    }
  });

  test('reference export keeps links inside kinds and leaves head_set out', async () => {
    const store = await openTestStore();
    try {
      const a = await store.record(KEY, 'a', { type: 'message_received', content: 'q' });
      await store.record(KEY, 'a', { type: 'message_received', content: 'q2', parent_id: null });
      await store.record(KEY, 'a', { type: 'head_set', target_id: a.id });
      const lines: string[] = [];
      const reader = exportEvents(store, { format: 'reference' }).getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) lines.push(r.value);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain('"parent_id":null');
      expect(lines.join('')).not.toContain('head_set');
      expect(lines[0]).toBe(`${toReferenceEventJson(a)}\n`);
    } finally {
      await store.close();
    }
  });
});
