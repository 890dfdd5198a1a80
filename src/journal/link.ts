/**
 * What ties a store to its journal (src/journal/journal.ts): opening it and
 * restoring from it, the commit path's three hooks (begin a frame with the
 * transaction, record a refusal, wait for the write), deletions, and going on
 * without a journal when one cannot be kept or a write fails.
 *
 * Opening costs little: the journal's code is loaded (chunks of their own)
 * when the journal is compared with the database, a second after the open or
 * at the first write, and before the open resolves only for a database made
 * anew: first its probe (src/journal/probe.ts, which looks at the directory),
 * then the journal and its worker.
 */
import { EventStoreError, validationError } from '../errors.js';
import type { AnyEvent } from '../event.js';
import type { MetaRecord, TombstoneRecord } from '../schema.js';
import type { Db } from '../store/connection.js';
import { toStoreError } from '../store/connection.js';
import type { CorruptRecord, Durability, JournalOptions } from '../store/types.js';
import type {
  Journal,
  JournalCheck,
  JournalHost,
  JournalStatus,
  JournalTicket,
  RestoreReport,
} from './journal.js';
import type { JournalProbe } from './probe.js';
import { journalUnsupported } from './support.js';

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
  /** The database's `meta` record now. */
  readMeta(): Promise<MetaRecord>;
  /** The events stored by commit `seq`. */
  readCommit(seq: number): Promise<AnyEvent[]>;
  /** The journal restored what the database lacked (the `restored` store event). */
  restored(report: RestoreReport): void;
  /** Deletions were restored: tell the other tabs and catch up. */
  restoredDeletions(tombstones: TombstoneRecord[]): void;
  corrupt(record: CorruptRecord): void;
  error(error: EventStoreError): void;
}

/** The commit path's view of the journal (used by the committer). */
export interface CommitJournal {
  /**
   * Starts journaling a group commit's events, concurrently with its
   * transaction (a promise only while the journal's code loads, at the first write).
   */
  begin(
    events: readonly AnyEvent[],
    durability: Durability,
  ): JournalTicket | undefined | Promise<JournalTicket | undefined>;
  /** The transaction was refused: journal that before its callers hear of it. */
  refused(ticket: JournalTicket | undefined): Promise<void>;
  /** The transaction completed: wait for the frame's write. */
  written(ticket: JournalTicket | undefined): Promise<void>;
  /** A session was deleted: journal that and drop its records from the journal. */
  deleted(tombstone: Pick<TombstoneRecord, 'sessionKey' | 'timestamp'>): Promise<void>;
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

/**
 * How long after an open (of a database not made anew) the journal is
 * compared with it, unless a write or the app asks first: past a cold
 * open's first reads (about 0.1 s for 1,000 summaries).
 */
export const CHECK_AFTER_MS = 1000;

/** A deletion announced to the other tabs' journals. */
interface DeletionMessage {
  d?: unknown;
  ts?: unknown;
}

/** A store's journal, or the lack of one. */
export class JournalLink implements CommitJournal {
  readonly #host: JournalLinkHost;
  /** Whether a journal can be kept here and is wanted. */
  readonly #enabled: boolean;
  /** Whether a strict commit's frame is flushed too (`journal: { flush }`). */
  readonly #flushStrict: boolean = true;
  /** Found by the check, not loaded yet: nothing to restore, no write yet. */
  #deferred: JournalProbe | undefined;
  #loading: Promise<Journal | undefined> | undefined;
  #journal: Journal | undefined;
  #restoring = false;
  /** The comparison of journal and database, once started (see `check`). */
  #checking: Promise<void> | undefined;
  #checked = false;
  /** The check due soon after open (see `open`). */
  #soon: ReturnType<typeof setTimeout> | undefined;
  #channel: BroadcastChannel | undefined;
  #status: JournalStatus;
  #restored: RestoreReport | undefined;
  #closed = false;

  /**
   * @param option the store's `journal` option; a bad one throws a
   *   `validation` error naming the field
   */
  constructor(host: JournalLinkHost, option: boolean | JournalOptions | undefined) {
    this.#host = host;
    const enabled = option !== false;
    if (typeof option === 'object' && option !== null) {
      const flush = option.flush ?? 'strict';
      if (flush !== 'strict' && flush !== 'never')
        throw validationError('journal.flush', "must be 'strict' or 'never'");
      this.#flushStrict = flush === 'strict';
    } else if (option !== undefined && typeof option !== 'boolean')
      throw validationError('journal', 'must be a boolean or { flush }');
    this.#status = enabled ? 'unavailable' : 'off';
    this.#enabled = enabled && !journalUnsupported();
  }

  /** See `EventStore.journal`. */
  get status(): JournalStatus {
    return this.#status;
  }

  /** See `EventStore.restored`. */
  get restored(): RestoreReport | undefined {
    return this.#restored;
  }

  /**
   * Opens the journal on the database whose `meta` is given. A database made
   * anew is compared with the journal now, so that what it lacks is restored
   * before the store is handed out. Any other is compared at the store's
   * first write, when asked ({@link JournalLink.check}), or {@link CHECK_AFTER_MS}
   * after the open, whichever comes first: the open and the app's first reads
   * do not wait for (nor share the browser's storage thread with) the
   * journal's files, and a store that only reads is still checked.
   */
  async open(meta: MetaRecord, reset: boolean): Promise<void> {
    if (!this.#enabled) return;
    this.#status = 'on';
    // A database with no commit and no watermark was made anew: if the journal has
    // anything for it, the old one was deleted. localStorage (behind `wasReset`) may
    // not have reached the disk before a crash, so it alone cannot tell.
    if (reset || (meta.seq === 0 && meta.journal === undefined))
      await this.#check(Promise.resolve(meta), true);
    else this.#checkSoon();
  }

  #checkSoon(): void {
    clearTimeout(this.#soon);
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      void this.check();
    }, CHECK_AFTER_MS);
  }

  /**
   * The page goes into the back/forward cache: let go of the segment (see
   * src/store/page-lifecycle.ts), unless a check, a load or a write is under way
   * (the page then keeps it, and is evicted if another store asks: it loses
   * nothing, it reloads). The next write, or the check after `resume`, takes
   * a segment again, the same one when no other store took it meanwhile.
   */
  suspend(): void {
    if (this.#closed || this.#status !== 'on') return;
    if (this.#checking && !this.#checked) return;
    const journal = this.#journal;
    if (journal) {
      if (!journal.suspend()) return;
    } else if (this.#deferred) {
      if (this.#loading) return; // the journal is loading: it takes the segment's file
      this.#deferred.own.release();
    }
    clearTimeout(this.#soon);
    this.#journal = undefined;
    this.#deferred = undefined;
    this.#loading = undefined;
    this.#checking = undefined;
    this.#checked = false;
  }

  /** The page is back from the back/forward cache: check again soon (see `open`). */
  resume(): void {
    if (this.#closed || this.#status !== 'on' || this.#checking) return;
    this.#checkSoon();
  }

  /**
   * Compares the journal with the database (starting that once) and resolves
   * when whatever it restored is stored. The segments whose writers are gone
   * are found (src/journal/probe.ts); one that does not end where the
   * database's watermark says is read and what the database lacks restored;
   * otherwise the journal's code loads at the first write.
   */
  check(): Promise<void> {
    if (this.#checking) return this.#checking;
    if (!this.#enabled || this.#status !== 'on' || this.#closed) return Promise.resolve();
    clearTimeout(this.#soon);
    return this.#check(this.#host.readMeta(), false);
  }

  /**
   * Before a write: a promise while the check runs (started now if need be),
   * for writes to wait on (a restore commits first); `undefined` once done.
   */
  beforeWrite(): Promise<void> | undefined {
    if (this.#checked || (!this.#checking && this.#status !== 'on')) return undefined;
    return this.check();
  }

  #check(meta: Promise<MetaRecord>, reset: boolean): Promise<void> {
    this.#checking ??= this.#compare(meta, reset).finally(() => {
      this.#checked = true;
    });
    return this.#checking;
  }

  async #compare(reading: Promise<MetaRecord>, reset: boolean): Promise<void> {
    try {
      const meta = await reading;
      // The probe's code loads with the check, not with the store (issue 12: bundle).
      const { probeJournal, releaseDead, segmentBehind } = await import('./probe.js');
      const probe = await probeJournal(this.#host.name);
      if (this.#closed) {
        releaseDead(probe, undefined);
        probe.own.release();
        return;
      }
      const marks = meta.journal ?? {};
      const behinds = await Promise.all(
        probe.dead.map((d) => segmentBehind(probe.dir, d, marks[String(d.segment)])),
      );
      const behind = probe.dead.filter((_, i) => behinds[i]);
      this.#listen();
      if (behind.length === 0) {
        releaseDead(probe, probe.own);
        this.#deferred = probe;
        // Nothing to restore: load the journal's code and start its worker now, in the
        // background (this runs after the open, or at the first write anyway), so that the
        // first write does not wait for them.
        void this.#ready();
        return;
      }
      this.#restoring = true;
      this.#loading = this.#load(probe, behind, meta, reset);
      await this.#loading;
      if (this.#restored) this.#host.restored(this.#restored);
    } catch (error) {
      this.#status = 'failed';
      this.#host.error(toStoreError(error));
    } finally {
      this.#restoring = false;
    }
  }

  /** Loads the journal's code and opens the journal, restoring from `behind`. */
  async #load(
    probe: JournalProbe,
    behind: JournalProbe['dead'],
    meta: MetaRecord,
    reset: boolean,
  ): Promise<Journal | undefined> {
    try {
      const { Journal } = await import('./journal.js');
      const opened = await Journal.open(this.#journalHost(meta), probe, behind, { reset });
      if (this.#closed) {
        await opened.journal.close();
        return undefined;
      }
      this.#journal = opened.journal;
      this.#restored = opened.restored;
      return opened.journal;
    } catch (error) {
      probe.own.release();
      throw error;
    }
  }

  /** The journal, loaded now if it was deferred; `undefined` when there is none. */
  async #ready(): Promise<Journal | undefined> {
    await this.check();
    if (this.#journal || !this.#deferred) return this.#journal;
    const probe = this.#deferred;
    this.#loading ??= this.#load(probe, [], { seq: 0, instance: '' }, false).catch((error) => {
      this.#deferred = undefined;
      this.#failed(error);
      return undefined;
    });
    return this.#loading;
  }

  /** Another tab's store deleted a session: drop its records from this store's segment too. */
  #listen(): void {
    if (this.#channel || !this.#host.crossTab || typeof BroadcastChannel === 'undefined') return;
    // Without the channel a segment keeps them until its next compaction; the
    // journaled tombstone still keeps them from being restored.
    this.#channel = new BroadcastChannel(`sessionlog-journal:${this.#host.name}`);
    this.#channel.onmessage = (event: MessageEvent<DeletionMessage>) => {
      const { d, ts } = event.data ?? {};
      if (typeof d !== 'string' || typeof ts !== 'string') return;
      void this.#ready()
        .then((journal) => journal?.compact(new Map([[d, ts]])))
        .catch(() => {});
    };
  }

  /** What the journal needs from the store (restores go through the store's own commit path). */
  #journalHost(meta: MetaRecord): JournalHost {
    const host = this.#host;
    return {
      name: host.name,
      watermarks: meta.journal ?? {},
      restoreDeletions: async (tombstones) => {
        const { restoreDeletions } = await import('./replay.js');
        const written = await host.run((db) => restoreDeletions(db, tombstones, host.durability));
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
      saveWatermarks: async (marks) => {
        const { saveWatermarks } = await import('./replay.js');
        await host.run((db) => saveWatermarks(db, marks));
      },
      reportDamaged: (file, at, reason) =>
        host.corrupt({
          store: 'journal',
          key: `${file}@${at}`,
          error: new EventStoreError('serialization', `journal record ${file}@${at}: ${reason}`),
        }),
    };
  }

  begin(
    events: readonly AnyEvent[],
    durability: Durability,
  ): JournalTicket | undefined | Promise<JournalTicket | undefined> {
    if (events.length === 0) return undefined;
    const strict = durability === 'strict' && this.#flushStrict;
    if (this.#journal) return this.#room(this.#journal.commit(events, strict));
    // A restore's own commits (appends wait for it, see `beforeWrite`) are journaled already.
    if (this.#status !== 'on' || this.#restoring) return undefined;
    return this.#ready().then((journal) => journal && this.#room(journal.commit(events, strict)));
  }

  /**
   * A ticket that waits for the journal to make room: refused for quota, the
   * commit is refused (`quota`) before its transaction runs, so neither copy
   * holds it; another failure lets the commit go on without the journal.
   */
  #room(
    ticket: JournalTicket | Promise<JournalTicket>,
  ): JournalTicket | Promise<JournalTicket | undefined> {
    if (!(ticket instanceof Promise)) return ticket;
    return ticket.catch((error: unknown) => {
      if ((error as { name?: string } | null)?.name === 'QuotaExceededError')
        throw new EventStoreError(
          'quota',
          `the storage quota is full: the journal has no room for the commit (${String(error)})`,
          { cause: error },
        );
      this.#failed(error);
      return undefined;
    });
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
  async deleted(tombstone: Pick<TombstoneRecord, 'sessionKey' | 'timestamp'>): Promise<void> {
    const journal = await this.#ready();
    const message = { d: tombstone.sessionKey, ts: tombstone.timestamp };
    await journal
      ?.deleted(
        tombstone.sessionKey,
        tombstone.timestamp,
        this.#host.durability === 'strict' && this.#flushStrict,
        () => this.#channel?.postMessage(message),
      )
      .catch((error) => this.#failed(error));
  }

  /** See `EventStore.verifyJournal`. */
  async verify(): Promise<JournalCheck> {
    const journal = await this.#ready();
    return (await journal?.verify()) ?? { files: 0, records: 0, damaged: 0 };
  }

  /** Lets go of the journal's segment. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#soon);
    this.#channel?.close();
    this.#channel = undefined;
    await this.#checking;
    const deferred = this.#deferred;
    const journal = this.#journal ?? (await this.#loading?.catch(() => undefined));
    this.#journal = undefined;
    this.#deferred = undefined;
    if (journal) await journal.close();
    else deferred?.own.release();
  }

  /**
   * A journal write failed. Refused for a full quota (a tombstone or refusal
   * record past the room the segment keeps; a commit frame that does not fit
   * refuses its commit instead, see `#room`), the journal stays on and the
   * store reports `quota`; otherwise the store goes on without the journal
   * (IndexedDB still holds every commit).
   */
  #failed(error: unknown): void {
    if ((error as { name?: string } | null)?.name === 'QuotaExceededError') {
      this.#host.error(
        new EventStoreError('quota', `the journal could not write: ${String(error)}`, {
          cause: error,
        }),
      );
      return;
    }
    if (!this.#journal && this.#status !== 'on') return;
    const journal = this.#journal;
    this.#journal = undefined;
    this.#deferred = undefined;
    void journal?.close().catch(() => {});
    this.#status = 'failed';
    this.#host.error(
      new EventStoreError('storage', `the journal failed: ${String(error)}`, { cause: error }),
    );
  }
}
