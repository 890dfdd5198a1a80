/**
 * The browser side of sync: one leader tab per origin pushes the local
 * changes the server has not acknowledged and pulls what it has not seen,
 * through the store's public API. Everything the client must remember (push
 * watermark, pull cursor, held-aside events) lives in a small database of its
 * own, saved only after the server or the store acknowledged the step: a
 * crash repeats a step, and repeats are no-ops on both sides.
 */
import { EventStoreError, isEventStoreError } from '../errors.js';
import type { AnyEvent } from '../event.js';
import type { EventStore } from '../store.js';
import { changesSince } from './changes.js';
import { holdLeadership, type Leadership } from './leader.js';
import {
  type ErrorBody,
  MAX_PUSH_EVENTS,
  type PullResponse,
  type PushResponse,
  toWireEvent,
  type WireTombstone,
} from './protocol.js';
import { type HeldEvent, type SyncCheckpoint, SyncCheckpointStore } from './state.js';

/** What the client is doing. */
export type SyncState = 'idle' | 'syncing' | 'offline' | 'error';

/** A snapshot of the client's status, for a UI. */
export interface SyncStatus {
  state: SyncState;
  /** Why, when `state` is `error` (or `offline`: the failed request). */
  cause: EventStoreError | undefined;
  /** Whether this tab is the one talking to the server (others mirror its status). */
  leader: boolean;
  /** When the last complete sync ended (ms since epoch), or null. */
  lastSync: number | null;
  /** Progress of the sync in course: events pushed and pulled, and what the server said remains. */
  progress: { pushed: number; pulled: number; remaining: number | undefined };
  /** Events held aside (see {@link SyncClient.held}). */
  held: number;
}

/** Options of {@link createSync}. */
export interface SyncOptions {
  /** Base URL of the endpoints (`…/push`, `…/pull` are appended), e.g. `"/api/sync"`. */
  url: string;
  /** Headers for every request (auth); a function is called before each request. */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  /** `fetch` to use; the global one by default. */
  fetch?: typeof fetch;
  /** IndexedDB factory for the client's state; the store's environment default. */
  indexedDB?: IDBFactory;
  /** Wait for server changes with long polls (default), or only sync every `intervalMs`. */
  live?: boolean;
  /** Sync at least this often, also without long polls; default 30 s. */
  intervalMs?: number;
  /** Longest pause between retries after failures; default 60 s. */
  maxBackoffMs?: number;
}

/** A running sync: status, manual sync, held events, stop. */
export interface SyncClient {
  /** The current status (a new object on every change). */
  readonly status: SyncStatus;
  /** Calls `listener` on every status change; returns the unsubscribe function. */
  subscribe(listener: (status: SyncStatus) => void): () => void;
  /** Syncs now (in the leader tab); resolves when that sync ended, rejects with its error. */
  syncNow(): Promise<void>;
  /** Events held aside: refused by this store or by the server. Retried on every sync. */
  held(): Promise<HeldEvent[]>;
  /** Stops syncing in this tab (another tab takes over). */
  stop(): Promise<void>;
}

const PUSH_PAGE = 500;
const PULL_PAGE = 1000;
const WAIT_SECONDS = 25;

/**
 * Starts syncing `store` with the server at `options.url`. Only one tab per
 * origin talks to the server (Web Locks); the others see the results through
 * the store, as any other commit, and mirror the leader's status.
 */
export function createSync(store: EventStore, options: SyncOptions): SyncClient {
  if (typeof options?.url !== 'string' || options.url === '')
    throw new EventStoreError('validation', 'url: must be the base URL of the sync endpoints', {
      field: 'url',
    });
  const base = options.url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const interval = options.intervalMs ?? 30_000;
  const maxBackoff = options.maxBackoffMs ?? 60_000;
  const live = options.live ?? true;
  const factory = options.indexedDB ?? globalThis.indexedDB;
  const states = new SyncCheckpointStore(`${store.name}:sync`, factory);
  const channel =
    typeof BroadcastChannel === 'function' ? new BroadcastChannel(`${store.name}:sync`) : undefined;
  const listeners = new Set<(status: SyncStatus) => void>();
  let status: SyncStatus = {
    state: 'idle',
    cause: undefined,
    leader: false,
    lastSync: null,
    progress: { pushed: 0, pulled: 0, remaining: undefined },
    held: 0,
  };
  const setStatus = (patch: Partial<SyncStatus>) => {
    status = { ...status, ...patch };
    if (status.leader) channel?.postMessage(serializable(status));
    for (const listener of [...listeners]) listener(status);
  };
  channel?.addEventListener('message', (event: MessageEvent) => {
    if (event.data === 'sync-now') {
      if (status.leader) poke();
      return;
    }
    if (status.leader || typeof event.data?.state !== 'string') return;
    status = { ...deserialized(event.data), leader: false };
    for (const listener of [...listeners]) listener(status);
  });

  // Ids (and deletions) this client just took from the server: the store
  // reports them as local changes; pushing them back would be a wasted no-op.
  const echoes = new Set<string>();
  // A change to sync since the last sync started (local commit, `online`, syncNow).
  let dirty = true;
  let wake: (() => void) | undefined;
  let requested: Array<{ resolve(): void; reject(error: unknown): void }> = [];
  const poke = () => {
    dirty = true;
    wake?.();
  };

  const headers = async (extra: Record<string, string> = {}): Promise<Headers> => {
    const given = typeof options.headers === 'function' ? await options.headers() : options.headers;
    const h = new Headers(given);
    for (const [k, v] of Object.entries(extra)) h.set(k, v);
    return h;
  };

  async function request<T>(path: string, init: RequestInit, signal: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await doFetch(`${base}/${path}`, { ...init, signal });
    } catch (cause) {
      if (signal.aborted) throw cause;
      throw new EventStoreError('unavailable', `sync server unreachable: ${String(cause)}`, {
        cause,
      });
    }
    const text = await response.text();
    if (response.ok) return JSON.parse(text) as T;
    let body: ErrorBody['error'] | undefined;
    try {
      body = (JSON.parse(text) as ErrorBody).error;
    } catch {
      // not one of ours (a proxy's error page)
    }
    throw new EventStoreError(
      body?.code ?? (response.status >= 500 ? 'unavailable' : 'validation'),
      body?.message ?? `sync server answered ${response.status}`,
      { field: body?.field, index: body?.index, cause: { status: response.status } },
    );
  }

  async function pushOnce(
    events: AnyEvent[],
    tombstones: WireTombstone[],
    state: SyncCheckpoint,
    signal: AbortSignal,
  ): Promise<PushResponse | undefined> {
    let wire = events.map(toWireEvent);
    for (;;) {
      try {
        return await request<PushResponse>(
          'push',
          {
            method: 'POST',
            headers: await headers({ 'content-type': 'application/json' }),
            body: JSON.stringify({ events: wire, tombstones }),
          },
          signal,
        );
      } catch (error) {
        // One event the server refuses is held aside; the rest goes on.
        const index = isEventStoreError(error) ? error.index : undefined;
        const status = (error as { cause?: { status?: number } }).cause?.status;
        if (index === undefined || status === undefined || status >= 500 || !wire[index])
          throw error;
        state.held.push(hold('push', wire[index], error as EventStoreError));
        wire = wire.filter((_, i) => i !== index);
        if (wire.length === 0 && tombstones.length === 0) return undefined;
      }
    }
  }

  async function push(state: SyncCheckpoint, signal: AbortSignal): Promise<void> {
    for (;;) {
      const changes = await changesSince(store, state.pushed, PUSH_PAGE);
      if (changes.seq === state.pushed) break;
      const events = changes.events.filter((e) => !echoes.has(e.id));
      const tombstones = changes.tombstones
        .filter((t) => !echoes.has(`${t.sessionKey}\n${t.timestamp}`))
        .map((t) => ({ session_key: t.sessionKey, timestamp: t.timestamp }));
      for (let i = 0; i < Math.max(events.length, 1); i += MAX_PUSH_EVENTS) {
        const chunk = events.slice(i, i + MAX_PUSH_EVENTS);
        const deletions = i === 0 ? tombstones : [];
        if (chunk.length === 0 && deletions.length === 0) continue;
        await pushOnce(chunk, deletions, state, signal);
        setStatus({
          progress: { ...status.progress, pushed: status.progress.pushed + chunk.length },
        });
      }
      state.pushed = changes.seq;
      await states.save(state);
    }
    echoes.clear();
  }

  /** Takes events into the store; those it refuses are held aside, never blocking the rest. */
  async function accept(
    wire: unknown[],
    state: SyncCheckpoint,
    direction: 'pull',
  ): Promise<number> {
    let pending = wire;
    let added = 0;
    while (pending.length > 0) {
      try {
        const result = await store.append(pending as AnyEvent[]);
        for (const e of [...result.added, ...result.duplicates, ...result.skipped])
          echoes.add(e.id);
        added += result.added.length;
        return added;
      } catch (error) {
        if (!isEventStoreError(error, 'validation')) throw error;
        const index = error.index ?? (pending.length === 1 ? 0 : undefined);
        if (index === undefined) throw error;
        state.held.push(hold(direction, pending[index], error));
        pending = pending.filter((_, i) => i !== index);
      }
    }
    return added;
  }

  /** Pulled events held aside go to the store again (the clock may have caught up). */
  async function retryHeld(state: SyncCheckpoint): Promise<void> {
    const pulled = state.held.filter((h) => h.direction === 'pull');
    if (pulled.length === 0) return;
    state.held = state.held.filter((h) => h.direction !== 'pull');
    await accept(
      pulled.map((h) => h.event),
      state,
      'pull',
    );
  }

  async function retryHeldPushes(state: SyncCheckpoint, signal: AbortSignal): Promise<void> {
    const pushed = state.held.filter((h) => h.direction === 'push');
    if (pushed.length === 0) return;
    state.held = state.held.filter((h) => h.direction !== 'push');
    let wire = pushed.map((h) => h.event);
    while (wire.length > 0) {
      try {
        await request<PushResponse>(
          'push',
          {
            method: 'POST',
            headers: await headers({ 'content-type': 'application/json' }),
            body: JSON.stringify({ events: wire }),
          },
          signal,
        );
        break;
      } catch (error) {
        const index = isEventStoreError(error) ? error.index : undefined;
        const code = (error as { cause?: { status?: number } }).cause?.status;
        if (index === undefined || code === undefined || code >= 500) {
          state.held.push(...wire.map((event) => pushed.find((h) => h.event === event)!));
          throw error;
        }
        state.held.push(pushed.find((h) => h.event === wire[index])!);
        wire = wire.filter((_, i) => i !== index);
      }
    }
  }

  async function pullPage(
    state: SyncCheckpoint,
    signal: AbortSignal,
    wait: number,
    first: boolean,
  ) {
    const query = new URLSearchParams({ limit: String(PULL_PAGE) });
    if (state.cursor) query.set('cursor', state.cursor);
    if (wait > 0) query.set('wait', String(wait));
    if (first) query.set('count', '1');
    const page = await request<PullResponse>(`pull?${query}`, { headers: await headers() }, signal);
    for (const t of page.tombstones) {
      echoes.add(`${t.session_key}\n${t.timestamp}`);
      await store.deleteSession(t.session_key, { at: t.timestamp });
    }
    const added = await accept(page.events, state, 'pull');
    state.cursor = page.cursor;
    await states.save(state);
    const remaining = page.remaining ?? status.progress.remaining;
    setStatus({
      held: state.held.length,
      progress: {
        ...status.progress,
        pulled: status.progress.pulled + page.events.length,
        remaining:
          remaining === undefined ? undefined : Math.max(0, remaining - page.events.length),
      },
    });
    return { page, added };
  }

  /** One full sync: held events, push everything, pull until caught up. */
  async function syncOnce(state: SyncCheckpoint, signal: AbortSignal): Promise<void> {
    dirty = false;
    setStatus({
      state: 'syncing',
      cause: undefined,
      progress: { pushed: 0, pulled: 0, remaining: undefined },
    });
    await retryHeld(state);
    await push(state, signal);
    await retryHeldPushes(state, signal);
    let first = true;
    for (;;) {
      const { page } = await pullPage(state, signal, 0, first);
      first = false;
      if (!page.more) break;
    }
    state.lastSync = Date.now();
    await states.save(state);
    setStatus({
      state: 'idle',
      cause: undefined,
      lastSync: state.lastSync,
      held: state.held.length,
    });
  }

  async function lead(signal: AbortSignal): Promise<void> {
    const state = await states.load();
    setStatus({ leader: true, lastSync: state.lastSync, held: state.held.length });
    const unsubscribe = store.subscribeSummaries(() => poke());
    const onOnline = () => poke();
    globalThis.addEventListener?.('online', onOnline);
    let failures = 0;
    try {
      while (!signal.aborted) {
        const waiters = requested;
        requested = [];
        try {
          await syncOnce(state, signal);
          failures = 0;
          for (const w of waiters) w.resolve();
        } catch (error) {
          if (signal.aborted) break;
          const cause = isEventStoreError(error)
            ? error
            : new EventStoreError('storage', String(error), { cause: error });
          failures++;
          const offline = cause.code === 'unavailable' || globalThis.navigator?.onLine === false;
          setStatus({ state: offline ? 'offline' : 'error', cause });
          for (const w of waiters) w.reject(cause);
        }
        // Wait: for a server change (long poll), a local change, `online`, syncNow or the interval.
        const pause =
          failures > 0
            ? Math.min(maxBackoff, 1000 * 2 ** (failures - 1)) * (0.5 + Math.random() / 2)
            : interval;
        await idle(state, signal, pause, failures === 0 && live);
      }
    } finally {
      unsubscribe();
      globalThis.removeEventListener?.('online', onOnline);
      setStatus({ leader: false });
    }
  }

  /** Resolves on a poke, after `ms`, on abort, or when a long poll brought changes. */
  async function idle(
    state: SyncCheckpoint,
    signal: AbortSignal,
    ms: number,
    poll: boolean,
  ): Promise<void> {
    const stop = new AbortController();
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = resolve;
      signal.addEventListener('abort', () => resolve(), { once: true });
      stop.signal.addEventListener('abort', () => clearTimeout(timer), { once: true });
    });
    if (dirty) wake?.();
    const polling = poll
      ? pullPage(state, AbortSignal.any([signal, stop.signal]), WAIT_SECONDS, false).then(
          () => undefined,
          () => undefined, // a failed poll: the next sync reports it
        )
      : undefined;
    await (polling ? Promise.race([done, polling]) : done);
    wake = undefined;
    stop.abort();
    await polling; // never two pulls at once: the cursor is saved in order
  }

  const leadership: Leadership = holdLeadership(`sessionlog-sync:${store.name}`, lead);

  return {
    get status() {
      return status;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    syncNow() {
      return new Promise<void>((resolve, reject) => {
        let unsubscribe: (() => void) | undefined;
        let settled = false;
        const settle =
          <T>(fn: (value: T) => void) =>
          (value: T) => {
            if (settled) return;
            settled = true;
            unsubscribe?.();
            fn(value);
          };
        requested.push({ resolve: settle(resolve), reject: settle(reject) });
        poke();
        if (!channel || status.leader) return;
        // Another tab may lead: ask it, and follow its status to the end of that sync.
        const asked = Date.now();
        unsubscribe = this.subscribe((s) => {
          if (s.leader) return; // this tab leads: its own sync answers
          if (s.state === 'idle' && (s.lastSync ?? 0) >= asked) settle(resolve)(undefined);
          else if (s.state === 'error' || s.state === 'offline') settle(reject)(s.cause);
        });
        channel.postMessage('sync-now');
      });
    },
    async held() {
      return (await states.load()).held;
    },
    async stop() {
      leadership.stop();
      channel?.close();
      poke();
      await states.close();
    },
  };
}

function hold(direction: 'pull' | 'push', event: unknown, error: EventStoreError): HeldEvent {
  return {
    direction,
    event,
    error: { code: error.code, message: error.message, field: error.field },
    since: Date.now(),
  };
}

/** A status as a BroadcastChannel can carry it (an Error's fields, not the Error). */
function serializable(status: SyncStatus): unknown {
  const cause = status.cause;
  return {
    ...status,
    cause: cause && { code: cause.code, message: cause.message, field: cause.field },
  };
}

function deserialized(data: Record<string, unknown>): SyncStatus {
  const cause = data.cause as
    | { code: EventStoreError['code']; message: string; field?: string }
    | undefined;
  return {
    ...(data as unknown as SyncStatus),
    cause: cause
      ? new EventStoreError(cause.code, cause.message, { field: cause.field })
      : undefined,
  };
}
