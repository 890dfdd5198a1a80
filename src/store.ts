/**
 * The event store (DESIGN §5–6): an append-only log of events in IndexedDB,
 * one summary per session updated in the same transaction, group commit,
 * live subscriptions, and other tabs kept in step through the tab channel.
 *
 * Data flows one way: append → transaction → (committed) → live state →
 * subscribers, and the same path is taken by what other tabs commit.
 */
import { type IDBPDatabase, type IDBPTransaction, unwrap } from 'idb';
import { freeze } from 'immer';
import { HybridClock } from './clock.js';
import { EventStoreError, validationError } from './errors.js';
import {
  type AgentResponse,
  type AnyEvent,
  createEvent,
  type EventKind,
  type EventKindInput,
  isKnownKind,
  parseEvent,
  type SessionEvent,
} from './event.js';
import { randomOrigin } from './ids.js';
import { utf8Length } from './json.js';
import type { LineSource } from './jsonl.js';
import {
  applyEvent,
  emptyProjection,
  type Message,
  mergeProjections,
  messageOf,
  type Projection,
  project,
} from './projection.js';
import { compareCodePoints } from './reference.js';
import {
  type EventRecord,
  type MetaRecord,
  openDatabase,
  type SessionlogDB,
  type TombstoneRecord,
} from './schema.js';
import {
  type Draft,
  DraftManager,
  type DraftTiming,
  type StreamHandle,
  type StreamOptions,
} from './stream.js';
import {
  applyEventsToSummary,
  emptySummary,
  readSummary,
  type SessionSummary,
  summaryOf,
} from './summary.js';
import {
  type CommitMessage,
  type DeleteMessage,
  MAX_EVENTS_PER_MESSAGE,
  PROTOCOL_VERSION,
  parseTabMessage,
  TabChannel,
  type TabMessage,
} from './tab-channel.js';
import { formatTimestamp, normalizeTimestamp, parseTimestamp } from './timestamp.js';
import {
  type ExportOptions,
  exportEvents,
  type ImportOptions,
  type ImportResult,
  importEvents,
  type TransferHost,
} from './transfer.js';

/**
 * How hard a commit waits for the disk. `relaxed` (the default) resolves once
 * the browser has the data: a crash of the tab or the browser loses nothing
 * acknowledged, a power cut or OS crash may lose the last moments. `strict`
 * resolves after the data is flushed to disk (about 2× the per-transaction
 * cost, see docs/benchmarks.md); `flush()` gives that guarantee on demand.
 * Neither survives Chromium deleting a damaged database after a crash
 * (docs/durability.md).
 */
export type Durability = 'relaxed' | 'strict';

/** Options of {@link openEventStore}. */
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

/** Which page of messages {@link EventStore.getMessages} reads. */
export interface MessageQuery {
  /** Page size; default 50, at most 1000. */
  limit?: number;
  /** Messages strictly before this one (older page). */
  before?: Cursor;
  /** Messages strictly after this one (newer page). */
  after?: Cursor;
}

/** A page of messages, oldest first. */
export interface MessagePage {
  messages: Message[];
  /** Whether more messages exist beyond the page in the direction read. */
  hasMore: boolean;
}

/** A stored record that failed validation: skipped by reads and reported. */
export interface CorruptRecord {
  store: 'events' | 'sessions';
  key: string;
  error: EventStoreError;
}

/** Events a store emits through {@link EventStore.on}. */
export interface StoreEventMap {
  /** Another tab opened a newer version of the database: this store is closed. */
  versionchange: undefined;
  /** The store closed: by `close()`, a version change, or a lost connection that could not be reopened. */
  close: undefined;
  /** A stored record failed validation and was skipped. */
  corrupt: CorruptRecord;
  /** An error no caller could receive (a listener threw, a background catch-up failed). */
  error: EventStoreError;
}

type Listener<T> = (value: T) => void;

interface PendingAppend {
  events: AnyEvent[];
  durability: Durability;
  /** Draft records to delete in the same transaction (a finished stream). */
  clearDrafts?: string[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

interface WriteOutcome {
  /** One result per pending append, in order. */
  results: AppendResult[];
  /** The commit sequence, when anything was written. */
  seq: number | undefined;
  /** Post-commit summaries of the sessions that changed. */
  summaries: Map<string, SessionSummary>;
}

interface LiveSession {
  projection: Projection | undefined;
  listeners: Set<Listener<Projection>>;
  /** Bumped when the session is deleted, so a load started before is discarded. */
  epoch: number;
  /** Set while nobody listens: the timer that drops the live state after the grace period. */
  idle: ReturnType<typeof setTimeout> | undefined;
}

const READ_CLOCK = new HybridClock({ maxSkewMs: 1e15 }); // stored events: no skew bound
const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;
const WRITE_STORES = ['events', 'sessions', 'tombstones', 'meta', 'drafts'] as const;
// A deletion also writes its tombstone and the sequence, except under a full quota.
const DELETE_STORES = ['events', 'sessions', 'tombstones', 'meta', 'drafts'] as const;
type Db = IDBPDatabase<SessionlogDB>;
/** A tab message without its envelope (version, database token, sender), which #post adds. */
type PostedMessage = WithoutEnvelope<TabMessage>;
type WithoutEnvelope<M> = M extends TabMessage ? Omit<M, 'v' | 'db' | 'from'> : never;
type WriteTx = IDBPTransaction<SessionlogDB, typeof WRITE_STORES, 'readwrite'>;

/**
 * Runs `work` in `tx` and resolves after the transaction completes. If `work`
 * fails, the transaction is aborted (never left to auto-commit half of it) and
 * the transaction's own error (QuotaExceededError, say) wins over the
 * AbortErrors of its requests.
 */
async function atomically<
  T,
  Tx extends { done: Promise<void>; error: DOMException | null; abort(): void },
>(tx: Tx, work: (tx: Tx) => Promise<T>): Promise<T> {
  const done = tx.done;
  done.catch(() => {}); // awaited below; a failing request must not leave it unhandled
  try {
    const result = await work(tx);
    await done;
    return result;
  } catch (error) {
    const cause = tx.error ?? error;
    try {
      tx.abort();
    } catch {
      // already finished or aborted
    }
    throw cause;
  }
}

/** `globalThis.indexedDB`, or `undefined` where reading it throws (storage blocked for the page). */
function defaultFactory(): IDBFactory | undefined {
  try {
    return globalThis.indexedDB;
  } catch {
    return undefined;
  }
}

/** Maps what IndexedDB throws to a typed error; the original stays as `cause`. */
export function toStoreError(error: unknown): EventStoreError {
  if (error instanceof EventStoreError) return error;
  const name = (error as { name?: string } | null)?.name;
  const message = (error as { message?: string } | null)?.message ?? String(error);
  if (name === 'QuotaExceededError') {
    return new EventStoreError('quota', `storage quota exceeded: ${message}`, { cause: error });
  }
  if (name === 'VersionError') {
    return new EventStoreError('version_change', `database version changed: ${message}`, {
      cause: error,
    });
  }
  return new EventStoreError('storage', `IndexedDB failed: ${name ?? 'Error'}: ${message}`, {
    cause: error,
  });
}

const isConnectionClosing = (error: unknown) =>
  (error as { name?: string } | null)?.name === 'InvalidStateError';

function sessionRange(key: string): IDBKeyRange {
  // Arrays sort after strings in IndexedDB, so [key, []] bounds every [key, ts, id].
  return IDBKeyRange.bound([key], [key, []]);
}

function toRecord(event: AnyEvent, seq: number): EventRecord {
  const record: EventRecord = { ...event, seq };
  if (isKnownKind(event.kind) && messageOf(event as SessionEvent)) record.msg = 1;
  return record;
}

/** An event's size: its JSON in UTF-8 bytes. */
function byteSize(event: AnyEvent): number {
  return utf8Length(JSON.stringify(event));
}

function groupBySession(events: readonly AnyEvent[]): Map<string, AnyEvent[]> {
  const groups = new Map<string, AnyEvent[]>();
  for (const e of events) {
    const list = groups.get(e.session_key);
    if (list) list.push(e);
    else groups.set(e.session_key, [e]);
  }
  return groups;
}

function byRecentActivity(a: SessionSummary, b: SessionSummary): number {
  const x = a.lastActivity ?? '';
  const y = b.lastActivity ?? '';
  if (x !== y) return x < y ? 1 : -1;
  return compareCodePoints(a.sessionKey, b.sessionKey);
}

/**
 * Remembers the database's instance token in localStorage (which Chromium's
 * reset of a damaged IndexedDB leaves alone) and tells whether it differs from
 * the one remembered: then the database was deleted and made anew.
 */
function rememberInstance(name: string, instance: string): boolean {
  try {
    const storage = globalThis.localStorage;
    if (!storage) return false;
    const key = `sessionlog:${name}:instance`;
    const previous = storage.getItem(key);
    if (previous !== instance) storage.setItem(key, instance);
    return previous !== null && previous !== instance;
  } catch {
    return false; // storage disabled or full: nothing to compare with
  }
}

/**
 * Opens (creating if needed) the store. Rejects with `unavailable` where
 * IndexedDB is missing, `blocked` if an older connection in another tab does
 * not let the database upgrade, `version_change` if the database is newer.
 */
export async function openEventStore(options: OpenEventStoreOptions = {}): Promise<EventStore> {
  const store = new EventStore(options);
  await store.ready;
  return store;
}

/** The event store. Get one with {@link openEventStore}. */
export class EventStore {
  /** Database name. */
  readonly name: string;
  /** This store instance's replica id, hashed into the events it creates. */
  readonly origin = randomOrigin();
  /** The hybrid logical clock that stamps events created by this store. */
  readonly clock: HybridClock;
  /** Default durability of commits. */
  readonly durability: Durability;
  /** @internal resolves once the database is open. */
  readonly ready: Promise<void>;

  readonly #factory: IDBFactory | undefined;
  readonly #crossTab: boolean;
  #db: Db | undefined;
  #state: 'open' | 'closed' | 'version_change' = 'open';
  #instance = '';
  #wasReset = false;
  #channel: TabChannel | undefined;
  /** Between the page's `freeze` and `resume` events. */
  #frozen = false;
  readonly #emitter = new Map<keyof StoreEventMap, Set<Listener<never>>>();
  readonly #cleanups: Array<() => void> = [];
  readonly #drafts: DraftManager;

  // Group commit.
  #queue: PendingAppend[] = [];
  #draining: Promise<void> | undefined;

  // Live state, all consistent with commit #lastSeq. Changes run one at a time on #sync.
  #lastSeq = 0;
  #sync: Promise<void> = Promise.resolve();
  readonly #live = new Map<string, LiveSession>();
  readonly #liveGraceMs: number;
  #summaries: Map<string, SessionSummary> | undefined;
  #summariesSnapshot: readonly SessionSummary[] | undefined;
  readonly #sessionListeners = new Set<Listener<readonly SessionSummary[]>>();

  /** @internal use {@link openEventStore}. */
  constructor(options: OpenEventStoreOptions = {}) {
    this.name = options.name ?? 'sessionlog';
    this.durability = options.durability ?? 'relaxed';
    this.clock = new HybridClock(options.now ? { now: options.now } : {});
    this.#factory = 'indexedDB' in options ? options.indexedDB : defaultFactory();
    this.#crossTab = (options.crossTab ?? true) && typeof BroadcastChannel !== 'undefined';
    this.#liveGraceMs = options.liveGraceMs ?? 5000;
    this.#drafts = new DraftManager(
      {
        origin: this.origin,
        name: this.name,
        run: (work) => this.#run(work),
        post: (draft) => this.#post({ type: 'draft', draft }),
        commit: async (draft, tokens, parts) => {
          const kind: AgentResponse = {
            type: 'agent_response',
            content: draft.text,
            model: draft.model,
            tokens,
          };
          // Absent fields stay absent: a plain reply is the reference's event.
          if (draft.parentId !== undefined) kind.parent_id = draft.parentId;
          if (parts && parts.length > 0) kind.parts = parts;
          const event = createEvent(draft.sessionKey, draft.agentId, kind, {
            clock: this.clock,
            origin: this.origin,
          });
          await this.#append(event, this.durability, [draft.id]);
          return event;
        },
        reportError: (error) => this.#emit('error', toStoreError(error)),
      },
      options.drafts,
    );
    this.ready = this.#open();
  }

  async #open(): Promise<void> {
    const db = await this.#connect();
    let meta: MetaRecord | undefined;
    let cause: unknown;
    try {
      meta = (await db.get('meta', 'state')) as MetaRecord | undefined;
    } catch (error) {
      cause = error; // e.g. NotFoundError: a database of this name made by other code
    }
    if (typeof meta?.seq !== 'number' || typeof meta.instance !== 'string') {
      db.close();
      this.#db = undefined;
      throw new EventStoreError(
        'storage',
        `database "${this.name}" is not a sessionlog database (its meta state is missing or damaged)`,
        { cause },
      );
    }
    this.#instance = meta.instance;
    this.#lastSeq = meta.seq;
    this.#wasReset = rememberInstance(this.name, meta.instance);
    if (this.#crossTab) {
      this.#channel = new TabChannel(
        `sessionlog:${this.name}`,
        (data) => parseTabMessage(data, this.#instance, this.clock),
        (message) => this.#receive(message),
      );
      this.#watchPageLifecycle();
    }
  }

  async #connect(): Promise<Db> {
    const db = await openDatabase(this.#factory, this.name, {
      onVersionChange: () => this.#onVersionChange(),
      onTerminated: () => {
        this.#db = undefined; // reopened on next use
      },
    });
    this.#db = db;
    return db;
  }

  // A page coming back (bfcache, unfrozen, visible again) may have missed messages.
  #watchPageLifecycle(): void {
    if (typeof window === 'undefined' || typeof document === 'undefined') return;
    // A page resumed from freezing may still be hidden (a background tab): catch up anyway.
    const catchUp = () => {
      if (this.#state === 'open')
        this.#schedule(async () => {
          await this.#catchUp();
        });
    };
    const onVisibility = () => {
      if (document.visibilityState === 'visible') catchUp();
    };
    // A frozen page still receives channel messages but its IndexedDB requests
    // do not complete: a read started then would hold its locks, and block the
    // writes of every other tab, until the page resumes. So nothing is read
    // while frozen, and everything missed is read on `resume`.
    const onFreeze = () => {
      this.#frozen = true;
    };
    const onResume = () => {
      this.#frozen = false;
      catchUp();
    };
    window.addEventListener('pageshow', catchUp);
    document.addEventListener('visibilitychange', onVisibility);
    document.addEventListener('freeze', onFreeze);
    document.addEventListener('resume', onResume);
    this.#cleanups.push(() => {
      window.removeEventListener('pageshow', catchUp);
      document.removeEventListener('visibilitychange', onVisibility);
      document.removeEventListener('freeze', onFreeze);
      document.removeEventListener('resume', onResume);
    });
  }

  #onVersionChange(): void {
    if (this.#state !== 'open') return;
    this.#state = 'version_change';
    this.#drafts.close();
    this.#db?.close();
    this.#db = undefined;
    this.#teardown();
    this.#emit('versionchange', undefined);
    this.#emit('close', undefined);
  }

  #teardown(): void {
    this.#channel?.close();
    this.#channel = undefined;
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
    const error = this.#unusable();
    for (const pending of this.#queue.splice(0)) pending.reject(error);
  }

  #unusable(): EventStoreError {
    return this.#state === 'version_change'
      ? new EventStoreError(
          'version_change',
          `database "${this.name}" was upgraded or deleted by another tab; reopen the store`,
        )
      : new EventStoreError('closed', `store "${this.name}" is closed`);
  }

  async #database(): Promise<Db> {
    await this.ready;
    if (this.#state !== 'open') throw this.#unusable();
    if (this.#db) return this.#db;
    try {
      return await this.#connect();
    } catch (cause) {
      throw new EventStoreError(
        'storage',
        `the connection to "${this.name}" was lost and could not be reopened`,
        { cause },
      );
    }
  }

  /** Runs `work` on the database; a connection the browser closed is reopened once. */
  async #run<T>(work: (db: Db) => Promise<T>): Promise<T> {
    const db = await this.#database();
    try {
      return await work(db);
    } catch (error) {
      if (!isConnectionClosing(error) || this.#state !== 'open') throw toStoreError(error);
      if (this.#db === db) this.#db = undefined;
      try {
        return await work(await this.#database());
      } catch (retryError) {
        throw toStoreError(retryError);
      }
    }
  }

  // ---------------------------------------------------------------- events

  /** Subscribes to store events; returns the unsubscribe function. */
  on<K extends keyof StoreEventMap>(type: K, listener: Listener<StoreEventMap[K]>): () => void {
    let set = this.#emitter.get(type);
    if (!set) {
      set = new Set();
      this.#emitter.set(type, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  #emit<K extends keyof StoreEventMap>(type: K, value: StoreEventMap[K]): void {
    for (const listener of this.#emitter.get(type) ?? []) {
      try {
        (listener as Listener<StoreEventMap[K]>)(value);
      } catch (error) {
        if (type !== 'error') this.#emit('error', toStoreError(error));
      }
    }
  }

  /** Messages seen on the tab channel, and how many were ignored as invalid. */
  get channelStats(): { received: number; ignored: number; lastIgnored: string | null } {
    return this.#channel
      ? { ...this.#channel.stats }
      : { received: 0, ignored: 0, lastIgnored: null };
  }

  /**
   * Whether this database replaced one this origin had before: it was deleted
   * since a store last opened it here (Chromium deletes a damaged database
   * after a crash; other code may delete it). Data may be missing: restore
   * from an export. Known only where `localStorage` works; `false` elsewhere.
   */
  get wasReset(): boolean {
    return this.#wasReset;
  }

  /** Whether the store can still be used. */
  get closed(): boolean {
    return this.#state !== 'open';
  }

  // ---------------------------------------------------------------- writing

  /**
   * Validates and stores events. Events already stored are successful no-ops;
   * appends issued in the same tick share one transaction (group commit) and
   * each promise resolves after that transaction completes. One invalid event
   * rejects the call with a `validation` error naming its index and field,
   * and writes nothing of it.
   */
  append(
    input: AnyEvent | readonly AnyEvent[],
    options: { durability?: Durability } = {},
  ): Promise<AppendResult> {
    return this.#append(input, options.durability ?? this.durability, undefined);
  }

  #append(
    input: AnyEvent | readonly AnyEvent[],
    durability: Durability,
    clearDrafts: string[] | undefined,
  ): Promise<AppendResult> {
    if (this.#state !== 'open') return Promise.reject(this.#unusable());
    let events: AnyEvent[];
    try {
      events = this.#validate(input);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#observeLatest(events);
    return new Promise((resolve, reject) => {
      this.#queue.push({
        events,
        durability,
        resolve,
        reject,
        ...(clearDrafts ? { clearDrafts } : {}),
      });
      this.#drainSoon();
    });
  }

  #validate(input: AnyEvent | readonly AnyEvent[]): AnyEvent[] {
    const list = Array.isArray(input) ? input : [input];
    if (list.length === 0) return [];
    return list.map((value, index) => {
      try {
        return parseEvent(value, { allowUnknownKinds: true, clock: this.clock });
      } catch (error) {
        if (!(error instanceof EventStoreError) || !Array.isArray(input)) throw error;
        throw new EventStoreError('validation', `events[${index}].${error.message}`, {
          field: error.field,
          index,
        });
      }
    });
  }

  // Normalized timestamps sort as text: observing the latest one is enough.
  #observeLatest(events: readonly AnyEvent[]): void {
    let latest = '';
    for (const e of events) if (e.timestamp > latest) latest = e.timestamp;
    if (latest) this.clock.observe(latest);
  }

  /** Creates an event with the store's clock and origin, and appends it. */
  async record<K extends EventKindInput>(
    sessionKey: string,
    agentId: string,
    kind: K,
  ): Promise<SessionEvent<Extract<EventKind, { type: K['type'] }>>> {
    if (this.#state !== 'open') throw this.#unusable();
    const event = createEvent(sessionKey, agentId, kind, {
      clock: this.clock,
      origin: this.origin,
    });
    await this.append(event);
    return event;
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
    let outcome: WriteOutcome;
    try {
      outcome = await this.#run((db) => this.#write(db, batch, durability));
    } catch (error) {
      for (const pending of batch) pending.reject(error);
      return;
    }
    for (const [i, pending] of batch.entries()) pending.resolve(outcome.results[i]!);
    if (outcome.seq !== undefined) {
      const events = outcome.results.flatMap((r) => r.added);
      this.#post({
        type: 'commit',
        seq: outcome.seq,
        ...(events.length <= MAX_EVENTS_PER_MESSAGE ? { events } : {}),
      });
      this.#schedule(() => this.#applyCommit(outcome.seq!, events, outcome.summaries));
    }
  }

  /** One readwrite transaction: dedupe, tombstone check, events, summaries, sequence. */
  #write(db: Db, batch: PendingAppend[], durability: Durability): Promise<WriteOutcome> {
    return atomically(db.transaction(WRITE_STORES, 'readwrite', { durability }), (tx) =>
      this.#writeIn(tx, batch),
    );
  }

  async #writeIn(tx: WriteTx, batch: PendingAppend[]): Promise<WriteOutcome> {
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
        const s = stored[i] === undefined ? undefined : this.#checkSummary(stored[i], k);
        if (s) before.set(k, s);
        else if (stored[i] !== undefined && adding.has(k))
          before.set(k, await this.#rebuild(tx, k));
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
          summary
            ? tx.objectStore('sessions').put(summary)
            : tx.objectStore('sessions').delete(key),
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
    return { results, seq: added.length > 0 ? seq : undefined, summaries };
  }

  /** The record if it is a valid summary of `key`; else reports it as corrupt. */
  #checkSummary(value: unknown, key: string): SessionSummary | undefined {
    const summary = readSummary(value, key);
    if (summary) return summary;
    const error = new EventStoreError(
      'serialization',
      `session summary of "${key}" has a bad shape`,
    );
    this.#emit('corrupt', { store: 'sessions', key, error });
    return undefined;
  }

  /** The summary of a session computed from its stored events (read before this commit's adds). */
  async #rebuild(tx: WriteTx, key: string): Promise<SessionSummary> {
    const records = await tx.objectStore('events').index('session').getAll(sessionRange(key));
    const events = this.#decodeAll(records);
    const bytes = events.reduce((sum, e) => sum + byteSize(e), 0);
    return summaryOf(project(events, key), events.length, bytes);
  }

  /**
   * Deletes a session: its events, summary and drafts go in one transaction,
   * and a tombstone stays. Events of the session with a timestamp at or before
   * the deletion (an import, a late tab, a future sync) are dropped from then
   * on; newer events, made after the deletion was seen, start the session anew.
   * When the storage quota is full, the session's data is removed first and
   * the tombstone written after, so deleting sessions frees space; if the
   * tombstone still does not fit, the data is gone and the call rejects `quota`.
   */
  async deleteSession(sessionKey: string): Promise<void> {
    if (typeof sessionKey !== 'string' || sessionKey === '') {
      throw validationError('sessionKey', 'must be a non-empty string');
    }
    await this.#flushQueue();
    // Last activity of a session whose space had to be freed first (see below).
    let freed: string | undefined;
    const remove = (db: Db) =>
      atomically(
        db.transaction(DELETE_STORES, 'readwrite', { durability: this.durability }),
        async (tx) => {
          const [meta, last] = await Promise.all([
            tx.objectStore('meta').get('state') as Promise<MetaRecord>,
            deleteSessionData(tx, sessionKey),
          ]);
          // Later than every event this tab has seen and every event of the session.
          let ns = parseTimestamp(this.clock.next());
          for (const activity of [last, freed]) {
            const after = activity ? parseTimestamp(activity) + 1n : 0n;
            if (after > ns) ns = after;
          }
          const record: TombstoneRecord = {
            sessionKey,
            timestamp: formatTimestamp(ns),
            seq: meta.seq + 1,
          };
          await Promise.all([
            tx.objectStore('tombstones').put(record),
            tx.objectStore('meta').put({ ...meta, seq: record.seq }, 'state'),
          ]);
          return record;
        },
      );
    let tombstone: TombstoneRecord;
    try {
      tombstone = await this.#run(remove);
    } catch (error) {
      if (!(error instanceof EventStoreError) || error.code !== 'quota') throw error;
      // A full quota refuses every transaction that writes anything, the
      // tombstone included, but not one that only deletes: free the session's
      // space first (events, summary and drafts together, so no summary is left
      // without its events), then record the deletion.
      freed = await this.#run((db) =>
        atomically(
          db.transaction(DELETE_STORES, 'readwrite', { durability: this.durability }),
          (tx) => deleteSessionData(tx, sessionKey),
        ),
      );
      tombstone = await this.#run(remove);
    }
    this.#post({ type: 'delete', ...tombstone });
    this.#schedule(() => this.#applyDelete(tombstone.seq, sessionKey));
    await this.#sync;
  }

  async #flushQueue(): Promise<void> {
    while (this.#draining) await this.#draining;
  }

  /**
   * Resolves once everything appended before the call is on disk: it waits
   * for pending commits, then runs a strict-durability transaction (which
   * makes the browser flush its log, earlier relaxed commits included).
   */
  async flush(): Promise<void> {
    await this.#flushQueue();
    await this.#run((db) =>
      atomically(db.transaction('meta', 'readwrite', { durability: 'strict' }), async (tx) => {
        const meta = (await tx.store.get('state')) as MetaRecord;
        await tx.store.put(meta, 'state');
      }),
    );
  }

  /**
   * Closes the store after pending commits settle. Later calls reject with
   * `closed`; listeners and the tab channel are removed.
   */
  async close(): Promise<void> {
    if (this.#state !== 'open') return;
    await this.ready.catch(() => {});
    await this.#flushQueue();
    await this.#sync;
    this.#state = 'closed';
    this.#drafts.close();
    this.#teardown();
    this.#db?.close();
    this.#db = undefined;
    for (const live of this.#live.values()) clearTimeout(live.idle);
    this.#live.clear();
    this.#sessionListeners.clear();
    this.#emit('close', undefined);
  }

  // ---------------------------------------------------------------- reading

  #decode(record: EventRecord): AnyEvent | undefined {
    const { seq: _seq, msg: _msg, ...event } = record;
    try {
      return parseEvent(event, { allowUnknownKinds: true, clock: READ_CLOCK });
    } catch (error) {
      const key = typeof record?.id === 'string' ? record.id : String(record?.id);
      this.#emit('corrupt', { store: 'events', key, error: toStoreError(error) });
      return undefined;
    }
  }

  #decodeAll(records: EventRecord[]): AnyEvent[] {
    const out: AnyEvent[] = [];
    for (const r of records) {
      const e = this.#decode(r);
      if (e) out.push(e);
    }
    return out;
  }

  /** All events of a session in (timestamp, id) order; corrupt records are skipped and reported. */
  async getEvents(sessionKey: string): Promise<AnyEvent[]> {
    const records = await this.#run((db) =>
      db.getAllFromIndex('events', 'session', sessionRange(sessionKey)),
    );
    return this.#decodeAll(records);
  }

  /** Events of a session with a timestamp strictly after `since` (RFC 3339), in order. */
  async getEventsSince(sessionKey: string, since: string): Promise<AnyEvent[]> {
    const from = normalizeTimestamp(since, 'since');
    const range = IDBKeyRange.bound([sessionKey, from, []], [sessionKey, []], true);
    const records = await this.#run((db) => db.getAllFromIndex('events', 'session', range));
    return this.#decodeAll(records);
  }

  /** The full projection of a session; rejects with `not_found` for a session with no events. */
  async getProjection(sessionKey: string): Promise<Projection> {
    const events = await this.getEvents(sessionKey);
    if (events.length === 0) {
      throw new EventStoreError('not_found', `session "${sessionKey}" not found`);
    }
    return project(events, sessionKey);
  }

  /** Session keys in byte (code point) order, as the reference lists them. */
  async listSessions(): Promise<string[]> {
    const keys = await this.#run((db) => db.getAllKeys('sessions'));
    return keys.sort(compareCodePoints);
  }

  /** The summary of a session (no messages), or `undefined`. */
  async getSummary(sessionKey: string): Promise<SessionSummary | undefined> {
    const value = await this.#run((db) => db.get('sessions', sessionKey));
    return value === undefined ? undefined : this.#checkSummary(value, sessionKey);
  }

  /** Every session's summary, most recent activity first: a sidebar without reading a message. */
  async listSummaries(): Promise<SessionSummary[]> {
    const all = await this.#run((db) => db.getAll('sessions'));
    return all
      .map((s) => this.#checkSummary(s, (s as { sessionKey?: string })?.sessionKey ?? ''))
      .filter((s): s is SessionSummary => s !== undefined)
      .sort(byRecentActivity);
  }

  /**
   * A page of messages read through the message index: the latest `limit` by
   * default, or those just before/after a cursor. Its cost depends on the page
   * size, not on the session's length.
   */
  async getMessages(sessionKey: string, query: MessageQuery = {}): Promise<MessagePage> {
    const limit = query.limit ?? DEFAULT_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw validationError('limit', `must be an integer from 1 to ${MAX_PAGE}`);
    }
    if (query.before && query.after)
      throw validationError('before', 'cannot be combined with after');
    // A cursor is a message or any { timestamp, id }; its timestamp may be in a short form.
    const cursorKey = (side: 'before' | 'after'): [string, string] | undefined => {
      const cursor = query[side];
      if (cursor === undefined || cursor === null) return undefined;
      if (typeof cursor !== 'object' || typeof cursor.id !== 'string')
        throw validationError(side, 'must be a message or a { timestamp, id } cursor');
      return [normalizeTimestamp(cursor.timestamp, `${side}.timestamp`), cursor.id];
    };
    const afterAt = cursorKey('after');
    const beforeAt = cursorKey('before');
    const low: unknown[] = afterAt ? [sessionKey, 1, ...afterAt] : [sessionKey, 1];
    const high: unknown[] = beforeAt ? [sessionKey, 1, ...beforeAt] : [sessionKey, 1, []];
    const forward = Boolean(query.after);
    let range = IDBKeyRange.bound(low, high, Boolean(query.after), Boolean(query.before));
    const messages: Message[] = [];
    let hasMore: boolean;
    // Corrupt records are skipped, so read on past them until the page is full.
    for (;;) {
      const need = limit - messages.length;
      const records = await this.#run((db) =>
        readMessageIndex(db, range, forward ? 'next' : 'prev', need + 1),
      );
      hasMore = records.length > need;
      const page = records.slice(0, need);
      for (const record of page) {
        const event = this.#decode(record);
        const message = event && isKnownKind(event.kind) ? messageOf(event as SessionEvent) : null;
        if (message) messages.push(message);
      }
      if (!hasMore || messages.length === limit) break;
      const last = page[page.length - 1]!;
      const at = [sessionKey, 1, last.timestamp, last.id];
      range = forward
        ? IDBKeyRange.bound(at, high, true, Boolean(query.before))
        : IDBKeyRange.bound(low, at, Boolean(query.after), true);
    }
    if (!forward) messages.reverse();
    return { messages, hasMore };
  }

  // ---------------------------------------------------------------- export / import

  /**
   * The events as JSON Lines (one event and a newline per chunk), sessions in
   * byte order and events in (timestamp, id) order, read page by page so a
   * large store streams. `format: 'reference'` writes the Rust reference's form.
   */
  exportEvents(options: ExportOptions = {}): ReadableStream<string> {
    return exportEvents(this.#transferHost, options);
  }

  /**
   * Imports JSON Lines of events (this library's form or the reference's).
   * Idempotent: stored events are counted as duplicates. Commits in batches.
   * See {@link ImportOptions.onInvalid} for what happens to bad lines; a bad
   * line is named by its line number.
   */
  importEvents(source: LineSource, options: ImportOptions = {}): Promise<ImportResult> {
    return importEvents(this.#transferHost, source, options);
  }

  readonly #transferHost: TransferHost = {
    listSessions: () => this.listSessions(),
    readEvents: async (sessionKey, after, count) => {
      const range = after
        ? IDBKeyRange.bound([sessionKey, after.timestamp, after.id], [sessionKey, []], true)
        : sessionRange(sessionKey);
      const records = await this.#run((db) =>
        db.getAllFromIndex('events', 'session', range, count),
      );
      const last = records[records.length - 1];
      return {
        events: this.#decodeAll(records),
        last: last && { timestamp: last.timestamp, id: last.id },
      };
    },
    append: (events) => this.append(events),
    parse: (value) => parseEvent(value, { allowUnknownKinds: true, clock: this.clock }),
  };

  // ---------------------------------------------------------------- live state

  /**
   * Calls `listener` with the session's projection whenever it changes, in
   * this tab or any other; returns the unsubscribe function. Pair it with
   * {@link getSnapshot} for React's `useSyncExternalStore`.
   */
  subscribe(sessionKey: string, listener: Listener<Projection>): () => void {
    let live = this.#live.get(sessionKey);
    if (!live) {
      live = { projection: undefined, listeners: new Set(), epoch: 0, idle: undefined };
      this.#live.set(sessionKey, live);
      this.#load(sessionKey, live);
    }
    clearTimeout(live.idle);
    live.idle = undefined;
    live.listeners.add(listener);
    const current = live;
    return () => {
      if (!current.listeners.delete(listener) || current.listeners.size > 0) return;
      // Kept up to date for a grace period, so a resubscribe (React's) finds it as it was.
      current.idle = setTimeout(() => {
        if (current.listeners.size === 0 && this.#live.get(sessionKey) === current)
          this.#live.delete(sessionKey);
      }, this.#liveGraceMs);
    };
  }

  /**
   * The current projection of a subscribed session, synchronously: `undefined`
   * until it has loaded (or when nobody has subscribed for a grace period), the same object until it
   * changes. A session without events has an empty projection.
   */
  getSnapshot(sessionKey: string): Projection | undefined {
    return this.#live.get(sessionKey)?.projection;
  }

  /** Calls `listener` with all session summaries (most recent first) whenever any changes. */
  subscribeSessions(listener: Listener<readonly SessionSummary[]>): () => void {
    this.#sessionListeners.add(listener);
    if (this.#summaries === undefined)
      this.#schedule(async () => {
        await this.#catchUp(true);
      });
    return () => this.#sessionListeners.delete(listener);
  }

  /** The current summaries, synchronously: `undefined` until loaded. */
  getSessionsSnapshot(): readonly SessionSummary[] | undefined {
    return this.#summariesSnapshot;
  }

  #load(sessionKey: string, live: LiveSession): void {
    const epoch = live.epoch;
    this.#schedule(async () => {
      await this.#catchUp();
      const events = await this.getEvents(sessionKey);
      if (live.epoch !== epoch || this.#live.get(sessionKey) !== live) return;
      const loaded = project(events, sessionKey);
      this.#setProjection(
        live,
        live.projection ? mergeProjections(loaded, live.projection) : loaded,
      );
    });
  }

  #setProjection(live: LiveSession, projection: Projection): void {
    if (live.projection === projection) return;
    live.projection = projection;
    for (const listener of live.listeners) this.#call(listener, projection);
  }

  #call<T>(listener: Listener<T>, value: T): void {
    try {
      listener(value);
    } catch (error) {
      this.#emit('error', toStoreError(error));
    }
  }

  #publishSummaries(): void {
    if (!this.#summaries) return;
    this.#summariesSnapshot = Object.freeze([...this.#summaries.values()].sort(byRecentActivity));
    for (const listener of this.#sessionListeners) this.#call(listener, this.#summariesSnapshot);
  }

  /** Runs live-state changes one at a time, in order. */
  #schedule(job: () => Promise<void> | void): void {
    this.#sync = this.#sync.then(job).catch((error) => this.#emit('error', toStoreError(error)));
  }

  #receive(message: TabMessage): void {
    if (message.from === this.origin) {
      // A channel never delivers a store's own posts back to it: this one is forged.
      this.#channel?.ignore("sent in this store's name");
    } else if (message.type === 'draft') this.#drafts.receive(message);
    else this.#schedule(() => this.#applyRemote(message));
  }

  /**
   * A commit or deletion announced by another tab. The message is a hint, not
   * the data: what it announces is read from the log, with anything missed
   * before it, so a forged message can neither add nor remove anything nor
   * take the sequence number of a real commit. A message the log contradicts
   * is counted as ignored.
   */
  async #applyRemote(message: CommitMessage | DeleteMessage): Promise<void> {
    if (message.seq <= this.#lastSeq) return; // already read from the log
    const read = await this.#catchUp();
    const reason = read && contradiction(message, read);
    if (reason) this.#channel?.ignore(reason);
  }

  /** Posts to the other tabs, in the envelope that tells them it is this database's. */
  #post(message: PostedMessage): void {
    this.#channel?.post({
      v: PROTOCOL_VERSION,
      db: this.#instance,
      from: this.origin,
      ...message,
    } as TabMessage);
  }

  // ---------------------------------------------------------------- streaming

  /**
   * Starts streaming a reply into a session. Pushed text reaches other tabs
   * live and is checkpointed to IndexedDB; `done` commits it as one
   * agent_response event. See {@link StreamHandle}.
   */
  stream(sessionKey: string, options: StreamOptions): StreamHandle {
    if (this.#state !== 'open') throw this.#unusable();
    return this.#drafts.start(sessionKey, options);
  }

  /** Continues an interrupted draft (left by a crashed or reloaded tab) with its text. */
  resumeDraft(draftId: string): Promise<StreamHandle> {
    return this.#drafts.resume(draftId);
  }

  /** Deletes a draft everywhere (e.g. an interrupted one the user does not want). */
  discardDraft(draftId: string): Promise<void> {
    return this.#drafts.discard(draftId);
  }

  /** Calls `listener` with the session's drafts (streaming or interrupted) whenever they change. */
  subscribeDrafts(sessionKey: string, listener: (drafts: readonly Draft[]) => void): () => void {
    return this.#drafts.subscribe(sessionKey, listener);
  }

  /** The session's drafts, synchronously; the same array until one changes. */
  getDraftsSnapshot(sessionKey: string): readonly Draft[] {
    return this.#drafts.getSnapshot(sessionKey);
  }

  /** The session's drafts read from storage: streaming in any tab, or interrupted. */
  loadDrafts(sessionKey: string): Promise<readonly Draft[]> {
    return this.#drafts.load(sessionKey);
  }

  /** Stored drafts of any session whose writer is gone: what to offer to resume after a crash. */
  listInterruptedDrafts(): Promise<Draft[]> {
    return this.#drafts.listInterrupted();
  }

  /**
   * Applies this store's own commit `seq` to the live state: straight from the
   * transaction when it is the next commit, from the log when another tab
   * committed in between.
   */
  async #applyCommit(
    seq: number,
    events: AnyEvent[],
    summaries: Map<string, SessionSummary>,
  ): Promise<void> {
    if (seq <= this.#lastSeq) return;
    if (seq !== this.#lastSeq + 1) {
      await this.#catchUp(); // another tab committed in between: read it all from the log
      return;
    }
    this.#lastSeq = seq;
    for (const [key, group] of groupBySession(events)) {
      const live = this.#live.get(key);
      if (live?.projection) {
        let p = live.projection;
        for (const e of group) p = applyEvent(p, e);
        this.#setProjection(live, p);
      }
      const summary = summaries.get(key);
      if (this.#summaries && summary) this.#summaries.set(key, summary);
    }
    this.#publishSummaries();
  }

  async #applyDelete(seq: number, sessionKey: string): Promise<void> {
    if (seq <= this.#lastSeq) return;
    if (seq !== this.#lastSeq + 1) {
      await this.#catchUp();
      return;
    }
    this.#lastSeq = seq;
    this.#forget(sessionKey);
    this.#publishSummaries();
  }

  #forget(sessionKey: string): void {
    this.#drafts.forgetSession(sessionKey);
    const live = this.#live.get(sessionKey);
    if (live) {
      live.epoch++;
      this.#setProjection(live, emptyProjection(sessionKey));
    }
    this.#summaries?.delete(sessionKey);
  }

  /**
   * Reads from the log what was committed since `#lastSeq` (events and
   * deletions, in one transaction with the sequence) and applies it. With
   * `loadSummaries`, loads every summary in the same transaction.
   */
  async #catchUp(loadSummaries = false): Promise<LogRead | undefined> {
    if (this.#state !== 'open' || this.#frozen) return undefined;
    const from = this.#lastSeq;
    const loadAll = loadSummaries && this.#summaries === undefined;
    const read = await this.#run(async (db) => {
      const tx = db.transaction(['events', 'tombstones', 'sessions', 'meta'], 'readonly');
      const meta = (await tx.objectStore('meta').get('state')) as MetaRecord;
      if (meta.seq <= from && !loadAll) return { meta, records: [], tombstones: [], summaries: [] };
      const range = meta.seq > from ? IDBKeyRange.bound(from, meta.seq, true, false) : undefined;
      const [records, tombstones] = range
        ? await Promise.all([
            tx.objectStore('events').index('seq').getAll(range),
            tx.objectStore('tombstones').index('seq').getAll(range),
          ])
        : [[], []];
      // [key, summary or undefined when the session is gone]
      let summaries: Array<[string, SessionSummary | undefined]> = [];
      if (loadAll) {
        summaries = (await tx.objectStore('sessions').getAll()).map((s) => [
          s.sessionKey,
          this.#checkSummary(s, s?.sessionKey),
        ]);
      } else if (this.#summaries) {
        const keys = new Set([
          ...records.map((r) => r.session_key),
          ...tombstones.map((t) => t.sessionKey),
        ]);
        summaries = await Promise.all(
          [...keys].map(
            async (k): Promise<[string, SessionSummary | undefined]> => [
              k,
              await tx
                .objectStore('sessions')
                .get(k)
                .then((v) => (v === undefined ? undefined : this.#checkSummary(v, k))),
            ],
          ),
        );
      }
      return { meta, records, tombstones, summaries };
    });
    if (read.meta.seq > this.#lastSeq) this.#lastSeq = read.meta.seq;
    for (const t of read.tombstones) {
      this.clock.observe(t.timestamp); // so what this tab records next is newer than the deletion
      this.#forget(t.sessionKey);
    }
    const events = this.#decodeAll(read.records);
    this.#observeLatest(events);
    const reload = new Set(read.tombstones.map((t) => t.sessionKey));
    for (const [key, group] of groupBySession(events)) {
      const live = this.#live.get(key);
      if (!live) continue;
      if (reload.has(key)) this.#load(key, live);
      else if (live.projection) {
        let p = live.projection;
        for (const e of group) p = applyEvent(p, e);
        this.#setProjection(live, p);
      }
    }
    if (loadAll) this.#summaries = new Map();
    if (this.#summaries) {
      for (const [key, summary] of read.summaries) {
        // Read from IndexedDB, so not yet frozen: snapshots handed to subscribers must be.
        if (summary) this.#summaries.set(key, freeze(summary, true));
        else this.#summaries.delete(key);
      }
      this.#publishSummaries();
    }
    return read;
  }
}

/** What a catch-up read from the log: everything committed after the tab's last sequence. */
interface LogRead {
  meta: MetaRecord;
  records: EventRecord[];
  tombstones: TombstoneRecord[];
}

type Outcome = keyof AppendResult;

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

/**
 * Deletes a session's events, summary and drafts in `tx` (one round trip of
 * reads, one of deletes); resolves to the session's last activity, if any.
 */
async function deleteSessionData(
  tx: IDBPTransaction<SessionlogDB, typeof DELETE_STORES, 'readwrite'>,
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

/** Why the log contradicts a message announcing a commit or deletion, if it does. */
function contradiction(message: CommitMessage | DeleteMessage, read: LogRead): string | undefined {
  const { seq } = message;
  if (seq > read.meta.seq) return `${message.type} ${seq} is not in the log (at ${read.meta.seq})`;
  // Sessions deleted after `seq`: their events of `seq` are gone from the log, legitimately.
  const deletedLater = new Set(read.tombstones.filter((t) => t.seq > seq).map((t) => t.sessionKey));
  if (message.type === 'delete') {
    const deleted = read.tombstones.some(
      (t) => t.sessionKey === message.sessionKey && t.seq >= seq,
    );
    return deleted ? undefined : `delete ${seq} is not in the log`;
  }
  if (!message.events) return undefined; // a large commit announced without its events
  const stored = new Set(read.records.filter((r) => r.seq === seq).map((r) => r.id));
  const forged = message.events.some((e) => !stored.has(e.id) && !deletedLater.has(e.session_key));
  return forged ? `commit ${seq} does not match the log` : undefined;
}

/** Reads up to `count` records of the message index in one direction. */
async function readMessageIndex(
  db: Db,
  range: IDBKeyRange,
  direction: 'next' | 'prev',
  count: number,
): Promise<EventRecord[]> {
  const tx = db.transaction('events', 'readonly');
  const index = unwrap(tx.store.index('message')) as IDBIndex & {
    getAllRecords?: (options: {
      query: IDBKeyRange;
      count: number;
      direction: IDBCursorDirection;
    }) => IDBRequest<Array<{ value: EventRecord }>>;
  };
  if (direction === 'next') return tx.store.index('message').getAll(range, count);
  if (typeof index.getAllRecords === 'function') {
    // One request for a reverse page (Chromium 141+), instead of a cursor step per record.
    const request = index.getAllRecords({ query: range, count, direction });
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result.map((r) => r.value));
      request.onerror = () => reject(request.error);
    });
  }
  const out: EventRecord[] = [];
  let cursor = await tx.store.index('message').openCursor(range, 'prev');
  while (cursor && out.length < count) {
    out.push(cursor.value);
    cursor = await cursor.continue();
  }
  return out;
}
