/**
 * What the runner (bench/run.ts, in Node) and the bench page (bench/page, in
 * Chromium) say to each other: the page exposes `window.bench`, the runner
 * calls it through `page.evaluate`.
 */

export type Durability = 'relaxed' | 'strict';

/** Scenario 1: how the 10,000 events reach IndexedDB. */
export type BurstImpl =
  | 'sessionlog'
  | 'sessionlog-batch'
  | 'sessionlog-no-journal'
  | 'raw-one-tx'
  | 'raw-one-tx-3-indexes'
  | 'raw-tx-per-event'
  | 'dexie-bulkAdd'
  | 'dexie-add'
  | 'tinybase'
  | 'tinybase-autosave';

/** Scenarios 2–6 compare sessionlog with plain IndexedDB (and the channel itself). */
export type ReadImpl = 'sessionlog' | 'sessionlog-no-journal' | 'raw';
/** Scenario 2 adds, for strict appends, the journal without its own flush (`journal: { flush: 'never' }`). */
export type SequentialImpl = ReadImpl | 'sessionlog-journal-unflushed' | 'raw-commit';
export type CrossTabImpl = 'sessionlog' | 'raw-ping' | 'raw-commit-ping';
export type LatestImpl = 'sessionlog' | 'raw-getAll' | 'raw-summary-getAll' | 'raw-cursor';

export interface Facts {
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  getAllRecords: boolean;
  /** Mean size of a generated event as JSON, in bytes. */
  meanEventBytes: number;
  /** Share of each kind among generated events. */
  kindMix: Record<string, number>;
  hasStore: boolean;
}

export interface PrepareReport {
  ms: number;
  events: number;
  sessions: number;
}

export interface HistoryLatencies {
  small: number[];
  large: number[];
}

export interface BenchApi {
  facts(): Facts;
  /** Scenario 1: ms to store `n` events (or `Infinity`-free: always a number). */
  burst(args: { impl: BurstImpl; durability: Durability; n: number; run: number }): Promise<number>;
  /** Scenario 2: per-append latencies (ms) of `n` sequential appends. */
  sequential(args: {
    impl: SequentialImpl;
    durability: Durability;
    n: number;
    run: number;
  }): Promise<number[]>;
  /** Scenarios 3 and 4: fills the large databases once (idempotent). */
  prepareLarge(args: { large: number; small: number }): Promise<PrepareReport>;
  /** Scenario 3: sequential append latencies into the small and the large session. */
  historyLatency(args: {
    durability: Durability;
    n: number;
    order: 'small-first' | 'large-first';
    /** Which small session (each call uses a fresh one, so it is at its prepared size). */
    small: number;
  }): Promise<HistoryLatencies>;
  /** Scenario 4: ms of `n` reads of the latest 50 of the large session. */
  latestPage(args: { impl: LatestImpl; n: number }): Promise<number[]>;
  /** Scenario 5: fills the 1,000-session databases once (idempotent). */
  prepareSessions(args: { sessions: number; eventsPerSession: number }): Promise<PrepareReport>;
  /** Scenario 5: ms of one cold open + list of summaries + first page (call on a fresh page). */
  coldOpen(args: { impl: ReadImpl }): Promise<{ ms: number; summaries: number; page: number }>;
  /** Scenario 6, page B: starts listening. */
  crossTabListen(args: { impl: CrossTabImpl; run: number }): Promise<void>;
  /** Scenario 6, page A: `n` sequential pings, each awaited in B; returns one-way ms. */
  crossTabSend(args: { impl: CrossTabImpl; n: number; run: number }): Promise<number[]>;
  /** Scenario 6: stops listening / closes stores on this page. */
  crossTabStop(): Promise<void>;
  /** Scenario 8: fills one database per size with one session of that many messages (once). */
  prepareSubscribed(args: { sizes: number[] }): Promise<PrepareReport>;
  /** Scenario 8: append-to-subscriber latencies (ms) of `n` appends to the subscribed session of `size`. */
  subscribedAppend(args: { size: number; n: number; run: number }): Promise<number[]>;
}
