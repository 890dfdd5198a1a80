/**
 * Helpers of the store suite (test/store-*.test.ts): opening stores on unique
 * databases, a raw IndexedDB connection to the same database (to look at or
 * tamper with what the store wrote), a tapped IDBFactory that records every
 * connection and transaction the store makes, and a way to make IndexedDB
 * fail on purpose for one call.
 */

import { computeEventId } from '../src/ids.js';
import {
  type AnyEvent,
  createEvent,
  type EventKindInput,
  type EventStore,
  type OpenEventStoreOptions,
  openEventStore,
} from '../src/index.js';
import type { MetaRecord } from '../src/schema.js';
import { normalizeTimestamp } from '../src/timestamp.js';
import { factory, uniqueName } from './helpers.js';

/** Opens a store on a fresh database (no tab channel unless asked). */
export function openTestStore(options: OpenEventStoreOptions = {}): Promise<EventStore> {
  return openEventStore({
    name: uniqueName('store'),
    indexedDB: factory(),
    crossTab: false,
    ...options,
  });
}

/** Settles `promise` or fails after `ms`: a hanging promise is a test failure, not a timeout. */
export function within<T>(promise: Promise<T>, ms = 5_000): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`promise still pending after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The outcome of a promise, with a hang reported as an outcome too. */
export async function settle<T>(
  promise: Promise<T>,
  ms = 5_000,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await within(promise, ms) };
  } catch (error) {
    return { ok: false, error };
  }
}

/** Polls `check` until it holds (live state is updated after commits, asynchronously). */
export async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function requestResult<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** A raw connection to a database (no version: the current one, creating v1 if missing). */
export function rawOpen(
  name: string,
  version?: number,
  upgrade?: (db: IDBDatabase) => void,
): Promise<IDBDatabase> {
  const request = version === undefined ? factory().open(name) : factory().open(name, version);
  if (upgrade) request.onupgradeneeded = () => upgrade(request.result);
  return requestResult(request);
}

/** Every record of an object store, read through a raw connection. */
export async function rawAll<T = unknown>(name: string, store: string): Promise<T[]> {
  const db = await rawOpen(name);
  try {
    return await requestResult(db.transaction(store, 'readonly').objectStore(store).getAll());
  } finally {
    db.close();
  }
}

/** The database's commit sequence (meta `state`), read through a raw connection. */
export async function rawMeta(name: string): Promise<MetaRecord> {
  const db = await rawOpen(name);
  try {
    const meta = db.transaction('meta', 'readonly').objectStore('meta').get('state');
    return (await requestResult(meta)) as MetaRecord;
  } finally {
    db.close();
  }
}

/** Writes records into a store through a raw connection, bypassing every check of the store. */
export async function rawPut(name: string, store: string, records: unknown[]): Promise<void> {
  const db = await rawOpen(name);
  try {
    const tx = db.transaction(store, 'readwrite');
    for (const record of records) tx.objectStore(store).put(record);
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** Deletes a database; fails (instead of waiting forever) if a connection blocks it. */
export function rawDelete(name: string): Promise<void> {
  const request = factory().deleteDatabase(name);
  return within(
    new Promise<void>((resolve, reject) => {
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error(`deleting "${name}" is blocked`));
    }),
  );
}

/** A transaction the store created, as seen through a {@link tappedFactory}. */
export interface SeenTransaction {
  stores: string[];
  mode: IDBTransactionMode;
  durability: string;
  /** How it ended: settles when it completes or aborts. */
  ended: Promise<'complete' | 'abort'>;
}

/**
 * An IDBFactory that hands out the environment's real connections but records
 * them, and every transaction made on them (through `db.transaction`, which
 * idb and the store use for everything). `log` receives `tx<n>:complete` and
 * `tx<n>:abort` lines in the order they happen.
 */
export function tappedFactory() {
  const real = factory();
  const connections: IDBDatabase[] = [];
  const transactions: SeenTransaction[] = [];
  const log: string[] = [];
  const state = { failOpen: false, opens: 0 };
  const tapped = {
    open(name: string, version?: number): IDBOpenDBRequest {
      state.opens++;
      if (state.failOpen) throw new DOMException('opening is refused', 'UnknownError');
      const request = version === undefined ? real.open(name) : real.open(name, version);
      request.addEventListener('success', () => {
        const db = request.result;
        connections.push(db);
        const original = db.transaction;
        db.transaction = function (
          this: IDBDatabase,
          ...args: Parameters<IDBDatabase['transaction']>
        ) {
          const tx = original.apply(this, args);
          const n = transactions.length;
          const ended = new Promise<'complete' | 'abort'>((resolve) => {
            tx.addEventListener('complete', () => {
              log.push(`tx${n}:complete`);
              resolve('complete');
            });
            tx.addEventListener('abort', () => {
              log.push(`tx${n}:abort`);
              resolve('abort');
            });
          });
          transactions.push({
            stores: [...tx.objectStoreNames],
            mode: tx.mode,
            durability: (tx as IDBTransaction & { durability?: string }).durability ?? 'default',
            ended,
          });
          return tx;
        } as IDBDatabase['transaction'];
      });
      return request;
    },
    deleteDatabase: (name: string) => real.deleteDatabase(name),
    cmp: (a: unknown, b: unknown) => real.cmp(a, b),
    databases: () => real.databases(),
  };
  return {
    factory: tapped as unknown as IDBFactory,
    connections,
    transactions,
    log,
    state,
    /** Read-write transactions that write events (appends, deletions, imports). */
    writes: () => transactions.filter((t) => t.mode === 'readwrite' && t.stores.includes('events')),
  };
}

/**
 * Replaces `proto[method]` while `body` runs (IDBObjectStore.prototype.put,
 * …): the store calls IndexedDB through the prototypes, in Node
 * (fake-indexeddb's classes are the globals) as in Chromium.
 */
export async function withPatched<T, K extends string>(
  proto: Record<K, unknown>,
  method: K,
  replacement: (original: (...args: unknown[]) => unknown) => (...args: unknown[]) => unknown,
  body: () => Promise<T>,
): Promise<T> {
  const original = proto[method] as (...args: unknown[]) => unknown;
  proto[method] = replacement(original);
  try {
    return await body();
  } finally {
    proto[method] = original;
  }
}

/** One kind of each known type, numbered `n` (a realistic little conversation). */
export function kindsFor(n = 0): EventKindInput[] {
  return [
    { type: 'session_started', channel: 'web', peer_id: `peer-${n}` },
    { type: 'message_received', content: `question ${n}` },
    { type: 'tool_called', tool_name: 'search', params: { q: `q${n}`, page: 1 } },
    { type: 'tool_result', tool_name: 'search', result: { hits: [n, n + 1] }, success: true },
    {
      type: 'agent_response',
      content: `answer ${n}`,
      model: 'm1',
      tokens: { input_tokens: 10 + n, output_tokens: 20, cache_read_tokens: n % 3 },
    },
    { type: 'message_sent', content: `note ${n}`, message_id: `mid-${n}` },
    { type: 'state_changed', key: 'title', value: `title ${n}` },
    { type: 'session_ended', reason: 'done' },
  ];
}

/** One event of each known kind for a session, stamped by the store's clock in this order. */
export function conversation(store: EventStore, key: string, agent = 'default', n = 0): AnyEvent[] {
  return kindsFor(n).map((kind) => createEvent(key, agent, kind, { clock: store.clock }));
}

/** UTF-8 size of an event's JSON, as the store counts `bytes` in summaries. */
export function jsonBytes(events: readonly AnyEvent[]): number {
  const encoder = new TextEncoder();
  return events.reduce((sum, e) => sum + encoder.encode(JSON.stringify(e)).length, 0);
}

/**
 * A valid event of a kind this version does not know (as a newer version
 * would write it), with a correct id; timestamps must be normalized or ISO.
 */
export function unknownKindEvent(key: string, timestamp: string, n = 0): AnyEvent {
  const content = {
    session_key: key,
    agent_id: 'future',
    timestamp: normalizeTimestamp(timestamp),
    origin: 'f'.repeat(16),
    kind: { type: 'reaction_added', emoji: '👍', target: n },
  };
  return { id: computeEventId(content), ...content };
}
