/**
 * A store's local changes by commit sequence: what the sync client pushes.
 * Only sync reads the log this way, so it lives in `sessionlog/sync`, not on
 * the store (the main entry stays smaller); it reads through the store's
 * internal host, as `sessionlog/transfer` does.
 */
import { validationError } from '../errors.js';
import type { MetaRecord } from '../schema.js';
import type { LocalChanges } from '../store/types.js';
import { type EventStore, transferHostOf } from '../store.js';

/**
 * Local changes of `store` committed after sequence `after` (0 for all),
 * oldest first, for a sync client's push watermark: events still stored and
 * deletions. A page holds whole commits of about `limit` events; `seq` is
 * where it ends (the next call's `after`).
 */
export async function changesSince(
  store: EventStore,
  after: number,
  limit = 500,
): Promise<LocalChanges> {
  const host = transferHostOf(store);
  if (!Number.isInteger(after) || after < 0)
    throw validationError('after', 'must be a non-negative integer');
  if (!Number.isInteger(limit) || limit < 1)
    throw validationError('limit', 'must be a positive integer');
  const read = await host.run(async (db) => {
    const tx = db.transaction(['events', 'tombstones', 'meta'], 'readonly');
    const meta = (await tx.objectStore('meta').get('state')) as MetaRecord;
    if (meta.seq <= after) return { seq: after, records: [], tombstones: [] };
    const index = tx.objectStore('events').index('seq');
    let records = await index.getAll(IDBKeyRange.bound(after, meta.seq, true, false), limit + 1);
    let seq = meta.seq;
    if (records.length > limit) {
      // Whole commits only: cut before the last one read, unless it is the only one.
      seq = records[limit]!.seq;
      if (records[0]!.seq === seq) records = await index.getAll(seq);
      else {
        seq -= 1;
        records = records.filter((r) => r.seq <= seq);
      }
    }
    const tombstones = await tx
      .objectStore('tombstones')
      .index('seq')
      .getAll(IDBKeyRange.bound(after, seq, true, false));
    return { seq, records, tombstones };
  });
  return {
    seq: read.seq,
    events: host.decode(read.records),
    tombstones: read.tombstones.map((t) => ({
      sessionKey: t.sessionKey,
      timestamp: t.timestamp,
    })),
  };
}
