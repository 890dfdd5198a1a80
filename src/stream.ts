/**
 * Streaming replies (drafts, docs/design.md §8). An assistant reply arrives token by token; it
 * becomes ONE `agent_response` event when it is done. Until then it is a
 * draft: other tabs see its text live through the tab channel (throttled, no
 * event per token), and it is checkpointed to IndexedDB so a crash or reload
 * loses at most one checkpoint interval. A draft whose writer is gone is
 * reported as interrupted, with its text, for the app to resume or discard.
 */
import type { IDBPDatabase } from 'idb';
import { EventStoreError, validationError } from './errors.js';
import type { AgentResponse, SessionEvent, TokenUsage } from './event.js';
import { EVENT_ID_PATTERN, randomHex } from './ids.js';
import { checkWellFormed } from './json.js';
import type { DraftRecord, SessionlogDB } from './schema.js';
import { type Listener, Listeners } from './store/listeners.js';
import type { DraftMessage } from './tab-channel.js';

/** Timing of drafts; every figure is in milliseconds. */
export interface DraftTiming {
  /** Most often the live text is posted to other tabs and local subscribers; default 50 (≤ 20 per second). */
  broadcastMs: number;
  /** Most time between a change and its checkpoint in IndexedDB; default 250. */
  checkpointMs: number;
  /** How often a writer proves it is alive (in IndexedDB and on the channel); default 1000. */
  heartbeatMs: number;
  /** A draft with no heartbeat for this long is interrupted; default 5000. */
  timeoutMs: number;
}

/** Default {@link DraftTiming}. */
export const DEFAULT_DRAFT_TIMING: DraftTiming = {
  broadcastMs: 50,
  checkpointMs: 250,
  heartbeatMs: 1000,
  timeoutMs: 5000,
};

/** A reply being streamed, as subscribers see it. Never part of a projection. */
export interface Draft {
  readonly id: string;
  readonly sessionKey: string;
  readonly agentId: string;
  readonly model: string;
  /** Text so far (for an interrupted draft: as of its last checkpoint). */
  readonly text: string;
  /** Reasoning text so far; absent while the model has shown none. */
  readonly reasoning?: string;
  readonly startedAt: number;
  /** When its text or heartbeat last arrived (ms since epoch). */
  readonly updatedAt: number;
  /** `streaming` while its writer lives; `interrupted` once the writer is gone. */
  readonly status: 'streaming' | 'interrupted';
  /** Whether this store is the writer. */
  readonly local: boolean;
  /** Where the reply will hang in the tree (its event's `parent_id`); absent: after the last node. */
  readonly parentId?: string | null;
}

/** Options of {@link EventStore.stream}. */
export interface StreamOptions {
  agentId: string;
  model: string;
  /** `parent_id` of the reply (the prompt it answers), so a UI can place the draft in the tree. */
  parentId?: string | null;
}

/** What a draft's writer can do. */
export interface StreamHandle {
  readonly id: string;
  readonly sessionKey: string;
  /** Text pushed so far. */
  readonly text: string;
  /** Reasoning text pushed so far. */
  readonly reasoning: string;
  /** Appends text. Throws `closed` after `done` or `abort`. */
  push(delta: string): void;
  /** Appends reasoning text (shown apart from the answer). Throws `closed` after `done` or `abort`. */
  pushReasoning(delta: string): void;
  /**
   * Commits the whole text as one agent_response event (under the draft's parent, its
   * reasoning as a `reasoning` part) and clears the draft, in one transaction.
   */
  done(usage: {
    tokens: Partial<TokenUsage> & Pick<TokenUsage, 'input_tokens' | 'output_tokens'>;
    /** The model, when it became known only at the end (the AI SDK's finish metadata). */
    model?: string;
  }): Promise<SessionEvent<AgentResponse>>;
  /** Drops the draft everywhere. */
  abort(reason?: string): Promise<void>;
}

/** What the draft manager needs from its store: narrow on purpose. */
export interface DraftHost {
  readonly origin: string;
  readonly name: string;
  run<T>(work: (db: IDBPDatabase<SessionlogDB>) => Promise<T>): Promise<T>;
  post(draft: DraftMessage['draft']): void;
  /** Creates the agent_response with the store's clock and appends it, deleting the draft record in the same transaction. */
  commit(draft: DraftRecord, tokens: TokenUsage): Promise<SessionEvent<AgentResponse>>;
  reportError(error: unknown): void;
}

interface Writer {
  record: DraftRecord;
  dirty: boolean;
  lastCheckpoint: number;
  finished: boolean;
  broadcastTimer: ReturnType<typeof setTimeout> | undefined;
  release: (() => void) | undefined;
}

const locks = (): LockManager | undefined => globalThis.navigator?.locks;

/** Keeps drafts: the ones this store writes and the ones other tabs write. */
export class DraftManager {
  readonly #host: DraftHost;
  readonly #timing: DraftTiming;
  /** Every known draft by id (local and remote), as subscribers see it. */
  readonly #drafts = new Map<string, Draft>();
  readonly #writers = new Map<string, Writer>();
  readonly #listeners: Listeners<string, readonly Draft[]>;
  readonly #snapshots = new Map<string, readonly Draft[]>();
  #ticker: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  constructor(host: DraftHost, timing: Partial<DraftTiming> = {}) {
    this.#host = host;
    this.#timing = { ...DEFAULT_DRAFT_TIMING, ...timing };
    this.#listeners = new Listeners((error) => host.reportError(error));
    if (this.#timing.checkpointMs > 500) {
      throw validationError('drafts.checkpointMs', 'must be at most 500 ms');
    }
  }

  #lockName(id: string): string {
    return `sessionlog:${this.#host.name}:draft:${id}`;
  }

  /** Starts a draft written by this store. */
  start(sessionKey: string, options: StreamOptions): StreamHandle {
    if (typeof sessionKey !== 'string' || sessionKey === '') {
      throw validationError('sessionKey', 'must be a non-empty string');
    }
    for (const [field, value] of [
      ['agentId', options?.agentId],
      ['model', options?.model],
    ] as const) {
      if (typeof value !== 'string') throw validationError(field, 'must be a string');
      checkWellFormed(value, field);
    }
    const parentId = options.parentId;
    if (parentId !== undefined && parentId !== null && !EVENT_ID_PATTERN.test(String(parentId)))
      throw validationError(
        'parentId',
        'must be an event id (64 lowercase hex characters) or null',
      );
    const now = Date.now();
    const record: DraftRecord = {
      id: randomHex(8),
      sessionKey,
      agentId: options.agentId,
      model: options.model,
      text: '',
      writer: this.#host.origin,
      startedAt: now,
      heartbeat: now,
      ...(parentId === undefined ? {} : { parentId }),
    };
    return this.#own(record);
  }

  /** Takes over an interrupted draft: this store becomes its writer, with the text it had. */
  async resume(id: string): Promise<StreamHandle> {
    const record = await this.#host.run((db) => db.get('drafts', id));
    if (!record) throw new EventStoreError('not_found', `draft ${id} not found`);
    const draft = this.#drafts.get(id);
    if (draft && draft.status === 'streaming' && !draft.local) {
      throw validationError('draftId', `draft ${id} is still being written by another tab`);
    }
    return this.#own({ ...record, writer: this.#host.origin, heartbeat: Date.now() });
  }

  /** Deletes a draft (an interrupted one, say) everywhere. */
  async discard(id: string): Promise<void> {
    const writer = this.#writers.get(id);
    if (writer) return this.#finish(writer, 'aborted');
    const draft = this.#drafts.get(id);
    await this.#host.run((db) => db.delete('drafts', id));
    if (draft) {
      this.#host.post({ ...this.#wire(draft), status: 'aborted' });
      this.#remove(id);
    }
  }

  #own(record: DraftRecord): StreamHandle {
    if (this.#closed) throw new EventStoreError('closed', 'store is closed');
    const writer: Writer = {
      record,
      dirty: true,
      lastCheckpoint: 0,
      finished: false,
      broadcastTimer: undefined,
      release: undefined,
    };
    this.#writers.set(record.id, writer);
    this.#hold(writer);
    this.#publishLocal(writer);
    this.#checkpoint(writer);
    this.#ensureTicker();
    const manager = this;
    return {
      id: record.id,
      sessionKey: record.sessionKey,
      get text() {
        return writer.record.text;
      },
      get reasoning() {
        return writer.record.reasoning ?? '';
      },
      push(delta: string) {
        manager.#append(writer, 'text', delta);
      },
      pushReasoning(delta: string) {
        manager.#append(writer, 'reasoning', delta);
      },
      done: (usage) => manager.#done(writer, usage?.tokens, usage?.model),
      abort: () => manager.#finish(writer, 'aborted'),
    };
  }

  #append(writer: Writer, field: 'text' | 'reasoning', delta: string): void {
    const id = writer.record.id;
    if (writer.finished) throw new EventStoreError('closed', `draft ${id} is finished`);
    if (typeof delta !== 'string') throw validationError('delta', 'must be a string');
    checkWellFormed(delta, 'delta');
    if (delta === '') return;
    writer.record = { ...writer.record, [field]: (writer.record[field] ?? '') + delta };
    writer.dirty = true;
    this.#scheduleBroadcast(writer);
  }

  // The writer holds a Web Lock while it lives: when its tab dies or reloads the
  // lock is released at once, so other tabs need not wait for the heartbeat timeout.
  #hold(writer: Writer): void {
    const manager = locks();
    if (!manager) return;
    manager
      .request(this.#lockName(writer.record.id), { mode: 'exclusive' }, () => {
        if (writer.finished) return undefined;
        return new Promise<void>((resolve) => {
          writer.release = resolve;
        });
      })
      .catch((error) => this.#host.reportError(error));
  }

  #scheduleBroadcast(writer: Writer): void {
    writer.broadcastTimer ??= setTimeout(() => {
      writer.broadcastTimer = undefined;
      if (!writer.finished) this.#publishLocal(writer);
    }, this.#timing.broadcastMs);
  }

  #wire(d: Draft | DraftRecord): Omit<DraftMessage['draft'], 'status'> {
    const wire = {
      id: d.id,
      sessionKey: d.sessionKey,
      agentId: d.agentId,
      model: d.model,
      text: d.text,
      reasoning: d.reasoning,
      startedAt: d.startedAt,
    };
    return d.parentId === undefined ? wire : { ...wire, parentId: d.parentId };
  }

  #publishLocal(writer: Writer): void {
    const r = writer.record;
    this.#host.post({ ...this.#wire(r), status: 'streaming' });
    this.#set({ ...this.#wire(r), updatedAt: Date.now(), status: 'streaming', local: true });
  }

  #checkpoint(writer: Writer): void {
    const now = Date.now();
    writer.record = { ...writer.record, heartbeat: now };
    writer.dirty = false;
    writer.lastCheckpoint = now;
    const record = writer.record;
    this.#host
      .run((db) =>
        writer.finished ? Promise.resolve() : db.put('drafts', record).then(() => undefined),
      )
      .catch((error) => this.#host.reportError(error));
  }

  async #done(
    writer: Writer,
    tokens: (Partial<TokenUsage> & Pick<TokenUsage, 'input_tokens' | 'output_tokens'>) | undefined,
    model: string | undefined,
  ): Promise<SessionEvent<AgentResponse>> {
    if (writer.finished)
      throw new EventStoreError('closed', `draft ${writer.record.id} is finished`);
    if (typeof tokens !== 'object' || tokens === null)
      throw validationError('tokens', 'must be an object');
    writer.finished = true;
    clearTimeout(writer.broadcastTimer);
    try {
      // A model named at the end goes in the event only (createEvent validates it), not the draft.
      const event = await this.#host.commit(
        { ...writer.record, model: model ?? writer.record.model },
        {
          input_tokens: tokens.input_tokens,
          output_tokens: tokens.output_tokens,
          cache_read_tokens: tokens.cache_read_tokens ?? null,
          cache_write_tokens: tokens.cache_write_tokens ?? null,
        },
      );
      this.#end(writer, 'done');
      return event;
    } catch (error) {
      writer.finished = false; // nothing was written: the draft goes on and can be committed again
      throw error;
    }
  }

  async #finish(writer: Writer, status: 'aborted'): Promise<void> {
    if (writer.finished) return;
    writer.finished = true;
    clearTimeout(writer.broadcastTimer);
    await this.#host.run((db) => db.delete('drafts', writer.record.id));
    this.#end(writer, status);
  }

  #end(writer: Writer, status: 'done' | 'aborted'): void {
    writer.release?.();
    this.#writers.delete(writer.record.id);
    this.#host.post({ ...this.#wire(writer.record), status });
    this.#remove(writer.record.id);
  }

  /** Applies a draft message from another tab. */
  receive(message: DraftMessage): void {
    const d = message.draft;
    if (this.#writers.has(d.id)) return; // this store writes it
    if (d.status !== 'streaming') {
      this.#remove(d.id);
      return;
    }
    this.#set({ ...d, updatedAt: Date.now(), status: 'streaming', local: false });
    this.#ensureTicker();
  }

  /** Forgets the drafts of a deleted session. */
  forgetSession(sessionKey: string): void {
    for (const [id, draft] of this.#drafts) if (draft.sessionKey === sessionKey) this.#remove(id);
  }

  #set(draft: Draft): void {
    this.#drafts.set(draft.id, draft);
    this.#notify(draft.sessionKey);
  }

  #remove(id: string): void {
    const draft = this.#drafts.get(id);
    if (!draft) return;
    this.#drafts.delete(id);
    this.#notify(draft.sessionKey);
  }

  #notify(sessionKey: string): void {
    if (this.#listeners.has(sessionKey))
      this.#listeners.emit(sessionKey, this.#snapshot(sessionKey, true));
  }

  #snapshot(sessionKey: string, fresh = false): readonly Draft[] {
    let snapshot = this.#snapshots.get(sessionKey);
    if (!snapshot || fresh) {
      snapshot = Object.freeze(
        [...this.#drafts.values()]
          .filter((d) => d.sessionKey === sessionKey)
          .sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1)),
      );
      this.#snapshots.set(sessionKey, snapshot);
    }
    return snapshot;
  }

  /** The drafts of a session, synchronously; the same array until one changes. */
  getSnapshot(sessionKey: string): readonly Draft[] {
    return this.#snapshot(sessionKey);
  }

  /** Calls `listener` with the session's drafts whenever they change; loads stored drafts first. */
  subscribe(sessionKey: string, listener: Listener<readonly Draft[]>): () => void {
    const unsubscribe = this.#listeners.add(sessionKey, listener);
    void this.#loadStored(sessionKey);
    this.#ensureTicker();
    return unsubscribe;
  }

  /** The drafts of a session after reading the stored ones (their writers' state checked). */
  async load(sessionKey: string): Promise<readonly Draft[]> {
    await this.#loadStored(sessionKey);
    return this.#snapshot(sessionKey, true);
  }

  /** Drafts in storage (any session) whose writer is gone: what a crash or reload left behind. */
  async listInterrupted(): Promise<Draft[]> {
    const records = await this.#host.run((db) => db.getAll('drafts'));
    const out: Draft[] = [];
    for (const r of records) {
      if (this.#writers.has(r.id)) continue;
      if (await this.#writerGone(r)) out.push(this.#fromRecord(r, 'interrupted'));
    }
    return out;
  }

  #fromRecord(r: DraftRecord, status: Draft['status']): Draft {
    return { ...this.#wire(r), updatedAt: r.heartbeat, status, local: false };
  }

  async #loadStored(sessionKey: string): Promise<void> {
    try {
      const records = await this.#host.run((db) =>
        db.getAllFromIndex('drafts', 'session', sessionKey),
      );
      const stored = new Set(records.map((r) => r.id));
      // A remote draft no longer stored was committed or dropped while we missed the message.
      for (const [id, d] of this.#drafts) {
        if (d.sessionKey === sessionKey && !d.local && !stored.has(id)) this.#remove(id);
      }
      for (const r of records) {
        if (this.#writers.has(r.id)) continue;
        const known = this.#drafts.get(r.id);
        const status = (await this.#writerGone(r)) ? 'interrupted' : 'streaming';
        if (!known || (known.status !== status && status === 'interrupted')) {
          this.#set(
            known && known.text.length > r.text.length
              ? { ...known, status }
              : this.#fromRecord(r, status),
          );
        }
      }
    } catch (error) {
      this.#host.reportError(error);
    }
  }

  // Gone: its Web Lock is free, or (without Web Locks) no heartbeat within the timeout.
  async #writerGone(r: DraftRecord): Promise<boolean> {
    if (Date.now() - r.heartbeat > this.#timing.timeoutMs) return true;
    const manager = locks();
    if (!manager) return false;
    const state = await manager.query();
    return !state.held?.some((lock) => lock.name === this.#lockName(r.id));
  }

  #ensureTicker(): void {
    if (this.#ticker !== undefined || this.#closed) return;
    const period = Math.min(this.#timing.checkpointMs, this.#timing.heartbeatMs);
    this.#ticker = setInterval(() => this.#tick(), period);
  }

  #tick(): void {
    const now = Date.now();
    for (const writer of this.#writers.values()) {
      const heartbeatDue = now - writer.lastCheckpoint >= this.#timing.heartbeatMs;
      if (writer.dirty || heartbeatDue) this.#checkpoint(writer);
      if (heartbeatDue) this.#host.post({ ...this.#wire(writer.record), status: 'streaming' });
    }
    // Remote drafts silent for longer than the timeout: check the log and the writer's lock.
    const stale = [...this.#drafts.values()].filter(
      (d) =>
        !d.local && d.status === 'streaming' && now - d.updatedAt > this.#timing.heartbeatMs * 1.5,
    );
    for (const sessionKey of new Set(stale.map((d) => d.sessionKey)))
      void this.#loadStored(sessionKey);
    if (this.#writers.size === 0 && this.#listeners.size === 0 && stale.length === 0) {
      clearInterval(this.#ticker);
      this.#ticker = undefined;
    }
  }

  /** Stops timers; drafts of this store stay in storage and will read as interrupted. */
  close(): void {
    this.#closed = true;
    clearInterval(this.#ticker);
    this.#ticker = undefined;
    for (const writer of this.#writers.values()) {
      clearTimeout(writer.broadcastTimer);
      writer.finished = true;
      writer.release?.();
    }
    this.#writers.clear();
    this.#listeners.clear();
  }
}
