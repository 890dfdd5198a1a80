/**
 * The journal's framing and record reduction, without a file system: what a
 * torn tail, a damaged frame and garbage read as, and what a set of records
 * says must be stored.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeFrames,
  encodeFrame,
  FRAME_HEADER,
  openFrame,
  sealFrame,
} from '../src/journal/frame.js';
import {
  addTombstones,
  commitBatches,
  compactedRecords,
  contentsOf,
  type JournalRecord,
} from '../src/journal/records.js';

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const ev = (id: string, key = 'k', timestamp = `2026-01-01T00:00:0${id.length}.000000000Z`) => ({
  id,
  session_key: key,
  timestamp,
});

describe('journal frames', () => {
  const a = encodeFrame({ c: [ev('a')] });
  const b = encodeFrame({ c: [ev('b'), ev('bb')] });
  const c = encodeFrame({ d: 'k', ts: 'x' });

  it('round-trips values with their offsets', () => {
    const decoded = decodeFrames(concat(a, b, c), 100);
    expect(decoded.frames.map((f) => [f.at, f.end])).toEqual([
      [100, 100 + a.length],
      [100 + a.length, 100 + a.length + b.length],
      [100 + a.length + b.length, 100 + a.length + b.length + c.length],
    ]);
    expect(decoded.frames[1]!.value).toEqual({ c: [ev('b'), ev('bb')] });
    expect(decoded).toMatchObject({
      damaged: [],
      tornTail: 0,
      end: 100 + a.length + b.length + c.length,
    });
  });

  it('a frame framed on the page and sealed by the worker is the same frame; unsealed it is damage', () => {
    const value = { c: [ev('é😀'), ev('b')] };
    const open = openFrame(value);
    expect(decodeFrames(concat(open, a)).damaged).toEqual([
      { at: 0, reason: 'check value mismatch' },
    ]);
    expect(sealFrame(open)).toEqual(encodeFrame(value));
    expect(decodeFrames(open).frames[0]!.value).toEqual(value);
  });

  it('ignores a torn tail at any cut, without calling it damage', () => {
    const whole = concat(a, b);
    for (let cut = a.length + 1; cut < whole.length; cut++) {
      const decoded = decodeFrames(whole.subarray(0, cut));
      expect(decoded.frames).toHaveLength(1);
      expect(decoded.damaged).toEqual([]);
      expect(decoded.end).toBe(a.length);
      expect(decoded.tornTail).toBe(cut - a.length);
    }
  });

  it('skips a damaged frame followed by good ones, and reports it', () => {
    for (const offset of [0, 2, 5, 9, FRAME_HEADER + 3, b.length - 1]) {
      const broken = b.slice();
      broken[offset]! ^= 0x5a;
      const decoded = decodeFrames(concat(a, broken, c));
      expect(decoded.frames.map((f) => f.value)).toEqual([{ c: [ev('a')] }, { d: 'k', ts: 'x' }]);
      expect(decoded.damaged).toHaveLength(1);
      expect(decoded.damaged[0]!.at).toBe(a.length);
      expect(decoded.tornTail).toBe(0);
    }
  });

  it('reads past garbage and zeros between frames', () => {
    const decoded = decodeFrames(concat(a, new Uint8Array(37), new Uint8Array([1, 2, 3]), c));
    expect(decoded.frames).toHaveLength(2);
    expect(decoded.damaged).toEqual([{ at: a.length, reason: 'no frame marker' }]);
  });

  it('reads nothing from an empty or all-garbage file', () => {
    expect(decodeFrames(new Uint8Array(0))).toEqual({
      frames: [],
      damaged: [],
      end: 0,
      tornTail: 0,
    });
    const junk = decodeFrames(new Uint8Array(100).fill(7));
    expect(junk.frames).toEqual([]);
    expect(junk.tornTail).toBe(100);
  });
});

describe('journal records', () => {
  const frames = (records: JournalRecord[]) => {
    const bytes = concat(...records.map((r) => encodeFrame(r)));
    return decodeFrames(bytes).frames;
  };

  it('drops refused commits, keeps each id once and the latest deletion per session', () => {
    const first = encodeFrame({ c: [ev('a'), ev('b')] }).length;
    const file = frames([
      { c: [ev('a'), ev('b')] },
      { c: [ev('x')] },
      { r: first }, // the second frame was refused
      { c: [ev('b'), ev('c', 'other')] },
      { d: 'k', ts: '2026-01-01T00:00:01.000000000Z' },
      { d: 'k', ts: '2026-01-01T00:00:00.500000000Z' },
    ]);
    const contents = contentsOf([file, frames([{ c: [ev('a')] }, { x: 1 } as never])]);
    expect(contents.events.map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect(contents.commitEnds).toEqual([2, 3]);
    expect(contents.tombstones).toEqual(new Map([['k', '2026-01-01T00:00:01.000000000Z']]));
    expect(contents.unknown).toBe(1);
  });

  it('compacts to the deletions and the events they leave', () => {
    const contents = contentsOf([
      frames([
        { c: [ev('a', 'k', '2026-01-01T00:00:01.000000000Z')] },
        { c: [ev('b', 'k', '2026-01-01T00:00:03.000000000Z'), ev('c', 'j')] },
      ]),
    ]);
    addTombstones(contents, new Map([['k', '2026-01-01T00:00:02.000000000Z']]));
    expect(compactedRecords(contents)).toEqual([
      { d: 'k', ts: '2026-01-01T00:00:02.000000000Z' },
      { c: [ev('b', 'k', '2026-01-01T00:00:03.000000000Z'), ev('c', 'j')] },
    ]);
  });

  it('batches whole commits', () => {
    const contents = contentsOf([
      frames([{ c: [ev('a'), ev('b'), ev('c')] }, { c: [ev('d')] }, { c: [ev('e'), ev('f')] }]),
    ]);
    expect(commitBatches(contents, 2).map((b) => b.length)).toEqual([3, 3]);
    expect(commitBatches(contents, 100).map((b) => b.length)).toEqual([6]);
  });
});
