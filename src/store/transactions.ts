/**
 * The bodies of the store's readwrite transactions: one commit of a batch of
 * appends (dedupe, tombstone check, events, summaries, sequence in one round
 * trip) and the removal of a session's data.
 */
import { type IDBPTransaction, unwrap } from 'idb';
import type { AnyEvent, SessionEvent } from '../event.js';
import { isKnownKind } from '../event.js';
import { utf8Length } from '../json.js';
import { messageOf, project } from '../projection.js';
import { type EventRecord, type MetaRecord, type SessionlogDB, sessionRange } from '../schema.js';
import { applyEventsToSummary, emptySummary, type SessionSummary, summaryOf } from '../summary.js';
import { groupBySession } from './batches.js';
import type { WRITE_STORES } from './connection.js';
import type { AppendResult } from './types.js';

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
  checkSummary(value: unknown, key: string): SessionSummary | undefined;
  decodeAll(records: readonly EventRecord[]): AnyEvent[];
}

type Outcome = keyof AppendResult;

function toRecord(event: AnyEvent, seq: number): EventRecord {
  const record: EventRecord = { ...event, seq };
  if (isKnownKind(event.kind) && messageOf(event as SessionEvent)) record.msg = 1;
  return record;
}

/** An event's size: its JSON in UTF-8 bytes. */
function byteSize(event: AnyEvent): number {
  return utf8Length(JSON.stringify(event));
}

/**
 * Adds event records in `tx`, all requests at once, and resolves with what
 * each became: `added`, or `duplicates` when its id is already stored. The
 * duplicate error is handled (preventDefault) so that it does not abort the
 * transaction; any other request error rejects.
 */
function addAll(tx: WriteTx, events: readonly AnyEvent[], seq: number): Promise<Outcome[]> {
  const store = unwrap(tx.objectStore('events'));
  return new Promise((resolve, reject) => {
    const outcomes: Outcome[] = new Array(events.length);
    let pending = events.length;
    if (pending === 0) return resolve(outcomes);
    events.forEach((event, i) => {
      const request = store.add(toRecord(event, seq)); // a synchronous throw rejects the promise
      request.onsuccess = () => {
        outcomes[i] = 'added';
        if (--pending === 0) resolve(outcomes);
      };
      request.onerror = (e) => {
        if (request.error?.name !== 'ConstraintError') return reject(request.error);
        e.preventDefault();
        e.stopPropagation();
        outcomes[i] = 'duplicates';
        if (--pending === 0) resolve(outcomes);
      };
    });
  });
}

/** The summary of a session computed from its stored events (read before this commit's adds). */
async function rebuild(tx: WriteTx, key: string, check: RecordCheck): Promise<SessionSummary> {
  const records = await tx.objectStore('events').index('session').getAll(sessionRange(key));
  const events = check.decodeAll(records);
  const bytes = events.reduce((sum, e) => sum + byteSize(e), 0);
  return summaryOf(project(events, key), events.length, bytes);
}

/**
 * Commits a batch of appends in `tx`: one result per append (the events of
 * `batch[i]` sorted into added, duplicates and skipped), and what was
 * committed, if anything was.
 */
export async function writeBatch(
  tx: WriteTx,
  batch: ReadonlyArray<{ events: AnyEvent[]; clearDrafts?: string[] }>,
  check: RecordCheck,
): Promise<{ results: AppendResult[]; committed: Committed | undefined }> {
  const all = batch.flatMap((p) => p.events);
  const keys = [...new Set(all.map((e) => e.session_key))];
  const [meta, tombstones, stored] = await Promise.all([
    tx.objectStore('meta').get('state') as Promise<MetaRecord>,
    Promise.all(keys.map((k) => tx.objectStore('tombstones').get(k))),
    Promise.all(keys.map((k) => tx.objectStore('sessions').get(k))),
  ]);
  const seq = meta.seq + 1;
  const deletedAt = new Map(keys.map((k, i) => [k, tombstones[i]?.timestamp]));
  // What happens to each event: decided here, or by its `add` (a stored id is a duplicate).
  const seen = new Set<string>();
  const outcomes: Outcome[] = [];
  const toAdd: AnyEvent[] = [];
  const addedAt: number[] = [];
  for (const event of all) {
    const deleted = deletedAt.get(event.session_key);
    if (seen.has(event.id)) outcomes.push('duplicates');
    else if (deleted !== undefined && event.timestamp <= deleted) outcomes.push('skipped');
    else {
      addedAt.push(outcomes.length);
      outcomes.push('added');
      toAdd.push(event);
    }
    seen.add(event.id);
  }
  // The summaries before this commit; a corrupt one is rebuilt from the log.
  const before = new Map<string, SessionSummary>();
  const adding = new Set(toAdd.map((e) => e.session_key));
  await Promise.all(
    keys.map(async (k, i) => {
      const s = stored[i] === undefined ? undefined : check.checkSummary(stored[i], k);
      if (s) before.set(k, s);
      else if (stored[i] !== undefined && adding.has(k)) before.set(k, await rebuild(tx, k, check));
    }),
  );
  const summarize = (events: AnyEvent[]) => {
    const after = new Map<string, SessionSummary>();
    for (const [key, group] of groupBySession(events)) {
      after.set(key, applyEventsToSummary(before.get(key) ?? emptySummary(key), group, byteSize));
    }
    return after;
  };
  // One round trip: the adds, and the summaries and sequence as if every add
  // succeeds (the usual case); corrected below if some id was already stored.
  let summaries = summarize(toAdd);
  const writes: Promise<unknown>[] = batch.flatMap((p) =>
    (p.clearDrafts ?? []).map((id) => tx.objectStore('drafts').delete(id)),
  );
  for (const summary of summaries.values()) writes.push(tx.objectStore('sessions').put(summary));
  if (toAdd.length > 0) writes.push(tx.objectStore('meta').put({ ...meta, seq }, 'state'));
  const [addOutcomes] = await Promise.all([addAll(tx, toAdd, seq), Promise.all(writes)]);
  addOutcomes.forEach((outcome, i) => {
    outcomes[addedAt[i]!] = outcome;
  });
  const added = toAdd.filter((_, i) => addOutcomes[i] === 'added');
  if (added.length < toAdd.length) {
    // Requests on a store run in order: these later writes replace the guesses.
    const guessed = summaries;
    summaries = summarize(added);
    const fixes: Promise<unknown>[] = [];
    for (const key of guessed.keys()) {
      const summary = summaries.get(key) ?? before.get(key);
      fixes.push(
        summary ? tx.objectStore('sessions').put(summary) : tx.objectStore('sessions').delete(key),
      );
    }
    if (added.length === 0) fixes.push(tx.objectStore('meta').put(meta, 'state'));
    await Promise.all(fixes);
  }
  let cursor = 0;
  const results: AppendResult[] = batch.map((p) => {
    const result: AppendResult = { added: [], duplicates: [], skipped: [] };
    for (const event of p.events) result[outcomes[cursor++]!].push(event);
    return result;
  });
  const committed = added.length > 0 ? { seq, events: added, summaries } : undefined;
  return { results, committed };
}

/**
 * Deletes a session's events, summary and drafts in `tx` (one round trip of
 * reads, one of deletes); resolves to the session's last activity, if any.
 */
export async function deleteSessionData(
  tx: WriteTx,
  sessionKey: string,
): Promise<string | undefined> {
  const [ids, summary, drafts] = await Promise.all([
    tx.objectStore('events').index('session').getAllKeys(sessionRange(sessionKey)),
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
