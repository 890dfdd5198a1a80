/**
 * Compaction of a segment inside its own file, for a full quota (a new
 * generation needs room for the whole compacted copy, which a full origin
 * does not have). The records that stay are slid towards the start over
 * those that go, so the file only shrinks:
 *
 * 1. refused commits, then their refusal records, lose their frame marker
 *    (4 zero bytes each, flushed one by one): from then on neither reads as
 *    a record, and no refusal is left to name an offset that a slid frame may
 *    come to occupy;
 * 2. the records that stay are written from the first one that moves or
 *    changes, in runs that fit in the zeros past the file's last frame: each
 *    run is written (and flushed) there first, then at its place, so a crash
 *    tearing the write at its place finds it whole in the zeros (read twice
 *    on restore: events by id, deletions by session, so that is harmless);
 * 3. the zeros are put back behind the new end, and the file is cut to it
 *    and its reserve.
 *
 * A record's new place never passes the start of a record not yet written
 * (a record shrinks or keeps its length and only moves towards the start),
 * so a crash at any point loses none of the surviving records.
 */
import { type DecodedFrame, encodeFrame } from './frame.js';
import { deletedBy, type JournalContents, type JournalRecord } from './records.js';

/** What the worker writes to compact a segment in place (see the module comment). */
export interface InPlacePlan {
  /** Offsets of the frames that lose their marker (refused commits, refusal records). */
  unmark: number[];
  /** Where the rewritten part starts. */
  from: number;
  /** The records from `from` on, one after another. */
  bytes: Uint8Array;
  /** Where each record ends in `bytes` (runs are cut only there). */
  cuts: number[];
  /** The largest record in `bytes`: the zeros past the last frame must hold it. */
  largest: number;
}

/**
 * Plans compacting the frames of `bytes` (`frames`, decoded from it) in
 * place: refused commits and refusals go, and events that a deletion (the
 * file's own or `tombstones`) removed. `undefined` when nothing would go.
 */
export function planInPlace(
  bytes: Uint8Array,
  frames: ReadonlyArray<DecodedFrame<unknown>>,
  tombstones: ReadonlyMap<string, string>,
): InPlacePlan | undefined {
  const deletions = new Map(tombstones);
  const refused = new Set<number>();
  const refusals: number[] = [];
  for (const { at, value } of frames) {
    const record = value as Partial<{ r: unknown; d: unknown; ts: unknown }>;
    if (typeof record?.r === 'number') {
      refused.add(record.r);
      refusals.push(at);
    } else if (typeof record?.d === 'string' && typeof record.ts === 'string') {
      const previous = deletions.get(record.d);
      if (previous === undefined || previous < record.ts) deletions.set(record.d, record.ts);
    }
  }
  // Refused commits lose their marker before their refusals do.
  const unmark: number[] = [];
  const parts: Uint8Array[] = [];
  let write = 0;
  let from = -1;
  for (const { at, end, value } of frames) {
    let part: Uint8Array | undefined = bytes.subarray(at, end);
    const original = part;
    const events = (value as Partial<{ c: unknown }>)?.c;
    if (typeof (value as { r?: unknown })?.r === 'number') part = undefined;
    else if (Array.isArray(events)) {
      if (refused.has(at)) {
        unmark.push(at);
        part = undefined;
      } else {
        const kept = (events as JournalContents['events']).filter((e) => !deletedBy(deletions, e));
        if (kept.length === 0) part = undefined;
        else if (kept.length < events.length)
          part = encodeFrame({ c: kept } satisfies JournalRecord);
      }
    }
    // Records before the first that moves or changes stay as they are, unwritten.
    if (from < 0 && part === original && at === write) {
      write = end;
      continue;
    }
    if (from < 0) from = write;
    if (part) {
      parts.push(part);
      write += part.length;
    }
  }
  unmark.push(...refusals);
  if (from < 0 && unmark.length === 0) return undefined;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const cuts: number[] = [];
  let at = 0;
  let largest = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
    cuts.push(at);
    largest = Math.max(largest, part.length);
  }
  return { unmark, from: from < 0 ? write : from, bytes: out, cuts, largest };
}
