/**
 * The database side of a restore from the journal: deletions the database
 * lacks, applied with their original timestamps, and the journal watermarks.
 * (Events are restored through the store's own append, so summaries, the
 * commit sequence and other tabs follow as for any commit.)
 */
import type { IDBPDatabase } from 'idb';
import { HybridClock } from '../clock.js';
import { parseEvent } from '../event.js';
import { utf8Length } from '../json.js';
import { project } from '../projection.js';
import type { MetaRecord, SessionlogDB, TombstoneRecord } from '../schema.js';
import { summaryOf } from '../summary.js';
import type { Watermark } from './journal.js';

const READ_CLOCK = new HybridClock({ maxSkewMs: 1e15 }); // stored events: no skew bound
const STORES = ['events', 'sessions', 'tombstones', 'meta'] as const;

/**
 * Applies each deletion (session key → timestamp) the database lacks, in one
 * transaction with one commit sequence: the session's events at or before
 * the timestamp go, its summary is rebuilt from what is left, and the
 * tombstone is stored. Resolves to the tombstones written.
 */
export async function restoreDeletions(
  db: IDBPDatabase<SessionlogDB>,
  tombstones: ReadonlyMap<string, string>,
  durability: 'relaxed' | 'strict',
): Promise<TombstoneRecord[]> {
  const tx = db.transaction(STORES, 'readwrite', { durability });
  const meta = (await tx.objectStore('meta').get('state')) as MetaRecord;
  const seq = meta.seq + 1;
  const written: TombstoneRecord[] = [];
  for (const [sessionKey, timestamp] of tombstones) {
    const stored = await tx.objectStore('tombstones').get(sessionKey);
    if (stored && stored.timestamp >= timestamp) continue;
    const upTo = IDBKeyRange.bound([sessionKey], [sessionKey, timestamp, []]);
    const gone = await tx.objectStore('events').index('session').getAllKeys(upTo);
    await Promise.all(gone.map((id) => tx.objectStore('events').delete(id)));
    const left = await tx
      .objectStore('events')
      .index('session')
      .getAll(IDBKeyRange.bound([sessionKey], [sessionKey, []]));
    const events = left.flatMap(({ seq: _seq, msg: _msg, ...e }) => {
      try {
        return [parseEvent(e, { allowUnknownKinds: true, clock: READ_CLOCK })];
      } catch {
        return []; // a damaged record: reads skip and report it too
      }
    });
    if (events.length === 0) await tx.objectStore('sessions').delete(sessionKey);
    else {
      const bytes = events.reduce((n, e) => n + utf8Length(JSON.stringify(e)), 0);
      await tx
        .objectStore('sessions')
        .put(summaryOf(project(events, sessionKey), events.length, bytes));
    }
    const record: TombstoneRecord = { sessionKey, timestamp, seq };
    await tx.objectStore('tombstones').put(record);
    written.push(record);
  }
  if (written.length > 0) await tx.objectStore('meta').put({ ...meta, seq }, 'state');
  await tx.done;
  return written;
}

/** Stores journal watermarks (merged with those of other segments) in `meta`. */
export async function saveWatermarks(
  db: IDBPDatabase<SessionlogDB>,
  marks: Record<string, Watermark>,
): Promise<void> {
  const tx = db.transaction('meta', 'readwrite');
  const meta = (await tx.store.get('state')) as MetaRecord;
  await tx.store.put({ ...meta, journal: { ...meta.journal, ...marks } }, 'state');
  await tx.done;
}
