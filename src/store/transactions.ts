/**
 * What the store's readwrite transactions share (the transaction type, what a
 * commit hands on, rebuilding a summary from the log), and the bodies of the
 * deletions. A commit's own bodies are in commit-tx.ts.
 */
import type { IDBPTransaction } from 'idb';
import { chainOf } from '../chain-mark.js';
import type { AnyEvent } from '../event.js';
import { utf8Length } from '../json.js';
import { project } from '../projection.js';
import {
  type EventRecord,
  type MetaRecord,
  type SessionlogDB,
  sessionRange,
  type TombstoneRecord,
} from '../schema.js';
import { type SessionSummary, type StoredSummary, summaryOf } from '../summary.js';
import type { WRITE_STORES } from './connection.js';

/** A readwrite transaction over the stores a commit or deletion writes. */
export type WriteTx = IDBPTransaction<SessionlogDB, typeof WRITE_STORES, 'readwrite'>;

/** What a commit wrote: its sequence, the events added, and the sessions' summaries after it. */
export interface Committed {
  seq: number;
  events: AnyEvent[];
  summaries: Map<string, SessionSummary>;
}

/** How stored records are checked on their way out of the log (the log reader's). */
export interface RecordCheck {
  checkSummary(value: unknown, key: string): StoredSummary | undefined;
  decodeAll(records: readonly EventRecord[]): AnyEvent[];
}

/** An event's size: its JSON in UTF-8 bytes. */
export function byteSize(event: AnyEvent): number {
  return utf8Length(JSON.stringify(event));
}

/**
 * The summary of a session computed from its stored events, less those of
 * `excluding` (a commit's own adds).
 */
export async function rebuild(
  tx: WriteTx,
  key: string,
  check: RecordCheck,
  excluding?: ReadonlySet<string>,
): Promise<StoredSummary> {
  let records = await tx.objectStore('events').index('session').getAll(sessionRange(key));
  if (excluding?.size) records = records.filter((r) => !excluding.has(r.id));
  const events = check.decodeAll(records);
  const bytes = events.reduce((sum, e) => sum + byteSize(e), 0);
  const projection = project(events, key);
  return {
    ...summaryOf(projection, events.length, bytes),
    chain: chainOf(projection, events.length),
  };
}

/**
 * Deletes a session's events, summary and drafts in `tx` (one round trip of
 * reads, one of deletes); resolves to the session's last activity, if any.
 */
export async function deleteSessionData(
  tx: WriteTx,
  sessionKey: string,
  upTo?: string,
): Promise<string | undefined> {
  const range =
    upTo === undefined
      ? sessionRange(sessionKey)
      : IDBKeyRange.bound([sessionKey], [sessionKey, upTo, []]);
  const [ids, summary, drafts] = await Promise.all([
    tx.objectStore('events').index('session').getAllKeys(range),
    tx.objectStore('sessions').get(sessionKey),
    tx.objectStore('drafts').index('session').getAllKeys(sessionKey),
  ]);
  await Promise.all([
    ...ids.map((id) => tx.objectStore('events').delete(id)),
    ...drafts.map((id) => tx.objectStore('drafts').delete(id)),
    tx.objectStore('sessions').delete(sessionKey),
  ]);
  return summary?.lastActivity ?? undefined;
}

/**
 * A deletion made elsewhere (a sync client applying a pulled tombstone):
 * events at or before `at` go, later ones stay and the summary is rebuilt
 * from them; the tombstone is at `at`. Nothing is written when a stored
 * tombstone is already at or after `at`. Says whether events stayed.
 */
export async function deleteSessionAt(
  tx: WriteTx,
  sessionKey: string,
  at: string,
  check: RecordCheck,
): Promise<{ tombstone: TombstoneRecord; kept: boolean } | undefined> {
  const [meta, stored] = await Promise.all([
    tx.objectStore('meta').get('state') as Promise<MetaRecord>,
    tx.objectStore('tombstones').get(sessionKey),
  ]);
  if (stored && stored.timestamp >= at) return undefined;
  await deleteSessionData(tx, sessionKey, at);
  const rest = await rebuild(tx, sessionKey, check);
  const tombstone: TombstoneRecord = { sessionKey, timestamp: at, seq: meta.seq + 1 };
  await Promise.all([
    rest.eventCount > 0
      ? tx.objectStore('sessions').put(rest)
      : tx.objectStore('sessions').delete(sessionKey),
    tx.objectStore('tombstones').put(tombstone),
    tx.objectStore('meta').put({ ...meta, seq: tombstone.seq }, 'state'),
  ]);
  return { tombstone, kept: rest.eventCount > 0 };
}
