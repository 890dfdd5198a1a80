/**
 * The bodies of a commit's readwrite transaction, two ways. Predicted: the
 * committer's tip (what its last commit left) says what the database holds,
 * so every request goes out in one round (event adds, summaries, `meta`) and
 * one read of `meta`, sent first, checks the prediction; when it was wrong the
 * transaction is aborted and the commit made again, read first. Read first:
 * `meta`, the tombstones and the summaries are read, then the adds, summaries
 * and `meta` go out in one round (corrected when an id was stored already).
 */
import { unwrap } from 'idb';
import { type AnyEvent, isKnownKind, type SessionEvent } from '../event.js';
import type { JournalTicket } from '../journal/journal.js';
import { nextMeta } from '../journal/link.js';
import { messageOf } from '../projection.js';
import type { EventRecord, MetaRecord } from '../schema.js';
import {
  applyEventsToSummary,
  emptyStoredSummary,
  publicSummary,
  type SessionSummary,
  type StoredSummary,
} from '../summary.js';
import { groupBySession } from './batches.js';
import { request } from './connection.js';
import {
  byteSize,
  type Committed,
  type RecordCheck,
  rebuild,
  type WriteTx,
} from './transactions.js';
import type { AppendResult } from './types.js';

const PREDICTED_STORES = ['events', 'sessions', 'meta', 'drafts'] as const;

/**
 * A predicted commit's readwrite transaction, unwrapped: idb's promise
 * wrappers (a proxy per call, listeners added and removed per request) cost
 * a sequential append more main-thread time than our own code; only `meta`'s
 * read and the adds are awaited, the other writes by the commit itself.
 */
export interface PredictedTx {
  tx: IDBTransaction;
  /** Resolves when the transaction completes; rejects when it fails or aborts. */
  done: Promise<void>;
  readonly error: DOMException | null;
  abort(): void;
}

/**
 * Begins a predicted commit's transaction over the stores it writes (no
 * tombstone is read: the tip knows them), `drafts` only when it finishes a
 * stream: every store in a transaction's scope costs the browser time to set up.
 */
export function predictedTransaction(
  db: IDBDatabase,
  batch: CommitBatch,
  durability: IDBTransactionDurability,
): PredictedTx {
  const drafts = batch.some((p) => p.clearDrafts?.length);
  const tx = db.transaction(drafts ? PREDICTED_STORES : PREDICTED_STORES.slice(0, 3), 'readwrite', {
    durability,
  });
  const done = new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () =>
      reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
  });
  return {
    tx,
    done,
    get error() {
      return tx.error;
    },
    abort: () => tx.abort(),
  };
}

/**
 * What the committer expects the database to hold, as of its last commit:
 * `meta` (and its JSON, to compare with what a commit reads), and the summary
 * and tombstone of the sessions it wrote. Every change of a summary or a
 * tombstone takes a commit sequence, so a `meta` as expected means they are
 * as expected too.
 */
export interface CommitTip {
  meta: MetaRecord;
  metaJson: string;
  /** Per session key: the stored summary, or `undefined` when none is stored. */
  summaries: Map<string, StoredSummary | undefined>;
  /** Per session key: the stored tombstone's timestamp, or `undefined`. */
  tombstones: Map<string, string | undefined>;
}

/** What a commit's transaction did: a result per append, what it committed, the tip after it. */
export interface CommitOutcome {
  results: AppendResult[];
  committed: Committed | undefined;
  tip: CommitTip;
}

/** A batch of appends as the committer queued it. */
export type CommitBatch = ReadonlyArray<{ events: AnyEvent[]; clearDrafts?: string[] }>;

type Outcome = keyof AppendResult;

/** Sessions a tip remembers at most. */
const TIP_SESSIONS = 256;

/** Whether `tip` knows every session of `batch`. */
export function tipCovers(tip: CommitTip | undefined, batch: CommitBatch): tip is CommitTip {
  if (!tip) return false;
  for (const p of batch)
    for (const e of p.events) if (!tip.summaries.has(e.session_key)) return false;
  return true;
}

function toRecord(event: AnyEvent, seq: number): EventRecord {
  const record: EventRecord = { ...event, seq };
  if (isKnownKind(event.kind) && messageOf(event as SessionEvent)) record.msg = 1;
  return record;
}

/**
 * Adds event records, all requests at once, and resolves with what each
 * became: `added`, or `duplicates` when its id is already stored. The
 * duplicate error is handled (preventDefault) so that it does not abort the
 * transaction; any other request error rejects.
 */
function addAll(
  store: IDBObjectStore,
  events: readonly AnyEvent[],
  seq: number,
): Promise<Outcome[]> {
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

/** The summaries of `events`' sessions after them, from the summaries before. */
function summarize(
  before: ReadonlyMap<string, StoredSummary | undefined>,
  events: readonly AnyEvent[],
): Map<string, StoredSummary> {
  const after = new Map<string, StoredSummary>();
  for (const [key, group] of groupBySession(events)) {
    after.set(
      key,
      applyEventsToSummary(before.get(key) ?? emptyStoredSummary(key), group, byteSize),
    );
  }
  return after;
}

/** The summaries a commit hands on (to live state, subscribers): without the chain mark. */
function published(summaries: ReadonlyMap<string, StoredSummary>): Map<string, SessionSummary> {
  return new Map([...summaries].map(([k, s]) => [k, publicSummary(s)]));
}

/**
 * Sorts the events of a batch: a repeated id is a duplicate, an event at or
 * before its session's tombstone (`deletedAt`) is skipped, the rest are to add.
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

/** One result per append: the events of `batch[i]` sorted by their outcomes, in order. */
function resultsOf(batch: CommitBatch, outcomes: readonly Outcome[]): AppendResult[] {
  let cursor = 0;
  return batch.map((p) => {
    const result: AppendResult = { added: [], duplicates: [], skipped: [] };
    for (const event of p.events) result[outcomes[cursor++]!].push(event);
    return result;
  });
}

/** The tip after a commit: `meta` as written, and the sessions' summaries and tombstones. */
function nextTip(
  base: CommitTip | undefined,
  meta: MetaRecord,
  sessions: ReadonlyMap<string, { summary: StoredSummary | undefined; deletedAt?: string }>,
): CommitTip {
  const fresh = !base || base.summaries.size + sessions.size > TIP_SESSIONS;
  const tip: CommitTip = {
    meta,
    metaJson: JSON.stringify(meta),
    summaries: fresh ? new Map() : base.summaries,
    tombstones: fresh ? new Map() : base.tombstones,
  };
  for (const [key, { summary, deletedAt }] of sessions) {
    tip.summaries.set(key, summary);
    tip.tombstones.set(key, deletedAt);
  }
  return tip;
}

/**
 * Commits `batch` as `tip` predicts, in one round: the read of `meta`, the
 * event adds, the summaries, `meta` and the commit record claiming the next
 * sequence. Resolves `undefined` when the prediction was wrong (`meta` is not
 * the tip's, an id was stored already, the sequence was taken): the caller
 * aborts the transaction and commits again with {@link writeBatch}.
 */
export async function writePredicted(
  { tx }: PredictedTx,
  batch: CommitBatch,
  ticket: JournalTicket | undefined,
  tip: CommitTip,
): Promise<CommitOutcome | undefined> {
  const all = batch.length === 1 ? batch[0]!.events : batch.flatMap((p) => p.events);
  const metaRead = request(tx.objectStore('meta').get('state'));
  const { outcomes, toAdd } = plan(all, (k) => tip.tombstones.get(k));
  const seq = tip.meta.seq + 1;
  const adds = addAll(tx.objectStore('events'), toAdd, seq);
  // Not awaited: a failed write fails the transaction, which the committer awaits.
  for (const p of batch) for (const id of p.clearDrafts ?? []) tx.objectStore('drafts').delete(id);
  let summaries = new Map<string, StoredSummary>();
  let written = tip.meta;
  if (toAdd.length > 0) {
    summaries = summarize(tip.summaries, toAdd);
    const sessions = tx.objectStore('sessions');
    for (const summary of summaries.values()) sessions.put(summary);
    written = nextMeta(tip.meta, seq, ticket);
    tx.objectStore('meta').put(written, 'state');
  }
  // Every request is out: now the journal's frame goes to its worker.
  ticket?.send();
  const [meta, added] = await Promise.all([metaRead, adds]);
  if (JSON.stringify(meta) !== tip.metaJson || added.some((o) => o !== 'added')) return undefined;
  const sessions = new Map(
    [...summaries].map(([k, summary]) => [k, { summary, deletedAt: tip.tombstones.get(k) }]),
  );
  return {
    results: resultsOf(batch, outcomes),
    committed:
      toAdd.length > 0 ? { seq, events: toAdd, summaries: published(summaries) } : undefined,
    tip: nextTip(tip, written, sessions),
  };
}

/**
 * Commits `batch` reading first: `meta`, the tombstones and the summaries;
 * then, in one round, the adds and the summaries and `meta` as if every add
 * succeeds (the usual case), corrected when some id was stored already
 * (requests on a store run in order: the later writes replace the guesses).
 */
export async function writeBatch(
  tx: WriteTx,
  batch: CommitBatch,
  check: RecordCheck,
  ticket: JournalTicket | undefined,
): Promise<CommitOutcome> {
  ticket?.send(); // the reads below take a round anyway
  const all = batch.flatMap((p) => p.events);
  const keys = [...new Set(all.map((e) => e.session_key))];
  const [meta, tombstones, stored] = await Promise.all([
    tx.objectStore('meta').get('state') as Promise<MetaRecord>,
    Promise.all(keys.map((k) => tx.objectStore('tombstones').get(k))),
    Promise.all(keys.map((k) => tx.objectStore('sessions').get(k))),
  ]);
  const seq = meta.seq + 1;
  const deletedAt = new Map(keys.map((k, i) => [k, tombstones[i]?.timestamp]));
  const { outcomes, toAdd, addedAt } = plan(all, (k) => deletedAt.get(k));
  // The summaries before this commit; a corrupt one is rebuilt from the log.
  const before = new Map<string, StoredSummary | undefined>();
  const adding = new Set(toAdd.map((e) => e.session_key));
  await Promise.all(
    keys.map(async (k, i) => {
      const s = stored[i] === undefined ? undefined : check.checkSummary(stored[i], k);
      if (s) before.set(k, s);
      else if (stored[i] !== undefined && adding.has(k)) before.set(k, await rebuild(tx, k, check));
    }),
  );
  let summaries = summarize(before, toAdd);
  const writes: Promise<unknown>[] = batch.flatMap((p) =>
    (p.clearDrafts ?? []).map((id) => tx.objectStore('drafts').delete(id)),
  );
  for (const summary of summaries.values()) writes.push(tx.objectStore('sessions').put(summary));
  let written = meta;
  if (toAdd.length > 0) {
    written = nextMeta(meta, seq, ticket);
    writes.push(tx.objectStore('meta').put(written, 'state'));
  }
  const [addOutcomes] = await Promise.all([
    addAll(unwrap(tx.objectStore('events')), toAdd, seq),
    Promise.all(writes),
  ]);
  addOutcomes.forEach((outcome, i) => {
    outcomes[addedAt[i]!] = outcome;
  });
  const added = toAdd.filter((_, i) => addOutcomes[i] === 'added');
  if (added.length < toAdd.length) {
    const guessed = summaries;
    summaries = summarize(before, added);
    const fixes: Promise<unknown>[] = [];
    for (const key of guessed.keys()) {
      const summary = summaries.get(key) ?? before.get(key);
      fixes.push(
        summary ? tx.objectStore('sessions').put(summary) : tx.objectStore('sessions').delete(key),
      );
    }
    if (added.length === 0) {
      written = meta;
      fixes.push(tx.objectStore('meta').put(meta, 'state'));
    }
    await Promise.all(fixes);
  }
  // A session whose stored summary is corrupt and got nothing is left out of the tip.
  const sessions = new Map<string, { summary: StoredSummary | undefined; deletedAt?: string }>();
  keys.forEach((k, i) => {
    const summary = summaries.get(k) ?? before.get(k);
    if (summary || stored[i] === undefined)
      sessions.set(k, { summary, deletedAt: deletedAt.get(k) });
  });
  return {
    results: resultsOf(batch, outcomes),
    committed:
      added.length > 0 ? { seq, events: added, summaries: published(summaries) } : undefined,
    tip: nextTip(undefined, written, sessions),
  };
}
