/**
 * The committer: validates appends, queues them so that the appends of one
 * tick share one readwrite transaction (group commit), writes deletions, and
 * hands what each transaction committed on, after it completed.
 */
import { unwrap } from 'idb';
import type { HybridClock } from '../clock.js';
import { EventStoreError, validationError } from '../errors.js';
import { type AnyEvent, parseEvent } from '../event.js';
import type { JournalTicket } from '../journal/journal.js';
import type { CommitJournal } from '../journal/link.js';
import type { MetaRecord, TombstoneRecord } from '../schema.js';
import { formatTimestamp, parseTimestamp } from '../timestamp.js';
import { observeLatest } from './batches.js';
import {
  type CommitOutcome,
  type CommitTip,
  predictedTransaction,
  tipCovers,
  writeBatch,
  writePredicted,
} from './commit-tx.js';
import { atomically, type Db, WRITE_STORES } from './connection.js';
import {
  type Committed,
  deleteSessionAt,
  deleteSessionData,
  type RecordCheck,
} from './transactions.js';
import type { AppendResult, Durability } from './types.js';

/** Thrown out of a predicted commit whose prediction was wrong (the transaction then aborts). */
const MISPREDICTED = new Error('the commit tip was out of date');

interface PendingAppend {
  events: AnyEvent[];
  durability: Durability;
  /** Draft records to delete in the same transaction (a finished stream). */
  clearDrafts?: string[];
  /** Events restored from the journal: not journaled again. */
  restoring?: boolean;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** What the committer needs: the database, the clock, record checks, and where commits go. */
export interface CommitterHost {
  run<T>(work: (db: Db) => Promise<T>): Promise<T>;
  clock: HybridClock;
  check: RecordCheck;
  /** Default durability of deletions. */
  durability: Durability;
  /** A transaction committed events (called after it completed, before the next one starts). */
  committed(commit: Committed): void;
  /** A transaction deleted a session; `kept`: later events of it stayed (a deletion made elsewhere). */
  deleted(tombstone: TombstoneRecord, kept?: boolean): void;
  /** The journal, written in the same group commit (src/journal/link.ts). */
  journal?: CommitJournal;
}

/** Group commit of appends, and deletions. */
export class Committer {
  readonly #host: CommitterHost;
  #queue: PendingAppend[] = [];
  #draining: Promise<void> | undefined;
  /** What the last commit left in the database, as far as this tab knows (see `writeBatch`). */
  #tip: CommitTip | undefined;

  constructor(host: CommitterHost) {
    this.#host = host;
  }

  /**
   * Validates `input` and queues it for the next commit; resolves after that
   * transaction completes. An invalid event rejects the call with a
   * `validation` error naming its index and field, and nothing of it is queued.
   */
  append(
    input: AnyEvent | readonly AnyEvent[],
    durability: Durability,
    clearDrafts?: string[],
    restoring = false, // parsed events from the journal
  ): Promise<AppendResult> {
    let events: AnyEvent[];
    try {
      events = restoring ? (input as AnyEvent[]) : this.#validate(input);
    } catch (error) {
      return Promise.reject(error);
    }
    observeLatest(this.#host.clock, events);
    return new Promise((resolve, reject) => {
      this.#queue.push({
        events,
        durability,
        resolve,
        reject,
        ...(clearDrafts ? { clearDrafts } : {}),
        ...(restoring ? { restoring } : {}),
      });
      this.#drainSoon();
    });
  }

  #validate(input: AnyEvent | readonly AnyEvent[]): AnyEvent[] {
    const list = Array.isArray(input) ? input : [input];
    if (list.length === 0) return [];
    return list.map((value, index) => {
      try {
        return parseEvent(value, { allowUnknownKinds: true, clock: this.#host.clock });
      } catch (error) {
        if (!(error instanceof EventStoreError) || !Array.isArray(input)) throw error;
        throw new EventStoreError('validation', `events[${index}].${error.message}`, {
          field: error.field,
          index,
        });
      }
    });
  }

  #drainSoon(): void {
    // The first append of a tick starts a drain at the next microtask, so every
    // append issued in the same tick lands in one transaction.
    this.#draining ??= Promise.resolve()
      .then(async () => {
        while (this.#queue.length > 0) {
          const strict = this.#queue.filter((p) => p.durability === 'strict');
          const relaxed = this.#queue.filter((p) => p.durability === 'relaxed');
          this.#queue = [];
          if (relaxed.length) await this.#commit(relaxed, 'relaxed');
          if (strict.length) await this.#commit(strict, 'strict');
        }
      })
      .finally(() => {
        this.#draining = undefined;
        if (this.#queue.length > 0) this.#drainSoon();
      });
  }

  async #commit(batch: PendingAppend[], durability: Durability): Promise<void> {
    // The journal's frame is written while the transaction runs (not restored events: journaled already).
    const journal = this.#host.journal;
    let ticket: JournalTicket | undefined;
    try {
      const begun = journal?.begin(
        batch.length === 1 && !batch[0]!.restoring
          ? batch[0]!.events
          : batch.flatMap((p) => (p.restoring ? [] : p.events)),
        durability,
      );
      // A promise only while the journal's code loads or it makes room: no extra turn otherwise.
      ticket = begun instanceof Promise ? await begun : begun;
    } catch (error) {
      // The journal had no room (a full quota): refused before the transaction, nothing written.
      for (const pending of batch) pending.reject(error);
      return;
    }
    const tip = this.#tip;
    this.#tip = undefined; // until this commit is known to have completed
    let outcome: CommitOutcome | undefined;
    try {
      if (tipCovers(tip, batch)) outcome = await this.#predicted(batch, durability, ticket, tip);
      outcome ??= await this.#host.run((db) =>
        atomically(db.transaction(WRITE_STORES, 'readwrite', { durability }), (tx) =>
          writeBatch(tx, batch, this.#host.check, ticket),
        ),
      );
    } catch (error) {
      await journal?.refused(ticket);
      for (const pending of batch) pending.reject(error);
      return;
    }
    this.#tip = outcome.tip;
    // Readers (this tab's live state, other tabs) read committed events from IndexedDB: they
    // hear of the commit now, while its journal frame may still be on its way. The callers
    // hear after it too: acknowledged means in both (a failed journal write is reported by
    // the journal and leaves the commit IndexedDB's alone; it is never undone).
    if (outcome.committed) this.#host.committed(outcome.committed);
    await journal?.written(ticket);
    for (const [i, pending] of batch.entries()) pending.resolve(outcome.results[i]!);
  }

  /**
   * Commits `batch` as the tip predicts, in one round of requests; resolves
   * `undefined`, with the transaction aborted, when the prediction was wrong.
   */
  async #predicted(
    batch: PendingAppend[],
    durability: Durability,
    ticket: JournalTicket | undefined,
    tip: CommitTip,
  ): Promise<CommitOutcome | undefined> {
    return this.#host.run((db) =>
      atomically(predictedTransaction(unwrap(db), batch, durability), async (tx) => {
        const outcome = await writePredicted(tx, batch, ticket, tip);
        if (!outcome) throw MISPREDICTED; // aborted: nothing of it stays
        return outcome;
      }).catch((error: unknown) => {
        if (error === MISPREDICTED) return undefined;
        throw error;
      }),
    );
  }

  /** Resolves once every queued append has been committed (or has failed). */
  async settled(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /** Rejects every queued append with `error` (the store closed). */
  rejectQueued(error: EventStoreError): void {
    for (const pending of this.#queue.splice(0)) pending.reject(error);
  }

  /**
   * Deletes a session (see `EventStore.deleteSession`): its events, summary
   * and drafts go in one transaction and a tombstone stays. Under a full
   * quota the data is removed first and the tombstone written after.
   */
  async deleteSession(sessionKey: string): Promise<TombstoneRecord> {
    if (typeof sessionKey !== 'string' || sessionKey === '') {
      throw validationError('sessionKey', 'must be a non-empty string');
    }
    await this.settled();
    const { run, clock, durability } = this.#host;
    // Last activity of a session whose space had to be freed first (see below).
    let freed: string | undefined;
    const remove = (db: Db) =>
      atomically(db.transaction(WRITE_STORES, 'readwrite', { durability }), async (tx) => {
        const [meta, last] = await Promise.all([
          tx.objectStore('meta').get('state') as Promise<MetaRecord>,
          deleteSessionData(tx, sessionKey),
        ]);
        const record: TombstoneRecord = {
          sessionKey,
          timestamp: deletionTime(clock, [last, freed]),
          seq: meta.seq + 1,
        };
        await Promise.all([
          tx.objectStore('tombstones').put(record),
          tx.objectStore('meta').put({ ...meta, seq: record.seq }, 'state'),
        ]);
        return record;
      });
    let tombstone: TombstoneRecord;
    try {
      tombstone = await run(remove);
    } catch (error) {
      if (!(error instanceof EventStoreError) || error.code !== 'quota') throw error;
      // A full quota refuses every transaction that writes anything, the
      // tombstone included, but not one that only deletes: free the session's
      // space first (events, summary and drafts together, so no summary is left
      // without its events), then record the deletion.
      freed = await run((db) =>
        atomically(db.transaction(WRITE_STORES, 'readwrite', { durability }), (tx) =>
          deleteSessionData(tx, sessionKey),
        ),
      );
      try {
        tombstone = await run(remove);
      } catch (refused) {
        // The session's data is gone but its tombstone did not fit: the journal
        // still records the deletion, or a reset of the database would bring it back.
        await this.#host.journal?.deleted({ sessionKey, timestamp: deletionTime(clock, [freed]) });
        throw refused;
      }
    }
    this.#host.deleted(tombstone);
    await this.#host.journal?.deleted(tombstone);
    return tombstone;
  }

  /**
   * Applies a deletion made elsewhere at time `at` (see `deleteSessionAt`);
   * resolves to its tombstone, or `undefined` when a later one was stored.
   */
  async deleteSessionAt(sessionKey: string, at: string): Promise<TombstoneRecord | undefined> {
    if (typeof sessionKey !== 'string' || sessionKey === '') {
      throw validationError('sessionKey', 'must be a non-empty string');
    }
    await this.settled();
    const { run, clock, durability, check } = this.#host;
    clock.observe(at);
    const done = await run((db) =>
      atomically(db.transaction(WRITE_STORES, 'readwrite', { durability }), (tx) =>
        deleteSessionAt(tx, sessionKey, at, check),
      ),
    );
    if (!done) return undefined;
    this.#host.deleted(done.tombstone, done.kept);
    await this.#host.journal?.deleted(done.tombstone);
    return done.tombstone;
  }

  /**
   * Resolves once everything appended before the call is on disk: waits for
   * queued commits, then runs a strict-durability transaction (which makes
   * the browser flush its log, earlier relaxed commits included).
   */
  async flush(): Promise<void> {
    await this.settled();
    await this.#host.run((db) =>
      atomically(db.transaction('meta', 'readwrite', { durability: 'strict' }), async (tx) => {
        const meta = (await tx.store.get('state')) as MetaRecord;
        await tx.store.put(meta, 'state');
      }),
    );
  }
}

/**
 * A deletion's timestamp: later than every event this tab has seen and than
 * each of `activities` (the session's last activity).
 */
function deletionTime(clock: HybridClock, activities: ReadonlyArray<string | undefined>): string {
  let ns = parseTimestamp(clock.next());
  for (const activity of activities) {
    const after = activity ? parseTimestamp(activity) + 1n : 0n;
    if (after > ns) ns = after;
  }
  return formatTimestamp(ns);
}
