/** The store's public option and result types, shared by its parts. */
import type { EventStoreError } from '../errors.js';
import type { AnyEvent } from '../event.js';
import type { RestoreReport } from '../journal/journal.js';
import type { Message } from '../projection.js';
import type { DraftTiming } from '../stream.js';

/**
 * How hard a commit waits for the disk. `relaxed` (the default) resolves once
 * the browser has the data: a crash of the tab or the browser loses nothing
 * acknowledged, a power cut or OS crash may lose the last moments. `strict`
 * resolves after the data is flushed to disk (about 2× the per-transaction
 * cost, see docs/benchmarks.md); `flush()` gives that guarantee on demand.
 * Either way the journal (a copy in the Origin Private File System, on by
 * default) restores what Chromium deletes with a damaged database after a
 * crash (docs/durability.md).
 */
export type Durability = 'relaxed' | 'strict';

/** Options of `openEventStore`. */
export interface OpenEventStoreOptions {
  /** Database name, also the tab channel's; default `"sessionlog"`. */
  name?: string;
  /** Default durability of commits; default `relaxed`. */
  durability?: Durability;
  /** The IndexedDB factory; `globalThis.indexedDB` by default (tests pass fake-indexeddb's). */
  indexedDB?: IDBFactory;
  /** Keep in step with other tabs over BroadcastChannel; default `true` where it exists. */
  crossTab?: boolean;
  /** Wall clock for the store's hybrid logical clock (tests inject one). */
  now?: () => number;
  /** Timing of streaming drafts (checkpoint interval, heartbeat, timeout). */
  drafts?: Partial<DraftTiming>;
  /**
   * Keep a second copy of every commit in a journal in the Origin Private
   * File System and restore from it what the database lacks on open (a
   * database Chromium deleted after a crash); default `true` where OPFS,
   * Web Locks and workers exist. `{ flush }` chooses what a strict commit
   * waits for (see {@link JournalOptions}). See docs/durability.md.
   */
  journal?: boolean | JournalOptions;
  /**
   * How long (ms) a session's live projection outlives its last listener; default 5000. React
   * unsubscribes and resubscribes whenever the subscribe function changes: within this time that
   * costs no reload and no notification.
   */
  liveGraceMs?: number;
}

/** What an append did with each event. */
export interface AppendResult {
  /** Events newly stored, in the order given. */
  added: AnyEvent[];
  /** Events whose id was already stored (or repeated in the call): a successful no-op. */
  duplicates: AnyEvent[];
  /** Events older than a deletion of their session: dropped so it is not resurrected. */
  skipped: AnyEvent[];
}

/** A position in a session's message order: a message, or any (timestamp, id). */
export interface Cursor {
  timestamp: string;
  id: string;
}

/** Which page of messages `EventStore.getMessages` reads. */
export interface MessageQuery {
  /** Page size; default 50, at most 1000. */
  limit?: number;
  /** Messages strictly before this one (older page). */
  before?: Cursor;
  /** Messages strictly after this one (newer page). */
  after?: Cursor;
  /**
   * `active` (default): the messages on the active path of the conversation
   * tree, what a chat UI shows (see `activePath`). `all`: every message of
   * every branch in (timestamp, id) order. The same for a session without
   * branches.
   */
  branch?: 'active' | 'all';
}

/** Options of `EventStore.record`. */
export interface RecordOptions {
  /**
   * The event's `parent_id` in the conversation tree: the id of the node it
   * answers or follows, or `null` for a new root. Absent: it follows the
   * previous node in (timestamp, id) order (a linear log).
   */
  parentId?: string | null;
}

/** A page of messages, oldest first. */
export interface MessagePage {
  messages: Message[];
  /** Whether more messages exist beyond the page in the direction read. */
  hasMore: boolean;
}

/** A stored record that failed validation: skipped by reads and reported. */
export interface CorruptRecord {
  /** Where: an IndexedDB object store, or a journal file (key: `<file>@<offset>`). */
  store: 'events' | 'sessions' | 'journal';
  key: string;
  error: EventStoreError;
}

/** Events a store emits through `EventStore.on`. */
export interface StoreEventMap {
  /** Another tab opened a newer version of the database: this store is closed. */
  versionchange: undefined;
  /** The store closed: by `close()`, a version change, or a lost connection that could not be reopened. */
  close: undefined;
  /** A stored record failed validation and was skipped. */
  corrupt: CorruptRecord;
  /** An error no caller could receive (a listener threw, a background catch-up failed). */
  error: EventStoreError;
  /** The journal restored what the database lacked (also `EventStore.restored`). */
  restored: RestoreReport;
}

/** How the journal writes (the `journal` option of `openEventStore`). */
export interface JournalOptions {
  /**
   * `strict` (default): a strict commit's journal frame is flushed to disk
   * too, so the journal's copy survives a power cut like the database's.
   * `never`: frames are handed to the operating system only, like a relaxed
   * commit's (a browser crash loses nothing; a power cut followed by
   * Chromium's reset of the database can lose the last seconds), which
   * spares strict commits a second flush (docs/durability.md, the cost).
   */
  flush?: 'strict' | 'never';
}

/** Options of `EventStore.deleteSession`. */
export interface DeleteOptions {
  /**
   * Delete as of this time (RFC 3339), as another device did: events at or
   * before it go, later ones stay. By default the deletion is made now and
   * removes every event of the session.
   */
  at?: string;
}

/** What `changesSince` (sessionlog/sync) read: local changes up to commit `seq`. */
export interface LocalChanges {
  /** The last commit sequence the page covers: the next call's `after`. */
  seq: number;
  /** Events committed in the range and still stored, in commit order. */
  events: AnyEvent[];
  /** Sessions deleted in the range, with the deletion time. */
  tombstones: Array<{ sessionKey: string; timestamp: string }>;
}
