/**
 * The room a journal segment keeps past its last frame. A file's bytes are
 * its frames, then zeros (which read as the end: src/journal/frame.ts). A
 * write inside the file's size needs no new quota (OPFS charges a file's size,
 * not its writes), so the zeros are what lets the journal write at a full
 * quota: a commit frame must leave {@link RESERVE} bytes free behind it, and
 * only tombstones and refusal records may use those. The file grows ahead of
 * its frames in steps ({@link grownSize}), before the commit's transaction
 * begins, so that a growth refused for quota refuses the commit before
 * anything is written to either copy.
 */

/** Bytes kept free past the last commit frame, for tombstones and refusal records (about 40 of each). */
export const RESERVE = 4096;

/** The smallest step a segment grows by. */
const MIN_STEP = 64 * 1024;
/** The largest step: growing by an eighth of the file stops there. */
const MAX_STEP = 256 * 1024;

/**
 * The size to grow a segment of `size` bytes to, so that `needed` bytes
 * (frames and reserve) fit: past them by an eighth of the file, at least
 * 64 kB and at most 256 kB, so that growing is rare but the zeros stay small.
 */
export function grownSize(size: number, needed: number): number {
  if (needed <= size) return size;
  const step = Math.min(MAX_STEP, Math.max(MIN_STEP, Math.floor(size / 8)));
  return Math.max(size, needed + step);
}

/**
 * What a segment of `size` bytes whose frames end at `end` should grow to
 * now, in the background, when less than half the smallest step is left past
 * the reserve (so that a later commit rarely waits for a growth); else `undefined`.
 */
export function growSoon(size: number, end: number): number | undefined {
  return size - end < RESERVE + MIN_STEP / 2 ? end + RESERVE + MIN_STEP / 2 : undefined;
}

/** Whether `bytes` are all zero (the unused part of a segment). */
export function allZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
