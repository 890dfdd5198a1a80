/**
 * What a store opening finds in its journal, looked at while IndexedDB opens:
 * the segments whose writers are gone (locked now by this store), their
 * files' sizes, and the segment this store will write. Comparing that with
 * the database's watermarks tells, without reading any frame, whether there
 * is anything to restore; only then is the journal's code loaded and read.
 */
import { FRAME_HEADER, frameLengthAt } from './frame.js';
import type { Watermark } from './journal.js';
import { allZero } from './reserve.js';
import {
  directory,
  heldLocks,
  journalPath,
  listSegments,
  type SegmentFile,
  segmentLock,
  takeFreeLocks,
  takeLock,
} from './segments.js';

/** A segment whose writer is gone, locked by this store. */
export interface DeadSegment {
  segment: number;
  files: SegmentFile[];
  release: () => void;
  /** Where its last file's valid frames end (its size until a read says otherwise). */
  end: number;
  /** Its last file's size. */
  size: number;
  /** Whether only zeros follow `end` (known from {@link segmentBehind}). */
  clean?: boolean;
}

/** The journal as found on open. */
export interface JournalProbe {
  /** The journal's directory, when there is one. */
  dir: FileSystemDirectoryHandle | undefined;
  /** Segments whose writers are gone, locked by this store (`own` among them when reused). */
  dead: DeadSegment[];
  /** The segment this store writes: the first dead one, or a new one. */
  own: DeadSegment;
}

/** Looks at database `name`'s journal (see the module comment); creates nothing. */
export async function probeJournal(name: string): Promise<JournalProbe> {
  const dir = await directory(journalPath(name), false);
  const found = dir ? await listSegments(dir) : new Map<number, SegmentFile[]>();
  const numbers = [...found.keys()];
  // Never ask for a held lock (see takeFreeLocks): a cached page would be evicted.
  const busy = await heldLocks();
  const locks = await takeFreeLocks(
    numbers.map((n) => segmentLock(name, n)),
    busy,
  );
  const dead: DeadSegment[] = [];
  try {
    for (const segment of numbers) {
      const release = locks.get(segmentLock(name, segment));
      if (!release) continue;
      const files = found.get(segment)!;
      const last = files[files.length - 1]!;
      const size = (await (await dir!.getFileHandle(last.file)).getFile()).size;
      dead.push({ segment, files, release, end: size, size });
    }
    let own = dead[0];
    for (let segment = 0; !own; segment++) {
      if (found.has(segment) || busy.has(segmentLock(name, segment))) continue;
      const release = await takeLock(segmentLock(name, segment));
      if (release) own = { segment, files: [], release, end: 0, size: 0 };
    }
    return { dir, dead, own };
  } catch (error) {
    for (const release of locks.values()) release();
    throw error;
  }
}

/**
 * Whether a dead segment holds frames the database may lack (or lost one the
 * database holds), so that opening must read it: anything but one file whose
 * frames end exactly at the database's watermark for it. Past its frames a
 * file holds zeros (src/journal/reserve.ts), so the watermark's frame header
 * and what follows it are read (a few bytes and the zeros), not only the
 * file's size. When nothing follows, `segment.end` is set to the watermark's end.
 */
export async function segmentBehind(
  dir: FileSystemDirectoryHandle | undefined,
  segment: DeadSegment,
  mark: Watermark | undefined,
): Promise<boolean> {
  if (segment.files.length > 1) return true; // an interrupted compaction: merge
  const file = segment.files[0];
  if (!file || !dir) return false;
  if (!mark || mark.file !== file.file) return segment.size > 0;
  if (segment.size < mark.end) return true;
  const blob = await (await dir.getFileHandle(file.file)).getFile();
  const bytes = new Uint8Array(await blob.slice(mark.at).arrayBuffer());
  const whole = frameLengthAt(bytes, 0) === mark.end - mark.at - FRAME_HEADER;
  if (!whole || !allZero(bytes.subarray(mark.end - mark.at))) return true;
  segment.end = mark.end;
  segment.size = blob.size;
  segment.clean = true;
  return false;
}

/** Lets go of every dead segment but `keep`. */
export function releaseDead(probe: JournalProbe, keep: DeadSegment | undefined): void {
  for (const d of probe.dead) if (d !== keep) d.release();
}
