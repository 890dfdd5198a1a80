/**
 * The cold-open read path's cheaper forms keep the old answers: the reused
 * BLAKE2b hasher, the loop form of canonical JSON, and the stored event's
 * size taken from the bytes that are hashed.
 */
import { blake2b } from '@noble/hashes/blake2.js';
import { describe, expect, it } from 'vitest';
import { HybridClock } from '../src/clock.js';
import { createEvent, MAX_EVENT_BYTES, parseEvent } from '../src/event.js';
import { blake2b256Hex, bytesToHex } from '../src/ids.js';
import { canonicalJson } from '../src/json.js';

const KEY = 'agent:cold:main';

/** canonicalJson as it was written before (map and join). */
function previousCanonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(previousCanonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    if (record[key] !== undefined)
      parts.push(`${JSON.stringify(key)}:${previousCanonicalJson(record[key])}`);
  }
  return `{${parts.join(',')}}`;
}

describe('id hashing', () => {
  it('gives BLAKE2b-256 for every input, one after another with a reused hasher', () => {
    expect(blake2b256Hex('')).toBe(
      '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8',
    );
    expect(blake2b256Hex('abc')).toBe(
      'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319',
    );
    const encoder = new TextEncoder();
    // Around the 128-byte block edges, and several blocks, interleaved with short ones.
    for (const n of [1, 127, 128, 129, 255, 256, 257, 1000, 5000, 3]) {
      const text = 'é-x'.repeat(n).slice(0, n);
      const expected = bytesToHex(blake2b(encoder.encode(text), { dkLen: 32 }));
      expect(blake2b256Hex(text)).toBe(expected);
      expect(blake2b256Hex(text)).toBe(expected);
    }
  });
});

describe('canonical JSON', () => {
  it('writes what the map-and-join form wrote, holes and undefined included', () => {
    const values: unknown[] = [
      [1, undefined, 'x', null],
      // biome-ignore lint/suspicious/noSparseArray: a hole is the case tested
      [, 2, , [undefined, { a: undefined, b: [undefined] }]],
      { z: [() => 1], y: { c: undefined, b: null, a: [] }, '': 'e', é: 1 },
      [[], {}, [[]], [{}]],
      { n: -0, big: 1e21, small: 5e-324, s: '\u2028"\\' },
      'plain',
      42,
      null,
    ];
    for (const value of values) expect(canonicalJson(value)).toBe(previousCanonicalJson(value));
  });
});

describe('parsing a stored event', () => {
  const clock = new HybridClock({ maxSkewMs: 1e15 });

  it('accepts a record whose id matches and rejects one changed after hashing', () => {
    const event = createEvent(KEY, 'a', { type: 'message_received', content: 'hé 👋🏽' });
    const record = JSON.parse(JSON.stringify(event));
    expect(parseEvent(record, { allowUnknownKinds: true, clock })).toEqual(event);
    const forged = { ...record, kind: { ...record.kind, content: 'other' } };
    expect(() => parseEvent(forged, { allowUnknownKinds: true, clock })).toThrow(
      expect.objectContaining({ code: 'validation', field: 'id' }),
    );
  });

  it('still rejects a forged id when the timestamp given is a function', () => {
    const record = {
      id: '0'.repeat(64),
      session_key: KEY,
      agent_id: 'a',
      timestamp: () => '2025-01-15T12:00:00.000000000Z',
      kind: { type: 'session_ended', reason: 'r' },
    };
    expect(() => parseEvent(record, { allowUnknownKinds: true, clock })).toThrow(
      expect.objectContaining({ code: 'validation', field: 'id' }),
    );
  });

  it('reports an oversized event by its UTF-8 size, before its id', () => {
    const content = 'é'.repeat(MAX_EVENT_BYTES / 2);
    const record = {
      id: '0'.repeat(64),
      session_key: KEY,
      agent_id: 'a',
      timestamp: '2025-01-15T12:00:00.000000000Z',
      origin: 'o',
      kind: { type: 'message_received', content, attachments: [] },
    };
    const size = new TextEncoder().encode(canonicalJson({ ...record, id: undefined })).length;
    expect(() => parseEvent(record, { allowUnknownKinds: true, clock })).toThrow(
      expect.objectContaining({
        code: 'validation',
        field: 'kind',
        message: `kind: event is ${size} bytes of JSON, more than the limit of ${MAX_EVENT_BYTES}`,
      }),
    );
  });
});
