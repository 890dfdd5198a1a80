/**
 * A journal segment compacted inside its own file (what a deletion at a full
 * quota does, src/journal/in-place.ts): what stays and what goes, the zeros
 * kept past the new end, and that a crash after any write loses no surviving
 * record and brings back no refused commit. Also the growth steps of a
 * segment's zeros (src/journal/reserve.ts).
 */
import { describe, expect, it } from 'vitest';
import { decodeFrames, encodeFrame } from '../src/journal/frame.js';
import { planInPlace } from '../src/journal/in-place.js';
import { contentsOf, type JournalRecord } from '../src/journal/records.js';
import { allZero, grownSize, RESERVE } from '../src/journal/reserve.js';
import { rewriteInPlace, type SyncHandle } from '../src/journal/sync-handle.js';

const ts = (second: number) => `2026-01-01T00:00:${String(second).padStart(2, '0')}.000000000Z`;
const ev = (id: string, key: string, second: number) => ({
  id,
  session_key: key,
  timestamp: ts(second),
  content: `${id} `.repeat(20),
});

/** A file in memory; after `crashAfter` writes or truncations, the next is torn (half written) and throws. */
function memoryFile(initial: Uint8Array, crashAfter = Number.POSITIVE_INFINITY) {
  let bytes = initial.slice();
  let ops = 0;
  const step = () => {
    if (ops++ >= crashAfter) throw new Error('crash');
  };
  const handle: SyncHandle = {
    read: () => 0,
    write(buffer, { at }) {
      if (ops >= crashAfter) {
        const half = buffer.subarray(0, buffer.length >> 1);
        if (at + half.length <= bytes.length) bytes.set(half, at);
      }
      step();
      if (at + buffer.length > bytes.length) throw new Error('growth is not expected here');
      bytes.set(buffer, at);
      return buffer.length;
    },
    truncate(size) {
      step();
      const next = new Uint8Array(size);
      next.set(bytes.subarray(0, Math.min(size, bytes.length)));
      bytes = next;
    },
    getSize: () => bytes.length,
    flush: () => {},
    close: () => {},
  };
  return { handle, bytes: () => bytes, ops: () => ops };
}

/**
 * A segment: commits of two sessions, one refused (with its refusal), a
 * deletion of `b`, later events of `b` (kept: made after the deletion), then zeros.
 */
function segment() {
  const records: JournalRecord[] = [];
  const frames: Uint8Array[] = [];
  let at = 0;
  const add = (record: JournalRecord) => {
    const frame = encodeFrame(record);
    records.push(record);
    frames.push(frame);
    at += frame.length;
    return at - frame.length;
  };
  add({ c: [ev('a1', 'a', 1), ev('b1', 'b', 1), ev('a2', 'a', 2)] });
  const refused = add({ c: [ev('x1', 'a', 3), ev('x2', 'b', 3)] });
  add({ c: [ev('b2', 'b', 4)] });
  add({ r: refused });
  add({ c: Array.from({ length: 6 }, (_, i) => ev(`a3-${i}`, 'a', 5)) });
  add({ d: 'b', ts: ts(6) });
  add({ c: [ev('b3', 'b', 7), ev('a4', 'a', 7)] });
  const end = at;
  const bytes = new Uint8Array(end + RESERVE + 2000);
  at = 0;
  for (const frame of frames) {
    bytes.set(frame, at);
    at += frame.length;
  }
  return { bytes, end };
}

const surviving = ['a1', 'a2', 'b3', 'a4', ...Array.from({ length: 6 }, (_, i) => `a3-${i}`)];

function compact(bytes: Uint8Array, end: number, crashAfter?: number) {
  const file = memoryFile(bytes, crashAfter);
  const decoded = decodeFrames(bytes);
  const plan = planInPlace(bytes, decoded.frames, new Map())!;
  let size: number | undefined;
  try {
    size = rewriteInPlace(file.handle, {
      ...plan,
      bytes: plan.bytes.slice().buffer,
      staging: end,
      keep: RESERVE,
    });
  } catch (error) {
    if ((error as Error).message !== 'crash') throw error;
  }
  return { file, plan, size };
}

describe('compaction in place', () => {
  it('drops refused commits, refusals and deleted events; keeps the rest, the deletion and the zeros', () => {
    const { bytes, end } = segment();
    const { file, plan, size } = compact(bytes, end);
    const after = file.bytes();
    const decoded = decodeFrames(after);
    const newEnd = plan.from + plan.bytes.length;
    expect(decoded.damaged).toEqual([]);
    expect(decoded.end).toBe(newEnd);
    expect(size).toBe(newEnd + RESERVE);
    expect(after.length).toBe(newEnd + RESERVE);
    expect(allZero(after.subarray(newEnd))).toBe(true);
    const contents = contentsOf([decoded.frames]);
    expect(contents.events.map((e) => e.id).sort()).toEqual([...surviving].sort());
    expect([...contents.tombstones]).toEqual([['b', ts(6)]]);
    expect(decoded.frames.some((f) => typeof (f.value as { r?: unknown }).r === 'number')).toBe(
      false,
    );
    // The deleted and refused events are gone from the bytes, not only unreadable.
    const text = new TextDecoder().decode(after);
    for (const gone of ['b1', 'b2', 'x1', 'x2']) expect(text).not.toContain(`"${gone}"`);
    // The first record lost an event, so everything is rewritten from the start.
    expect(plan.from).toBe(0);
  });

  it('a crash after any write loses no surviving record and restores no refused one', () => {
    const { bytes, end } = segment();
    const total = compact(bytes, end).file.ops();
    expect(total).toBeGreaterThan(5);
    for (let crashAfter = 0; crashAfter <= total; crashAfter++) {
      const { file } = compact(bytes, end, crashAfter);
      const contents = contentsOf([decodeFrames(file.bytes()).frames]);
      const ids = new Set(contents.events.map((e) => e.id));
      for (const id of surviving) expect(ids, `crash after ${crashAfter} writes`).toContain(id);
      expect(ids.has('x1') || ids.has('x2'), `crash after ${crashAfter}: refused`).toBe(false);
      expect(contents.tombstones.get('b'), `crash after ${crashAfter}: deletion`).toBe(ts(6));
    }
  });

  it('leaves the records before the first change unwritten', () => {
    const keep = encodeFrame({ c: [ev('k1', 'a', 1)] });
    const gone = encodeFrame({ c: [ev('g1', 'b', 1)] });
    const bytes = new Uint8Array(keep.length + gone.length + RESERVE);
    bytes.set(keep, 0);
    bytes.set(gone, keep.length);
    const plan = planInPlace(bytes, decodeFrames(bytes).frames, new Map([['b', ts(2)]]))!;
    expect(plan).toMatchObject({ from: keep.length, cuts: [], unmark: [] });
    expect(plan.bytes.length).toBe(0);
  });

  it('plans nothing when nothing goes', () => {
    const frames = [
      encodeFrame({ c: [ev('k1', 'a', 1)] }),
      encodeFrame({ d: 'b', ts: ts(2) }),
      encodeFrame({ c: [ev('k2', 'a', 3), ev('k3', 'b', 3)] }),
    ];
    const bytes = new Uint8Array(frames.reduce((n, f) => n + f.length, 0) + RESERVE);
    let at = 0;
    for (const frame of frames) {
      bytes.set(frame, at);
      at += frame.length;
    }
    expect(planInPlace(bytes, decodeFrames(bytes).frames, new Map())).toBeUndefined();
  });

  it('refuses, writing nothing, when a record does not fit in the zeros past the last frame', () => {
    const { bytes, end } = segment();
    const plan = planInPlace(bytes, decodeFrames(bytes).frames, new Map())!;
    const tight = bytes.slice(0, end + plan.largest - 1);
    const file = memoryFile(tight);
    let thrown: unknown;
    try {
      rewriteInPlace(file.handle, {
        ...plan,
        bytes: plan.bytes.slice().buffer,
        staging: end,
        keep: RESERVE,
      });
    } catch (error) {
      thrown = error;
    }
    expect((thrown as DOMException).name).toBe('QuotaExceededError');
    expect(file.ops()).toBe(0);
    expect(file.bytes()).toEqual(tight);
  });
});

describe('a segment grows ahead of its frames', () => {
  it('by an eighth of the file, at least 64 kB and at most 256 kB past what is needed', () => {
    expect(grownSize(0, 100)).toBe(100 + 64 * 1024);
    expect(grownSize(1024 * 1024, 1024 * 1024 + 10)).toBe(1024 * 1024 + 10 + 128 * 1024);
    expect(grownSize(8 * 1024 * 1024, 8 * 1024 * 1024 + 10)).toBe(
      8 * 1024 * 1024 + 10 + 256 * 1024,
    );
    expect(grownSize(500, 400)).toBe(500);
  });
});
