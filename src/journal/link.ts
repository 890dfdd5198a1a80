/**
 * What ties a store to its journal (src/journal/journal.ts): opening it and
 * restoring from it, the commit path's three hooks (begin a frame with the
 * transaction, record a refusal, wait for the write), deletions, and going on
 * without a journal when one cannot be kept or a write fails.
 */
import { EventStoreError } from '../errors.js';
import type { AnyEvent } from '../event.js';
import type { MetaRecord, TombstoneRecord } from '../schema.js';
import type { Db } from '../store/connection.js';
import { toStoreError } from '../store/connection.js';
import type { CorruptRecord, Durability } from '../store/types.js';
import {
  Journal,
  type JournalCheck,
  type JournalStatus,
  type JournalTicket,
  type RestoreReport,
} from './journal.js';
import { restoreDeletions, saveWatermarks } from './replay.js';

/** What the link needs from its store. */
export interface JournalLinkHost {
  name: string;
  /** Whether the store keeps in step with other tabs (its `crossTab` option). */
  crossTab: boolean;
  durability: Durability;
  run<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /** Validates one value as an event (throws a typed error when it is not one). */
  parse(value: unknown): AnyEvent;
  /** Appends events restored from the journal through the group commit, without journaling them again. */
  appendRestored(events: AnyEvent[]): Promise<{ added: unknown[] }>;
  /** The events stored by commit `seq`. */
  readCommit(seq: number): Promise<AnyEvent[]>;
  /** Deletions were restored: tell the other tabs and catch up. */
  restoredDeletions(tombstones: TombstoneRecord[]): void;
  corrupt(record: CorruptRecord): void;
  error(error: EventStoreError): void;
}

/** The commit path's view of the journal (used by the committer). */
export interface CommitJournal {
  /** Starts journaling a group commit's events, concurrently with its transaction. */
  begin(events: readonly AnyEvent[], durability: Durability): JournalTicket | undefined;
  /** The transaction was refused: journal that before its callers hear of it. */
  refused(ticket: JournalTicket | undefined): Promise<void>;
  /** The transaction completed: wait for the frame's write. */
  written(ticket: JournalTicket | undefined): Promise<void>;
}

/** `meta` after a commit: the next sequence, and the journal frame it holds when there is one. */
export function nextMeta(
  meta: MetaRecord,
  seq: number,
  ticket: JournalTicket | undefined,
): MetaRecord {
  if (!ticket?.watermark) return { ...meta, seq };
  return {
    ...meta,
    seq,
    journal: { ...meta.journal, [ticket.segment]: { ...ticket.watermark, seq } },
  };
}

/** A store's journal, or the lack of one. */
export class JournalLink implements CommitJournal {
  readonly #host: JournalLinkHost;
  #journal: Journal | undefined;
  #status: JournalStatus;
  #restored: RestoreReport | undefined;

  constructor(host: JournalLinkHost, enabled: boolean) {
    this.#host = host;
    this.#status = enabled ? 'unavailable' : 'off';
  }

  /** See `EventStore.journal`. */
  get status(): JournalStatus {
    return this.#status;
  }

  /** See `EventStore.restored`. */
  get restored(): RestoreReport | undefined {
    return this.#restored;
  }

  /** Opens the journal, restoring from it what the database (whose `meta` is given) lacks. */
  async open(meta: MetaRecord, reset: boolean): Promise<void> {
    if (this.#status === 'off') return;
    const host = this.#host;
    try {
      const opened = await Journal.open(
        {
          name: host.name,
          crossTab: host.crossTab,
          watermarks: meta.journal ?? {},
          restoreDeletions: async (tombstones) => {
            const written = await host.run((db) =>
              restoreDeletions(db, tombstones, host.durability),
            );
            if (written.length > 0) host.restoredDeletions(written);
            return written.length;
          },
          restoreEvents: async (values) => {
            const events: AnyEvent[] = [];
            for (const value of values) {
              try {
                events.push(host.parse(value));
              } catch (error) {
                const key = String((value as { id?: unknown })?.id);
                host.corrupt({ store: 'journal', key, error: toStoreError(error) });
              }
            }
            return (await host.appendRestored(events)).added.length;
          },
          readCommit: (seq) => host.readCommit(seq),
          saveWatermarks: (marks) => host.run((db) => saveWatermarks(db, marks)),
          reportDamaged: (file, at, reason) =>
            host.corrupt({
              store: 'journal',
              key: `${file}@${at}`,
              error: new EventStoreError(
                'serialization',
                `journal record ${file}@${at}: ${reason}`,
              ),
            }),
        },
        // A database with no commit and no watermark was made anew: if the journal has
        // anything for it, the old one was deleted. localStorage (behind `wasReset`) may
        // not have reached the disk before a crash, so it alone cannot tell.
        { reset: reset || (meta.seq === 0 && meta.journal === undefined) },
      );
      this.#journal = opened.journal;
      this.#status = opened.journal ? 'on' : 'unavailable';
      this.#restored = opened.restored;
    } catch (error) {
      this.#status = 'failed';
      host.error(toStoreError(error));
    }
  }

  begin(events: readonly AnyEvent[], durability: Durability): JournalTicket | undefined {
    if (!this.#journal || events.length === 0) return undefined;
    return this.#journal.commit(events, durability === 'strict');
  }

  async refused(ticket: JournalTicket | undefined): Promise<void> {
    await ticket?.refuse().catch((error) => this.#failed(error));
  }

  async written(ticket: JournalTicket | undefined): Promise<void> {
    if (!ticket) return;
    try {
      await ticket.written;
    } catch (error) {
      this.#failed(error);
    } finally {
      ticket.done();
    }
  }

  /** Journals a session's deletion and drops the session's earlier records from the journal. */
  async deleted(tombstone: TombstoneRecord): Promise<void> {
    await this.#journal
      ?.deleted(tombstone.sessionKey, tombstone.timestamp, this.#host.durability === 'strict')
      .catch((error) => this.#failed(error));
  }

  /** See `EventStore.verifyJournal`. */
  async verify(): Promise<JournalCheck> {
    return (await this.#journal?.verify()) ?? { files: 0, records: 0, damaged: 0 };
  }

  /** Lets go of the journal's segment. */
  async close(): Promise<void> {
    const journal = this.#journal;
    this.#journal = undefined;
    await journal?.close();
  }

  /** A journal write failed: go on without the journal (IndexedDB still holds every commit). */
  #failed(error: unknown): void {
    if (!this.#journal) return;
    void this.#journal.close().catch(() => {});
    this.#journal = undefined;
    this.#status = 'failed';
    this.#host.error(
      new EventStoreError('storage', `the journal failed: ${String(error)}`, { cause: error }),
    );
  }
}
