/**
 * What the journal's frames hold, and how a set of frames is reduced to what
 * must be in the database: the events of commits nobody refused, deduplicated
 * by id, and the latest deletion per session (an event at or before its
 * session's deletion is gone, as in the store).
 */
import type { DecodedFrame } from './frame.js';

/** A journal record: a commit's events, a refusal of a commit, or a session deletion. */
export type JournalRecord =
  /** The events of one group commit, as appended. */
  | { c: readonly unknown[] }
  /** The commit frame at this offset of the same file was refused by IndexedDB. */
  | { r: number }
  /** Session `d` was deleted at timestamp `ts`. */
  | { d: string; ts: string };

/** What a set of journal frames says must be stored. */
export interface JournalContents {
  /** Events of unrefused commits, each id once, in journal order. */
  events: Array<{ id: string; session_key: string; timestamp: string }>;
  /** Where each commit's events end in `events`: a restore never splits a commit. */
  commitEnds: number[];
  /** Latest deletion timestamp per session. */
  tombstones: Map<string, string>;
  /** Records with a valid frame but a shape this version does not know. */
  unknown: number;
}

/** Frames of one file, reduced to what they say (see {@link JournalContents}). */
export function contentsOf(
  files: ReadonlyArray<ReadonlyArray<DecodedFrame<unknown>>>,
): JournalContents {
  const tombstones = new Map<string, string>();
  const events: JournalContents['events'] = [];
  const commitEnds: number[] = [];
  const seen = new Set<string>();
  let unknown = 0;
  for (const frames of files) {
    const refused = new Set<number>();
    for (const { value } of frames) {
      const r = (value as { r?: unknown })?.r;
      if (typeof r === 'number') refused.add(r);
    }
    for (const { at, value } of frames) {
      const record = value as Partial<{ c: unknown; r: unknown; d: unknown; ts: unknown }>;
      if (Array.isArray(record?.c)) {
        if (refused.has(at)) continue;
        for (const e of record.c as Array<JournalContents['events'][number]>) {
          const id = e?.id;
          if (typeof id !== 'string' || seen.has(id)) continue;
          seen.add(id);
          events.push(e);
        }
        if (commitEnds[commitEnds.length - 1] !== events.length) commitEnds.push(events.length);
      } else if (typeof record?.d === 'string' && typeof record.ts === 'string') {
        const previous = tombstones.get(record.d);
        if (previous === undefined || previous < record.ts) tombstones.set(record.d, record.ts);
      } else if (typeof record?.r !== 'number') unknown++;
    }
  }
  return { events, tombstones, commitEnds, unknown };
}

/** Adds deletions to `contents` (the later of two for one session wins). */
export function addTombstones(
  contents: JournalContents,
  tombstones: ReadonlyMap<string, string>,
): void {
  for (const [key, ts] of tombstones) {
    const previous = contents.tombstones.get(key);
    if (previous === undefined || previous < ts) contents.tombstones.set(key, ts);
  }
}

/** The events of `contents` in batches of about `size`, whole commits each. */
export function commitBatches(contents: JournalContents, size: number): unknown[][] {
  const batches: unknown[][] = [];
  let start = 0;
  for (const end of contents.commitEnds) {
    if (end - start >= size) {
      batches.push(contents.events.slice(start, end));
      start = end;
    }
  }
  if (start < contents.events.length) batches.push(contents.events.slice(start));
  return batches;
}

/** Whether deletion `tombstones` removes `event`. */
export function deletedBy(
  tombstones: ReadonlyMap<string, string>,
  event: { session_key: string; timestamp: string },
): boolean {
  const at = tombstones.get(event.session_key);
  return at !== undefined && typeof event.timestamp === 'string' && event.timestamp <= at;
}

/** Events per compacted commit record. */
const EVENTS_PER_RECORD = 64;

/**
 * The records a compacted file holds: every deletion, then the surviving
 * events in commits of at most {@link EVENTS_PER_RECORD}.
 */
export function compactedRecords(contents: JournalContents): JournalRecord[] {
  const records: JournalRecord[] = [];
  for (const [d, ts] of contents.tombstones) records.push({ d, ts });
  const alive = contents.events.filter((e) => !deletedBy(contents.tombstones, e));
  for (let i = 0; i < alive.length; i += EVENTS_PER_RECORD)
    records.push({ c: alive.slice(i, i + EVENTS_PER_RECORD) });
  return records;
}
