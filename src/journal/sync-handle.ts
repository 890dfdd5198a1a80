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
