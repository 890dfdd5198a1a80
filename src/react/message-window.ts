/**
 * A window onto a session's messages for paging UIs: the latest page first,
 * older pages on demand, kept live as messages arrive. It reads through the
 * message index (a page costs its size, never the session's length) and learns
 * of changes from the session summaries, so it never loads the whole session.
 */
import type { Message } from '../projection.js';
import type { EventStore } from '../store.js';
import type { SessionSummary } from '../summary.js';

/** What {@link MessageWindow} shows; a new object only when something in it changes. */
export interface MessageWindowState {
  /** The loaded messages, oldest first; unchanged messages keep their identity. */
  readonly messages: readonly Message[];
  /** Whether older messages exist before the first loaded one. */
  readonly hasOlder: boolean;
  /** True while the first page or an older page is being read. */
  readonly loading: boolean;
  /** The last read's failure, if it failed. */
  readonly error: unknown;
}

/** The store methods a window uses. */
export type MessageWindowStore = Pick<EventStore, 'getMessages' | 'subscribeSummaries'>;

const MAX_PAGE = 1000;

/** A live, pageable window onto one session's messages (see the file comment). */
export class MessageWindow {
  readonly #store: MessageWindowStore;
  readonly #sessionKey: string;
  readonly #pageSize: number;
  readonly #listeners = new Set<() => void>();
  #state: MessageWindowState = { messages: [], hasOlder: false, loading: true, error: undefined };
  #loaded = false;
  #summary: SessionSummary | undefined;
  #stop: (() => void) | undefined;
  /** Reads run one at a time, so a refresh never interleaves with a page of older messages. */
  #queue: Promise<void> = Promise.resolve();

  constructor(store: MessageWindowStore, sessionKey: string, pageSize = 50) {
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE)
      throw new RangeError(`pageSize must be an integer from 1 to ${MAX_PAGE}`);
    this.#store = store;
    this.#sessionKey = sessionKey;
    this.#pageSize = pageSize;
  }

  /** The current state; the same object until it changes. */
  getSnapshot = (): MessageWindowState => this.#state;

  /** Calls `listener` whenever the state changes; the first listener starts the window. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    if (!this.#stop) {
      this.#stop = this.#store.subscribeSummaries((summaries) => {
        const summary = summaries.find((s) => s.sessionKey === this.#sessionKey);
        if (summary === this.#summary) return;
        const deleted = summary === undefined;
        this.#summary = summary;
        this.#enqueue(() => this.#refresh(deleted));
      });
      this.#enqueue(() => this.#refresh());
    }
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) {
        this.#stop?.();
        this.#stop = undefined;
      }
    };
  };

  /** Reads the page of messages before the first loaded one; resolves when it is shown. */
  loadOlder = (): Promise<void> =>
    this.#enqueue(async () => {
      const first = this.#state.messages[0];
      if (!this.#state.hasOlder || !first) return;
      this.#set({ loading: true });
      const page = await this.#store.getMessages(this.#sessionKey, {
        limit: this.#pageSize,
        before: first,
      });
      this.#set({
        messages: this.#reuse([...page.messages, ...this.#state.messages]),
        hasOlder: page.hasMore,
        loading: false,
      });
    });

  /** Re-reads what the window covers: the latest page at first, then all from the first loaded message on. */
  async #refresh(restart = false): Promise<void> {
    const first = this.#state.messages[0];
    if (!this.#loaded || !first || restart) {
      const page = await this.#store.getMessages(this.#sessionKey, { limit: this.#pageSize });
      this.#loaded = true;
      this.#set({ messages: this.#reuse(page.messages), hasOlder: page.hasMore, loading: false });
      return;
    }
    const messages: Message[] = [first];
    for (let more = true; more; ) {
      const page = await this.#store.getMessages(this.#sessionKey, {
        limit: MAX_PAGE,
        after: messages[messages.length - 1]!,
      });
      messages.push(...page.messages);
      more = page.hasMore;
    }
    this.#set({ messages: this.#reuse(messages) });
  }

  /** Keeps the previous object of every message still there, and the previous array if nothing changed. */
  #reuse(messages: Message[]): readonly Message[] {
    const before = this.#state.messages;
    const byId = new Map(before.map((m) => [m.id, m]));
    const next = messages.map((m) => byId.get(m.id) ?? m);
    const same = next.length === before.length && next.every((m, i) => m === before[i]);
    return same ? before : Object.freeze(next);
  }

  #enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(job).catch((error: unknown) => {
      this.#set({ loading: false, error });
    });
    this.#queue = run;
    return run;
  }

  #set(change: Partial<MessageWindowState>): void {
    const next = { ...this.#state, error: undefined, ...change };
    const keys = Object.keys(next) as (keyof MessageWindowState)[];
    if (keys.every((k) => next[k] === this.#state[k])) return;
    this.#state = Object.freeze(next);
    for (const listener of this.#listeners) listener();
  }
}
