/**
 * The bodies of the store's readwrite transactions: one commit of a batch of
 * appends (dedupe, tombstone check, events, summaries, sequence in one round
 * trip) and the removal of a session's data.
 */
import { type IDBPTransaction, unwrap } from 'idb';
import type { AnyEvent, SessionEvent } from '../event.js';
import { isKnownKind } from '../event.js';
import type { JournalTicket } from '../journal/journal.js';
import { nextMeta } from '../journal/link.js';
import { utf8Length } from '../json.js';
import { messageOf, project } from '../projection.js';
import {
  type CommitRecord,
  type EventRecord,
  type MetaRecord,
  type SessionlogDB,
  sessionRange,
  type TombstoneRecord,
} from '../schema.js';
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

/**
 * What the committer expects the database to hold, as of its last commit:
 * `meta`, and the summary and tombstone of the sessions it wrote (each with
 * the JSON it was stored as, to compare with what a commit reads). It lets a
 * commit send its writes before any read returns (see {@link writeBatch}).
 */
export interface CommitTip {
  meta: MetaRecord;
  metaJson: string;
  /** Per session key: the stored summary and its JSON, or `undefined` when none is stored. */
  summaries: Map<string, { summary: SessionSummary; json: string } | undefined>;
  /** Per session key: the stored tombstone's timestamp, or `undefined`. */
  tombstones: Map<string, string | undefined>;
}

/** Sessions a tip remembers at most (the ones written last stay). */
const TIP_SESSIONS = 256;

function toRecord(event: AnyEvent): EventRecord {
  // The record is cloned by IndexedDB: the event itself goes unless it needs the message mark.
  return isKnownKind(event.kind) && messageOf(event as SessionEvent) ? { ...event, msg: 1 } : event;
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
function addAll(tx: WriteTx, events: readonly AnyEvent[]): Promise<Outcome[]> {
  const store = unwrap(tx.objectStore('events'));
  return new Promise((resolve, reject) => {
    const outcomes: Outcome[] = new Array(events.length);
    let pending = events.length;
    if (pending === 0) return resolve(outcomes);
    events.forEach((event, i) => {
      const request = store.add(toRecord(event)); // a synchronous throw rejects the promise
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

/**
 * Adds the commit record of sequence `seq`; resolves `false` when the
 * sequence is already taken (the error is handled, the transaction goes on).
 */
function claimCommit(tx: WriteTx, seq: number, ids: string[]): Promise<boolean> {
  const request = unwrap(tx.objectStore('commits')).add({ ids } satisfies CommitRecord, seq);
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(true);
    request.onerror = (e) => {
      if (request.error?.name !== 'ConstraintError') return reject(request.error);
      e.preventDefault();
      e.stopPropagation();
      resolve(false);
    };
  });
}

/**
 * The summary of a session computed from its stored events, less those of
 * `excluding` (this commit's own adds).
 */
async function rebuild(
  tx: WriteTx,
  key: string,
  check: RecordCheck,
  excluding?: ReadonlySet<string>,
): Promise<SessionSummary> {
  let records = await tx.objectStore('events').index('session').getAll(sessionRange(key));
  if (excluding?.size) records = records.filter((r) => !excluding.has(r.id));
  const events = check.decodeAll(records);
  const bytes = events.reduce((sum, e) => sum + byteSize(e), 0);
  return summaryOf(project(events, key), events.length, bytes);
}

/** The summaries of `events`' sessions after them, from the summaries before. */
function summarize(
  before: ReadonlyMap<string, SessionSummary | undefined>,
  events: readonly AnyEvent[],
): Map<string, SessionSummary> {
  const after = new Map<string, SessionSummary>();
  for (const [key, group] of groupBySession(events)) {
    after.set(key, applyEventsToSummary(before.get(key) ?? emptySummary(key), group, byteSize));
  }
  return after;
}

/**
 * Sorts the events of a batch: a repeated id is a duplicate, an event at or
 * before its session's tombstone is skipped (`deletedAt`), the rest are to add.
 */
function plan(all: readonly AnyEvent[], deletedAt: (key: string) => string | undefined) {
  const seen = new Set<string>();
  const outcomes: Outcome[] = [];
  const toAdd: AnyEvent[] = [];
  const addedAt: number[] = [];
  for (const event of all) {
    const deleted = deletedAt(event.session_key);
    if (seen.has(event.id)) outcomes.push('duplicates');
    else if (deleted !== undefined && event.timestamp <= deleted) outcomes.push('skipped');
    else {
      addedAt.push(outcomes.length);
      outcomes.push('added');
      toAdd.push(event);
    }
    seen.add(event.id);
  }
  return { outcomes, toAdd, addedAt };
}

/**
 * Commits a batch of appends in `tx`: one result per append (the events of
 * `batch[i]` sorted into added, duplicates and skipped), what was committed,
 * if anything was, and the tip after it.
 *
 * Every request goes out at once, without waiting for a read: the reads of
 * `meta`, the tombstones and the summaries first (so they see the database as
 * it was before this commit), then the event adds and, when `tip` knows every
 * session of the batch, the writes it predicts: the summaries, `meta`, and the
 * commit record that claims the next sequence. When the reads show that the
 * prediction was wrong (another tab committed, an id was stored already, a
 * summary is corrupt, there was no tip), a second round writes what the reads
 * say; requests on a store run in order, so these replace the guesses.
 */
export async function writeBatch(
  tx: WriteTx,
  batch: ReadonlyArray<{ events: AnyEvent[]; clearDrafts?: string[] }>,
  check: RecordCheck,
  ticket: JournalTicket | undefined,
  tip: CommitTip | undefined,
): Promise<{ results: AppendResult[]; committed: Committed | undefined; tip: CommitTip }> {
  const all = batch.flatMap((p) => p.events);
  const keys = [...new Set(all.map((e) => e.session_key))];
  const reads = Promise.all([
    tx.objectStore('meta').get('state') as Promise<MetaRecord>,
    Promise.all(keys.map((k) => tx.objectStore('tombstones').get(k))),
    Promise.all(keys.map((k) => tx.objectStore('sessions').get(k))),
  ]);
  const known =
    tip && keys.every((k) => tip.summaries.has(k) && tip.tombstones.has(k)) ? tip : undefined;
  const first = plan(all, (k) => known?.tombstones.get(k));
  const adds = addAll(tx, first.toAdd);
  const writes: Promise<unknown>[] = batch.flatMap((p) =>
    (p.clearDrafts ?? []).map((id) => tx.objectStore('drafts').delete(id)),
  );
  let guess: { seq: number; summaries: Map<string, SessionSummary> } | undefined;
  let claim: Promise<boolean> | undefined;
  if (known && first.toAdd.length > 0) {
    const seq = known.meta.seq + 1;
    const before = new Map([...known.summaries].map(([k, s]) => [k, s?.summary]));
    guess = { seq, summaries: summarize(before, first.toAdd) };
    for (const summary of guess.summaries.values())
      writes.push(tx.objectStore('sessions').put(summary));
    writes.push(tx.objectStore('meta').put(nextMeta(known.meta, seq, ticket), 'state'));
    claim = claimCommit(
      tx,
      seq,
      first.toAdd.map((e) => e.id),
    );
  }
  const [[meta, tombstones, stored], addOutcomes, claimed] = await Promise.all([
    reads,
    adds,
    claim,
    Promise.all(writes),
  ]);
  const metaJson = JSON.stringify(meta);
  const storedJson = stored.map((s) => (s === undefined ? undefined : JSON.stringify(s)));
  const asPredicted =
    known !== undefined &&
    metaJson === known.metaJson &&
    keys.every(
      (k, i) =>
        tombstones[i]?.timestamp === known.tombstones.get(k) &&
        storedJson[i] === known.summaries.get(k)?.json,
    ) &&
    addOutcomes.every((o) => o === 'added') &&
    claimed !== false;
  let seq: number;
  let outcomes: Outcome[];
  let added: AnyEvent[];
  let summaries: Map<string, SessionSummary>;
  let written: MetaRecord;
  let before: Map<string, SessionSummary | undefined>;
  if (asPredicted) {
    seq = guess?.seq ?? meta.seq;
    outcomes = first.outcomes;
    added = first.toAdd;
    summaries = guess?.summaries ?? new Map();
    written = guess ? nextMeta(meta, seq, ticket) : meta;
    before = new Map(keys.map((k) => [k, known.summaries.get(k)?.summary]));
  } else {
    // The second round: what the reads say.
    const deletedAt = new Map(keys.map((k, i) => [k, tombstones[i]?.timestamp]));
    const final = plan(all, (k) => deletedAt.get(k));
    const tried = new Map(first.toAdd.map((e, i) => [e.id, addOutcomes[i]!]));
    const untried = final.toAdd.filter((e) => !tried.has(e.id));
    const late = await addAll(tx, untried);
    const lateOutcome = new Map(untried.map((e, i) => [e.id, late[i]!]));
    outcomes = final.outcomes;
    final.toAdd.forEach((e, i) => {
      outcomes[final.addedAt[i]!] = tried.get(e.id) ?? lateOutcome.get(e.id)!;
    });
    added = final.toAdd.filter((_, i) => outcomes[final.addedAt[i]!] === 'added');
    const addedIds = new Set(added.map((e) => e.id));
    // Added in the first round but skipped by a tombstone the tip did not know.
    const undo = first.toAdd.filter((e, i) => addOutcomes[i] === 'added' && !addedIds.has(e.id));
    const fixes: Promise<unknown>[] = undo.map((e) => tx.objectStore('events').delete(e.id));
    // The summaries before this commit; a corrupt one is rebuilt from the log.
    before = new Map();
    const adding = new Set(added.map((e) => e.session_key));
    await Promise.all(
      keys.map(async (k, i) => {
        const s = stored[i] === undefined ? undefined : check.checkSummary(stored[i], k);
        if (s) before.set(k, s);
        else if (stored[i] !== undefined && adding.has(k))
          before.set(k, await rebuild(tx, k, check, addedIds));
        else before.set(k, undefined);
      }),
    );
    seq = meta.seq + 1;
    summaries = summarize(before, added);
    keys.forEach((k, i) => {
      const summary = summaries.get(k);
      const sessions = tx.objectStore('sessions');
      if (summary) fixes.push(sessions.put(summary));
      // A guess for a session that got nothing: put back what was stored.
      else if (guess?.summaries.has(k))
        fixes.push(stored[i] === undefined ? sessions.delete(k) : sessions.put(stored[i]!));
    });
    written = added.length > 0 ? nextMeta(meta, seq, ticket) : meta;
    if (guess || added.length > 0) fixes.push(tx.objectStore('meta').put(written, 'state'));
    const ids = added.map((e) => e.id);
    if (claimed && (guess?.seq !== seq || ids.length === 0))
      fixes.push(tx.objectStore('commits').delete(guess!.seq));
    if (ids.length > 0)
      fixes.push(tx.objectStore('commits').put({ ids } satisfies CommitRecord, seq));
    await Promise.all(fixes);
  }
  let cursor = 0;
  const results: AppendResult[] = batch.map((p) => {
    const result: AppendResult = { added: [], duplicates: [], skipped: [] };
    for (const event of p.events) result[outcomes[cursor++]!].push(event);
    return result;
  });
  const committed = added.length > 0 ? { seq, events: added, summaries } : undefined;
  return {
    results,
    committed,
    tip: nextTip(asPredicted ? tip : undefined, written, keys, before, summaries, tombstones),
  };
}

/** The tip after a commit: what it wrote and read, on top of `base` when that was still right. */
function nextTip(
  base: CommitTip | undefined,
  meta: MetaRecord,
  keys: readonly string[],
  before: ReadonlyMap<string, SessionSummary | undefined>,
  after: ReadonlyMap<string, SessionSummary>,
  tombstones: ReadonlyArray<TombstoneRecord | undefined>,
): CommitTip {
  const fresh = !base || base.summaries.size + keys.length > TIP_SESSIONS;
  const tip: CommitTip = {
    meta,
    metaJson: JSON.stringify(meta),
    summaries: fresh ? new Map() : base.summaries,
    tombstones: fresh ? new Map() : base.tombstones,
  };
  keys.forEach((k, i) => {
    const summary = after.get(k) ?? before.get(k);
    tip.summaries.set(k, summary && { summary, json: JSON.stringify(summary) });
    tip.tombstones.set(k, tombstones[i]?.timestamp);
  });
  return tip;
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
