/**
 * Live state: the projections of subscribed sessions and the summaries of all
 * sessions, kept consistent with one commit sequence. It changes only by
 * applying what was committed (by this tab, or read from the log), one change
 * at a time and in order, and tells subscribers.
 */
import type { HybridClock } from '../clock.js';
import type { AnyEvent } from '../event.js';
import { deepFreeze } from '../freeze.js';
import {
  applyEvent,
  emptyProjection,
  mergeProjections,
  type Projection,
  project,
} from '../projection.js';
import type { SessionSummary } from '../summary.js';
import { groupBySession, observeLatest } from './batches.js';
import { type Listener, Listeners } from './listeners.js';
import { type LogRead, type ReadHint, type SummaryRead, sortByRecentActivity } from './log.js';
import type { Committed } from './transactions.js';

/** What live state needs from the rest of the store. */
export interface LiveStateHost {
  /**
   * What the log holds after commit `from`; `undefined` when nothing may be
   * read now (closed, frozen). `hint`: what a tab message announced (see
   * `LogReader.since`).
   */
  readSince(from: number, summaries: SummaryRead, hint?: ReadHint): Promise<LogRead | undefined>;
  /** All events of a session. */
  readSession(sessionKey: string): Promise<AnyEvent[]>;
  /** Observes timestamps read from the log, so what this tab records next is newer. */
  clock: HybridClock;
  /** A session was deleted: its drafts go too. */
  forgetDrafts(sessionKey: string): void;
  /** An error no caller can receive. */
  report(error: unknown): void;
  /** How long (ms) a session's live state outlives its last listener. */
  graceMs: number;
}

interface LiveSession {
  key: string;
  projection: Projection | undefined;
  /** Bumped when the session is deleted, so a load started before is discarded. */
  epoch: number;
  /** Set while nobody listens: the timer that drops the live state after the grace period. */
  idle?: ReturnType<typeof setTimeout>;
}

const SESSIONS = 'sessions';

/** Projections and summaries as of commit {@link LiveState.seq}, with their subscribers. */
export class LiveState {
  readonly #host: LiveStateHost;
  #seq = 0;
  #sync: Promise<void> = Promise.resolve();
  readonly #live = new Map<string, LiveSession>();
  readonly #projectionListeners: Listeners<string, Projection>;
  #summaries: Map<string, SessionSummary> | undefined;
  #summariesSnapshot: readonly SessionSummary[] | undefined;
  readonly #summaryListeners: Listeners<typeof SESSIONS, readonly SessionSummary[]>;

  constructor(host: LiveStateHost) {
    this.#host = host;
    this.#projectionListeners = new Listeners((error) => host.report(error));
    this.#summaryListeners = new Listeners((error) => host.report(error));
  }

  /** The commit sequence the live state is consistent with. */
  get seq(): number {
    return this.#seq;
  }

  /** Starts from the database's sequence at open. */
  begin(seq: number): void {
    this.#seq = seq;
  }

  /** Runs a change of live state after the ones scheduled before it; a failure is reported. */
  schedule(job: () => Promise<void> | void): void {
    this.#sync = this.#sync.then(job).catch((error) => this.#host.report(error));
  }

  /** Resolves once every change scheduled so far has run. */
  idle(): Promise<void> {
    return this.#sync;
  }

  /** See `EventStore.subscribe`. */
  subscribe(sessionKey: string, listener: Listener<Projection>): () => void {
    let live = this.#live.get(sessionKey);
    if (!live) {
      live = { key: sessionKey, projection: undefined, epoch: 0 };
      this.#live.set(sessionKey, live);
      this.#load(live);
    }
    clearTimeout(live.idle);
    const current = live;
    return this.#projectionListeners.add(sessionKey, listener, () => this.#release(current));
  }

  // The one place a session's live state is let go: its last listener left. It is
  // kept up to date for a grace period, so a resubscribe (React's, whenever the
  // subscribe function changes) finds it as it was: no reload, no notification.
  #release(live: LiveSession): void {
    // A resubscribe clears this timer; one that already fired leaves a stale id, which is harmless.
    live.idle = setTimeout(() => {
      if (this.#live.get(live.key) === live) this.#live.delete(live.key);
    }, this.#host.graceMs);
  }

  /** See `EventStore.getSnapshot`. */
  getSnapshot(sessionKey: string): Projection | undefined {
    return this.#live.get(sessionKey)?.projection;
  }

  /** See `EventStore.subscribeSummaries`. */
  subscribeSummaries(listener: Listener<readonly SessionSummary[]>): () => void {
    const unsubscribe = this.#summaryListeners.add(SESSIONS, listener);
    if (this.#summaries === undefined)
      this.schedule(async () => {
        await this.catchUp(true);
      });
    return unsubscribe;
  }

  /** See `EventStore.getSummariesSnapshot`. */
  getSummariesSnapshot(): readonly SessionSummary[] | undefined {
    return this.#summariesSnapshot;
  }

  #load(live: LiveSession): void {
    const epoch = live.epoch;
    this.schedule(async () => {
      await this.catchUp();
      const events = await this.#host.readSession(live.key);
      if (live.epoch !== epoch || this.#live.get(live.key) !== live) return;
      const loaded = project(events, live.key);
      this.#setProjection(
        live,
        live.projection ? mergeProjections(loaded, live.projection) : loaded,
      );
    });
  }

  #setProjection(live: LiveSession, projection: Projection): void {
    if (live.projection === projection) return;
    live.projection = projection;
    this.#projectionListeners.emit(live.key, projection);
  }

  #apply(live: LiveSession, events: readonly AnyEvent[]): void {
    if (!live.projection) return;
    let p = live.projection;
    for (const e of events) p = applyEvent(p, e);
    this.#setProjection(live, p);
  }

  #publishSummaries(): void {
    if (!this.#summaries) return;
    this.#summariesSnapshot = Object.freeze(sortByRecentActivity([...this.#summaries.values()]));
    this.#summaryListeners.emit(SESSIONS, this.#summariesSnapshot);
  }

  /**
   * Applies this store's own commit: straight from the transaction when it is
   * the next commit, from the log when another tab committed in between.
   */
  async applyCommitted(commit: Committed): Promise<void> {
    if (commit.seq <= this.#seq) return;
    if (commit.seq !== this.#seq + 1) {
      await this.catchUp(); // another tab committed in between: read it all from the log
      return;
    }
    this.#seq = commit.seq;
    for (const [key, group] of groupBySession(commit.events)) {
      const live = this.#live.get(key);
      if (live) this.#apply(live, group);
      const summary = commit.summaries.get(key);
      if (this.#summaries && summary) this.#summaries.set(key, summary);
    }
    this.#publishSummaries();
  }

  /** Applies this store's own deletion of a session at commit `seq`. */
  async applyDeleted(seq: number, sessionKey: string): Promise<void> {
    if (seq <= this.#seq) return;
    if (seq !== this.#seq + 1) {
      await this.catchUp();
      return;
    }
    this.#seq = seq;
    this.#forget(sessionKey);
    this.#publishSummaries();
  }

  #forget(sessionKey: string): void {
    this.#host.forgetDrafts(sessionKey);
    const live = this.#live.get(sessionKey);
    if (live) {
      live.epoch++;
      this.#setProjection(live, emptyProjection(sessionKey));
    }
    this.#summaries?.delete(sessionKey);
  }

  /**
   * Reads from the log what was committed since {@link seq} (events and
   * deletions) and applies it; with `loadSummaries`, loads every summary in
   * the same read; `hint`: what a tab message announced (see
   * `LogReader.since`). Resolves to what was read, `undefined` if nothing
   * could be.
   */
  async catchUp(loadSummaries = false, hint?: ReadHint): Promise<LogRead | undefined> {
    const loadAll = loadSummaries && this.#summaries === undefined;
    const read = await this.#host.readSince(
      this.#seq,
      loadAll ? 'all' : this.#summaries ? 'changed' : 'none',
      hint,
    );
    if (!read) return undefined;
    if (read.meta.seq > this.#seq) this.#seq = read.meta.seq;
    const kept = new Set(read.summaries.filter(([, s]) => s).map(([k]) => k));
    for (const t of read.tombstones) {
      this.#host.clock.observe(t.timestamp); // so what this tab records next is newer than the deletion
      this.#forget(t.sessionKey);
      // A deletion made elsewhere may keep later events: show them again.
      const live = this.#live.get(t.sessionKey);
      if (live && kept.has(t.sessionKey)) this.#load(live);
    }
    observeLatest(this.#host.clock, read.events);
    const reload = new Set(read.tombstones.map((t) => t.sessionKey));
    for (const [key, group] of groupBySession(read.events)) {
      const live = this.#live.get(key);
      if (!live) continue;
      if (reload.has(key)) this.#load(live);
      else this.#apply(live, group);
    }
    if (loadAll) this.#summaries = new Map();
    if (this.#summaries) {
      for (const [key, summary] of read.summaries) {
        // Read from IndexedDB, so not yet frozen: snapshots handed to subscribers must be.
        if (summary) this.#summaries.set(key, deepFreeze(summary));
        else this.#summaries.delete(key);
      }
      this.#publishSummaries();
    }
    return read;
  }

  /** Drops every subscription and all state (the store closed). */
  clear(): void {
    this.#live.clear();
    this.#projectionListeners.clear();
    this.#summaryListeners.clear();
  }
}
