/**
 * The event store (docs/design.md §5–7): the public API over parts that do not
 * know each other (docs/design.md §10). The façade only wires
 * them: an append goes to the committer, which writes it in one IndexedDB
 * transaction and hands the commit to live state (subscribers) and tab sync
 * (other tabs); another tab's message goes through tab sync to a read of the
 * log and from there to live state.
 */
import { HybridClock } from './clock.js';
import { EventStoreError, validationError } from './errors.js';
import {
  type AnyEvent,
  createEvent,
  type EventKind,
  type EventKindInput,
  parseEvent,
  type SessionEvent,
} from './event.js';
import { randomOrigin } from './ids.js';
import { destroyEventStore } from './journal/destroy.js';
import type { JournalCheck, JournalStatus, RestoreReport } from './journal/journal.js';
import { JournalLink } from './journal/link.js';
import { type Projection, project } from './projection.js';
import type { MetaRecord } from './schema.js';
import { type BranchHost, edit, regenerate, setHead } from './store/branches.js';
import { Committer } from './store/committer.js';
import { Connection, defaultFactory, toStoreError } from './store/connection.js';
import { type Listener, Listeners } from './store/listeners.js';
import { LiveState } from './store/live-state.js';
import { LogReader } from './store/log.js';
import { PageLifecycle } from './store/page-lifecycle.js';
import { TabSync } from './store/tab-sync.js';
import type {
  AppendResult,
  DeleteOptions,
  Durability,
  MessagePage,
  MessageQuery,
  OpenEventStoreOptions,
  RecordOptions,
  StoreEventMap,
} from './store/types.js';
import { type Draft, DraftManager, type StreamHandle, type StreamOptions } from './stream.js';
import type { SessionSummary } from './summary.js';
import type { ChannelStats } from './tab-channel.js';
import { normalizeTimestamp } from './timestamp.js';
import type { TransferHost } from './transfer.js';

// What the subpaths (transfer, chat UIs) read and write through: the store's log reads, kept off its API.
const transferHosts = new WeakMap<EventStore, TransferHost>();

/** @internal The transfer host of `store`; a `validation` error if it is not an EventStore. */
export function transferHostOf(store: EventStore): TransferHost {
  const host = transferHosts.get(store);
  if (!host) throw validationError('store', 'must be an EventStore from openEventStore');
  return host;
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

  readonly #crossTab: boolean;
  readonly #events: Listeners<keyof StoreEventMap, never>;
  readonly #connection: Connection;
  readonly #log: LogReader;
  readonly #committer: Committer;
  readonly #live: LiveState;
  readonly #drafts: DraftManager;
  readonly #journal: JournalLink;
  #tabs: TabSync | undefined;
  #page: PageLifecycle | undefined;

  /** @internal use {@link openEventStore}. */
  constructor(options: OpenEventStoreOptions = {}) {
    this.name = options.name ?? 'sessionlog';
    this.durability = options.durability ?? 'relaxed';
    this.clock = new HybridClock(options.now ? { now: options.now } : {});
    this.#crossTab = (options.crossTab ?? true) && typeof BroadcastChannel !== 'undefined';
    // A throwing listener is reported as an `error` event, except an `error` listener's own.
    this.#events = new Listeners((error, type) => {
      if (type !== 'error') this.#emit('error', toStoreError(error));
    });
    const report = (error: unknown) => this.#emit('error', toStoreError(error));
    // What storage, the journal and files hold: unknown kinds kept, timestamps checked with this clock.
    const parse = (value: unknown) =>
      parseEvent(value, { allowUnknownKinds: true, clock: this.clock });
    const factory = 'indexedDB' in options ? options.indexedDB : defaultFactory();
    this.#connection = new Connection(this.name, factory, () => this.#onVersionChange());
    const run = this.#connection.run.bind(this.#connection);
    this.#log = new LogReader(run, (corrupt) => this.#emit('corrupt', corrupt));
    this.#live = new LiveState({
      readSince: async (from, summaries, hint) =>
        this.#connection.state !== 'open' || this.#page?.frozen
          ? undefined
          : this.#log.since(from, summaries, hint),
      readSession: (key) => this.#log.events(key),
      clock: this.clock,
      forgetDrafts: (key) => this.#drafts.forgetSession(key),
      report,
      graceMs: options.liveGraceMs ?? 5000,
    });
    this.#journal = new JournalLink(
      {
        name: this.name,
        crossTab: this.#crossTab,
        durability: this.durability,
        run,
        parse,
        appendRestored: (events) =>
          this.#committer.append(events, this.durability, undefined, true),
        readCommit: (seq) => this.#log.commit(seq),
        readMeta: () => run((db) => db.get('meta', 'state') as Promise<MetaRecord>),
        restoredDeletions: (tombstones) => {
          for (const tombstone of tombstones) this.#tabs?.postDelete(tombstone);
          this.#live.schedule(async () => {
            await this.#live.catchUp();
          });
        },
        restored: (report) => this.#emit('restored', report),
        corrupt: (corrupt) => this.#emit('corrupt', corrupt),
        error: (error) => this.#emit('error', error),
      },
      options.journal,
    );
    this.#committer = new Committer({
      run,
      clock: this.clock,
      check: this.#log,
      durability: this.durability,
      journal: this.#journal,
      committed: (commit) => {
        this.#log.remember(commit.events);
        this.#tabs?.postCommit(commit);
        this.#live.schedule(() => this.#live.applyCommitted(commit));
      },
      deleted: (tombstone, kept) => {
        this.#tabs?.postDelete(tombstone);
        // Events that stayed are read back from the log, as another tab would.
        this.#live.schedule(async () => {
          if (kept) await this.#live.catchUp();
          else await this.#live.applyDeleted(tombstone.seq, tombstone.sessionKey);
        });
      },
    });
    this.#drafts = new DraftManager(
      {
        origin: this.origin,
        name: this.name,
        run,
        post: (draft) => this.#tabs?.postDraft(draft),
        commit: async (draft, tokens) => {
          // Absent fields stay absent: a plain reply is the reference's event.
          const event = this.#make(draft.sessionKey, draft.agentId, {
            type: 'agent_response',
            content: draft.text,
            model: draft.model,
            tokens,
            ...(draft.parentId === undefined ? {} : { parent_id: draft.parentId }),
            ...(draft.reasoning ? { parts: [{ type: 'reasoning', text: draft.reasoning }] } : {}),
          });
          await this.#appendChecked(event, this.durability, [draft.id]);
          return event;
        },
        reportError: report,
      },
      options.drafts,
    );
    transferHosts.set(this, {
      listSessions: () => this.listSessions(),
      readEvents: (sessionKey, after, count) => this.#log.eventsAfter(sessionKey, after, count),
      append: (events) => this.append(events),
      parse,
      reads: this.#branchHost.reads,
      run,
      decode: (records) => this.#log.decodeAll(records),
    });
    this.ready = this.#openAll();
  }

  async #open(): Promise<void> {
    const meta = await this.#connection.ready;
    this.#live.begin(meta.seq);
    const cache = { cached: () => this.#journal.suspend(), restored: () => this.#journal.resume() };
    if (!this.#crossTab) {
      this.#page = new PageLifecycle(cache);
      return;
    }
    const catchUp = () => {
      if (this.#connection.state === 'open')
        this.#live.schedule(async () => {
          await this.#live.catchUp();
        });
    };
    this.#tabs = new TabSync(this.name, {
      origin: this.origin,
      instance: meta.instance,
      seq: () => this.#live.seq,
      schedule: (job) => this.#live.schedule(job),
      catchUp: (hint) => this.#live.catchUp(false, hint),
      receiveDraft: (message) => this.#drafts.receive(message),
    });
    this.#page = new PageLifecycle({ catchUp, ...cache });
  }

  /**
   * Opens the database, then the journal: a database made anew is compared
   * with it (and restored) before the open resolves, any other a second later
   * or at the first write (see `JournalLink.open`).
   */
  async #openAll(): Promise<void> {
    try {
      await this.#open();
    } catch (error) {
      void this.#journal.close(); // lets go of the segments it found
      throw error;
    }
    await this.#journal.open(await this.#connection.ready, this.wasReset);
  }

  #onVersionChange(): void {
    this.#drafts.close();
    this.#teardown();
    this.#emit('versionchange', undefined);
    this.#emit('close', undefined);
  }

  #teardown(): void {
    void this.#journal.close();
    this.#tabs?.close();
    this.#tabs = undefined;
    this.#page?.close();
    this.#page = undefined;
    this.#committer.rejectQueued(this.#connection.unusable());
  }

  // ---------------------------------------------------------------- store events

  /** Subscribes to store events; returns the unsubscribe function. */
  on<K extends keyof StoreEventMap>(type: K, listener: Listener<StoreEventMap[K]>): () => void {
    return this.#events.add(type, listener as Listener<never>);
  }

  #emit<K extends keyof StoreEventMap>(type: K, value: StoreEventMap[K]): void {
    this.#events.emit(type, value as never);
  }

  /** Messages seen on the tab channel, and how many were ignored as invalid. */
  get channelStats(): ChannelStats {
    return this.#tabs ? this.#tabs.stats : { received: 0, ignored: 0, lastIgnored: null };
  }

  /**
   * Whether this database replaced one this origin had before: it was deleted
   * since a store last opened it here (Chromium deletes a damaged database
   * after a crash; other code may delete it). Data may be missing: restore
   * from an export. Known only where `localStorage` works; `false` elsewhere.
   */
  get wasReset(): boolean {
    return this.#connection.wasReset;
  }

  /**
   * Whether this store keeps a journal (a second copy of every commit in the
   * Origin Private File System): `on`, `off` (`journal: false`),
   * `unavailable` (no OPFS, Web Locks or workers: durability is IndexedDB's
   * alone) or `failed` (a journal write failed; the store goes on without).
   */
  get journal(): JournalStatus {
    return this.#journal.status;
  }

  /**
   * What opening this store restored from the journal (the database had been
   * reset by the browser, or lacked recent commits), or `undefined` when it
   * lacked nothing. An app can tell the user, e.g. "restored N events". A
   * database made anew is restored before `openEventStore` resolves; any
   * other is compared with the journal at the store's first write, when
   * asked ({@link journalChecked}), or a second after the open, whichever
   * comes first; the `restored` event tells when that restored something.
   */
  get restored(): RestoreReport | undefined {
    return this.#journal.restored;
  }

  /**
   * Compares the journal with the database now if that has not been done
   * (it is at the first write, or a second after open) and resolves, with {@link restored}, once
   * whatever it restored is stored: for an app that wants a database left
   * behind by a crash (a commit whose transaction never completed, a power
   * cut's lost seconds) restored before it only reads.
   */
  async journalChecked(): Promise<RestoreReport | undefined> {
    await this.ready;
    await this.#journal.check();
    return this.#journal.restored;
  }

  /**
   * Reads the whole journal and reports each damaged record as `corrupt`
   * (store `journal`); the database is not changed. A damaged record only
   * matters if the database is lost too: then its events cannot be restored.
   */
  async verifyJournal(): Promise<JournalCheck> {
    await this.ready;
    return this.#journal.verify();
  }

  /**
   * Deletes this store's database and journal on purpose: nothing is
   * restored afterwards. The store closes first; other tabs' stores close
   * (`versionchange`).
   */
  async destroy(): Promise<void> {
    await this.close();
    await destroyEventStore(this.name, { indexedDB: this.#connection.factory });
  }

  /** Whether the store can still be used. */
  get closed(): boolean {
    return this.#connection.state !== 'open';
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
    return this.#appendChecked(input, options.durability ?? this.durability);
  }

  #appendChecked(
    input: AnyEvent | readonly AnyEvent[],
    durability: Durability,
    clearDrafts?: string[],
  ): Promise<AppendResult> {
    if (this.closed) return Promise.reject(this.#connection.unusable());
    // The first write waits for the journal's check: a restore from it commits first.
    const checking = this.#journal.beforeWrite();
    if (checking) return checking.then(() => this.#appendChecked(input, durability, clearDrafts));
    return this.#committer.append(input, durability, clearDrafts);
  }

  /** An event stamped by this store's clock, with its origin. */
  #make<K extends EventKindInput>(
    sessionKey: string,
    agentId: string,
    kind: K,
  ): SessionEvent<Extract<EventKind, { type: K['type'] }>> {
    return createEvent(sessionKey, agentId, kind, { clock: this.clock, origin: this.origin });
  }

  /**
   * Creates an event with the store's clock and origin, and appends it.
   * `options.parentId` places a message or tool call in the conversation tree.
   */
  async record<K extends EventKindInput>(
    sessionKey: string,
    agentId: string,
    kind: K,
    options: RecordOptions = {},
  ): Promise<SessionEvent<Extract<EventKind, { type: K['type'] }>>> {
    if (this.closed) throw this.#connection.unusable();
    const linked = options.parentId === undefined ? kind : { ...kind, parent_id: options.parentId };
    const event = this.#make(sessionKey, agentId, linked as K);
    await this.append(event);
    return event;
  }

  // ---------------------------------------------------------------- branches (src/store/branches.ts)

  /**
   * Moves the session's head to `targetId` (a branch switch), recorded as a
   * `head_set` event so it reaches other tabs and merges: the last one wins.
   * A UI switching to a sibling usually names the leaf below it (see
   * `newestLeafUnder`), which also keeps paging cheap.
   */
  setHead(sessionKey: string, targetId: string): Promise<SessionEvent> {
    return setHead(this.#branchHost, sessionKey, targetId);
  }

  /**
   * Edits a message the user sent: a new `message_received` beside it (same
   * parent) and the head moved to it, in one transaction. The original and
   * everything below it stay, as a sibling branch. Rejects `not_found` when
   * `messageId` is not a message or tool call of the session.
   */
  edit(
    sessionKey: string,
    messageId: string,
    content: string,
    options: { agentId?: string } = {},
  ): Promise<SessionEvent> {
    return edit(this.#branchHost, sessionKey, messageId, content, options.agentId);
  }

  /**
   * Regenerates a reply: streams a new reply to the same prompt, a sibling of
   * `replyId` (its draft carries `parentId`, so a UI places it in the tree).
   * The head moves to the prompt, so the newest reply is the one shown.
   */
  regenerate(
    sessionKey: string,
    replyId: string,
    options: Omit<StreamOptions, 'parentId'>,
  ): Promise<StreamHandle> {
    return regenerate(this.#branchHost, sessionKey, replyId, options);
  }

  readonly #branchHost: BranchHost = {
    reads: {
      get: (id) => this.#log.tree.get(id),
      before: (key, at, count) => this.#log.tree.before(key, at, count),
      after: (key, at, count) => this.#log.tree.after(key, at, count),
    },
    make: (sessionKey, agentId, kind) => this.#make(sessionKey, agentId, kind),
    append: (events) => this.append(events),
    agentOf: async (sessionKey) => (await this.getSummary(sessionKey))?.agentId ?? undefined,
    stream: (sessionKey, options) => this.stream(sessionKey, options),
  };

  /**
   * Deletes a session: its events, summary and drafts go in one transaction,
   * and a tombstone stays. Events of the session with a timestamp at or before
   * the deletion (an import, a late tab, a future sync) are dropped from then
   * on; newer events, made after the deletion was seen, start the session anew.
   * When the storage quota is full, the session's data is removed first and
   * the tombstone written after, so deleting sessions frees space; if the
   * tombstone still does not fit, the data is gone and the call rejects `quota`
   * (the journal still records the deletion). The journal's copy of the
   * session goes too (see docs/durability.md).
   */
  async deleteSession(sessionKey: string, options: DeleteOptions = {}): Promise<void> {
    if (options.at === undefined) await this.#committer.deleteSession(sessionKey);
    else await this.#committer.deleteSessionAt(sessionKey, normalizeTimestamp(options.at, 'at'));
    await this.#live.idle();
  }

  /**
   * Resolves once everything appended before the call is on disk: it waits
   * for pending commits, then runs a strict-durability transaction (which
   * makes the browser flush its log, earlier relaxed commits included).
   */
  flush(): Promise<void> {
    return this.#committer.flush();
  }

  /**
   * Closes the store after pending commits settle. Later calls reject with
   * `closed`; listeners and the tab channel are removed.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.ready.catch(() => {});
    await this.#committer.settled();
    await this.#live.idle();
    await this.#journal.close();
    this.#connection.close();
    this.#drafts.close();
    this.#teardown();
    this.#live.clear();
    this.#emit('close', undefined);
  }

  // ---------------------------------------------------------------- reading

  /** All events of a session in (timestamp, id) order; corrupt records are skipped and reported. */
  getEvents(sessionKey: string): Promise<AnyEvent[]> {
    return this.#log.events(sessionKey);
  }

  /** Events of a session with a timestamp strictly after `since` (RFC 3339), in order. */
  getEventsSince(sessionKey: string, since: string): Promise<AnyEvent[]> {
    return this.#log.eventsSince(sessionKey, since);
  }

  /** The full projection of a session; rejects with `not_found` for a session with no events. */
  async getProjection(sessionKey: string): Promise<Projection> {
    const events = await this.#log.events(sessionKey);
    if (events.length === 0) {
      throw new EventStoreError('not_found', `session "${sessionKey}" not found`);
    }
    return project(events, sessionKey);
  }

  /** Session keys in byte (code point) order, as the reference lists them. */
  listSessions(): Promise<string[]> {
    return this.#log.sessionKeys();
  }

  /** The summary of a session (no messages), or `undefined`. */
  getSummary(sessionKey: string): Promise<SessionSummary | undefined> {
    return this.#log.summary(sessionKey);
  }

  /** Every session's summary, most recent activity first: a sidebar without reading a message. */
  listSummaries(): Promise<SessionSummary[]> {
    return this.#log.summaries();
  }

  /**
   * A page of messages read through the message index: the latest `limit` by
   * default, or those just before/after a cursor. Its cost depends on the page
   * size, not on the session's length.
   */
  async getMessages(sessionKey: string, query: MessageQuery = {}): Promise<MessagePage> {
    return this.#log.messages(sessionKey, query);
  }

  // ---------------------------------------------------------------- live state

  /**
   * Calls `listener` with the session's projection whenever it changes, in
   * this tab or any other; returns the unsubscribe function. Pair it with
   * {@link getSnapshot} for React's `useSyncExternalStore`.
   */
  subscribe(sessionKey: string, listener: Listener<Projection>): () => void {
    return this.#live.subscribe(sessionKey, listener);
  }

  /**
   * The current projection of a subscribed session, synchronously: `undefined`
   * until it has loaded (or when nobody subscribes), the same object until it
   * changes. A session without events has an empty projection.
   */
  getSnapshot(sessionKey: string): Projection | undefined {
    return this.#live.getSnapshot(sessionKey);
  }

  /** Calls `listener` with all session summaries (most recent first) whenever any changes. */
  subscribeSummaries(listener: Listener<readonly SessionSummary[]>): () => void {
    return this.#live.subscribeSummaries(listener);
  }

  /** The current summaries, synchronously: `undefined` until loaded. */
  getSummariesSnapshot(): readonly SessionSummary[] | undefined {
    return this.#live.getSummariesSnapshot();
  }

  // ---------------------------------------------------------------- streaming

  /**
   * Starts streaming a reply into a session. Pushed text reaches other tabs
   * live and is checkpointed to IndexedDB; `done` commits it as one
   * agent_response event. See {@link StreamHandle}.
   */
  stream(sessionKey: string, options: StreamOptions): StreamHandle {
    if (this.closed) throw this.#connection.unusable();
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

  /** Stored drafts of any session whose writer is gone: what to offer to resume after a crash. */
  listInterruptedDrafts(): Promise<Draft[]> {
    return this.#drafts.listInterrupted();
  }

  /** The session's drafts read from storage: streaming in any tab, or interrupted. */
  loadDrafts(sessionKey: string): Promise<readonly Draft[]> {
    return this.#drafts.load(sessionKey);
  }
}
