/**
 * The journal worker's write: every byte or a QuotaExceededError, never a
 * refused write counted as done (Chromium returns its error code, read
 * unsigned, from a write refused for a full quota).
 */
import { describe, expect, it } from 'vitest';
import { type SyncHandle, writeAll } from '../src/journal/sync-handle.js';

/** A file in memory whose write gives back what `result` says for each call. */
function fakeHandle(result: (asked: number, call: number) => number) {
  const writes: Array<{ at: number; bytes: number[] }> = [];
  const handle: SyncHandle = {
    read: () => 0,
    write(buffer, { at }) {
      const n = result(buffer.length, writes.length);
      if (n > 0 && n <= buffer.length) writes.push({ at, bytes: [...buffer.subarray(0, n)] });
      else writes.push({ at, bytes: [] });
      return n;
    },
    truncate: () => {},
    getSize: () => 0,
    flush: () => {},
    close: () => {},
  };
  return { handle, writes };
}

describe('writeAll', () => {
  it('writes every byte, continuing after short writes at the right offsets', () => {
    const { handle, writes } = fakeHandle((asked) => Math.min(asked, 3));
    writeAll(handle, new Uint8Array([1, 2, 3, 4, 5, 6, 7]), 100);
    expect(writes).toEqual([
      { at: 100, bytes: [1, 2, 3] },
      { at: 103, bytes: [4, 5, 6] },
      { at: 106, bytes: [7] },
    ]);
  });

  it.each([
    ['a count larger than asked (Chromium, full quota)', 4294967288],
    ['zero', 0],
    ['a negative count', -1],
  ])('throws QuotaExceededError on %s', (_, returned) => {
    const { handle } = fakeHandle((asked, call) => (call === 0 ? Math.min(asked, 2) : returned));
    let thrown: unknown;
    try {
      writeAll(handle, new Uint8Array(8), 0);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DOMException);
    expect((thrown as DOMException).name).toBe('QuotaExceededError');
    expect((thrown as DOMException).message).toBe('write of 6 bytes refused');
  });
});
