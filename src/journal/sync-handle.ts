/**
 * The part of `FileSystemSyncAccessHandle` the journal's worker uses, and a
 * write that either writes every byte or throws.
 */

/** A `FileSystemSyncAccessHandle`, as far as the journal's worker uses it. */
export interface SyncHandle {
  read(buffer: Uint8Array, options: { at: number }): number;
  write(buffer: Uint8Array, options: { at: number }): number;
  truncate(size: number): void;
  getSize(): number;
  flush(): void;
  close(): void;
}

/**
 * Writes all of `bytes` at `at`, or throws a `QuotaExceededError`. Chromium
 * reports a write refused for a full quota not by throwing but by returning a
 * count larger than asked (its error code read unsigned); counting that as
 * written would move the journal's end past the file's real end and lose
 * every later frame.
 */
export function writeAll(handle: SyncHandle, bytes: Uint8Array, at: number): void {
  let done = 0;
  while (done < bytes.length) {
    const n = handle.write(bytes.subarray(done), { at: at + done });
    if (!(n > 0 && n <= bytes.length - done)) {
      throw new DOMException(`write of ${bytes.length - done} bytes refused`, 'QuotaExceededError');
    }
    done += n;
  }
}

/** A compaction in place, as planned by src/journal/in-place.ts. */
export interface InPlaceRewrite {
  /** Offsets of frames whose marker is zeroed first. */
  unmark: readonly number[];
  /** Where `bytes` go. */
  from: number;
  bytes: ArrayBuffer;
  /** Where each record ends in `bytes`. */
  cuts: readonly number[];
  /** Where the zeros past the last frame start (the runs are staged there). */
  staging: number;
  /** Zeros kept past the new end (the reserve). */
  keep: number;
}

/**
 * Compacts a segment in place (see src/journal/in-place.ts for why in this
 * order); returns the file's new size. Throws a `QuotaExceededError` before
 * writing anything when a record does not fit in the zeros past the last frame.
 */
export function rewriteInPlace(h: SyncHandle, request: InPlaceRewrite): number {
  const size = h.getSize();
  const out = new Uint8Array(request.bytes);
  const room = size - request.staging;
  if (request.cuts.some((cut, i) => cut - (request.cuts[i - 1] ?? 0) > room))
    throw new DOMException('a record does not fit past the last frame', 'QuotaExceededError');
  for (const at of request.unmark) {
    writeAll(h, new Uint8Array(4), at);
    h.flush(); // in order: a refusal outlives the commit it names
  }
  let pos = 0;
  while (pos < out.length) {
    let stop = pos;
    for (const cut of request.cuts) {
      if (cut <= pos) continue;
      if (cut - pos > room) break;
      stop = cut;
    }
    const run = out.subarray(pos, stop);
    writeAll(h, run, request.staging);
    h.flush();
    writeAll(h, run, request.from + pos);
    h.flush();
    pos = stop;
  }
  const end = request.from + out.length;
  const next = Math.min(size, end + request.keep);
  if (next > end) writeAll(h, new Uint8Array(next - end), end);
  h.truncate(next);
  h.flush();
  return next;
}
