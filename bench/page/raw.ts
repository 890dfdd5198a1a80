/**
 * Plain IndexedDB, no library: the "practical limit" the others are measured
 * against. Same records as sessionlog stores (the events themselves), an
 * object store keyed by `id` with one compound index on
 * (session_key, timestamp, id) — the index a page of messages is read from —
 * and a `sessions` store for the summaries of scenario 5.
 */
import type { Durability } from '../protocol.js';

export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export function txDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

/** Opens (creating if needed) a raw database with the bench schema. */
export function openRaw(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    const db = req.result;
    const events = db.createObjectStore('events', { keyPath: 'id' });
    events.createIndex('session', ['session_key', 'timestamp', 'id']);
    db.createObjectStore('sessions', { keyPath: 'sessionKey' });
  };
  return request(req);
}

/**
 * A raw database with sessionlog's own event indexes (session order, a sparse
 * message index, commit sequence): what its schema costs, without the library.
 */
export function openRawThreeIndexes(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    const events = req.result.createObjectStore('events', { keyPath: 'id' });
    events.createIndex('session', ['session_key', 'timestamp', 'id']);
    events.createIndex('message', ['session_key', 'msg', 'timestamp', 'id']);
    events.createIndex('seq', 'seq');
  };
  return request(req);
}

/**
 * A raw database with sessionlog's stores for a commit (events with its three
 * indexes, summaries, `meta`): the floor of an append's own transaction.
 */
export function openRawCommitLayout(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => {
    const db = req.result;
    const events = db.createObjectStore('events', { keyPath: 'id' });
    events.createIndex('session', ['session_key', 'timestamp', 'id']);
    events.createIndex('message', ['session_key', 'msg', 'timestamp', 'id']);
    events.createIndex('seq', 'seq');
    db.createObjectStore('sessions', { keyPath: 'sessionKey' });
    db.createObjectStore('meta').put({ seq: 0, instance: 'raw' }, 'state');
  };
  return request(req);
}

/**
 * What a sessionlog append asks of IndexedDB, without the library: one
 * transaction over events, sessions and meta, with `meta`'s read, the event's
 * add, the summary's put and `meta`'s put, all sent at once.
 */
export async function commitOne(
  db: IDBDatabase,
  record: unknown,
  summary: unknown,
  seq: number,
  durability: Durability,
): Promise<void> {
  const tx = db.transaction(['events', 'sessions', 'meta'], 'readwrite', { durability });
  const done = txDone(tx); // listening before any await: the transaction cannot complete unheard
  const meta = tx.objectStore('meta');
  const read = request(meta.get('state'));
  tx.objectStore('events').add(record);
  tx.objectStore('sessions').put(summary);
  meta.put({ seq, instance: 'raw' }, 'state');
  await Promise.all([read, done]);
}

const MESSAGE_KINDS = new Set([
  'message_received',
  'message_sent',
  'agent_response',
  'tool_result',
]);

/** The record sessionlog would store: the event, its commit sequence, `msg: 1` on messages. */
export function withIndexFields(event: { kind: { type: string } }, seq: number): unknown {
  return MESSAGE_KINDS.has(event.kind.type) ? { ...event, seq, msg: 1 } : { ...event, seq };
}

/** Opens an existing database without upgrading it (cold open). */
export function openExisting(name: string): Promise<IDBDatabase> {
  return request(indexedDB.open(name));
}

/** All records in one readwrite transaction. */
export function putAll(
  db: IDBDatabase,
  records: readonly unknown[],
  durability: Durability,
  storeName = 'events',
): Promise<void> {
  const tx = db.transaction(storeName, 'readwrite', { durability });
  const store = tx.objectStore(storeName);
  for (const r of records) store.put(r);
  return txDone(tx);
}

/** One record in its own readwrite transaction. */
export function putOne(db: IDBDatabase, record: unknown, durability: Durability): Promise<void> {
  const tx = db.transaction('events', 'readwrite', { durability });
  tx.objectStore('events').put(record);
  return txDone(tx);
}

/** The index range of one session's events in (timestamp, id) order. */
export function sessionRange(key: string): IDBKeyRange {
  return IDBKeyRange.bound([key], [key, []]);
}

interface GetAllRecordsIndex {
  getAllRecords(options: {
    query?: IDBKeyRange | null;
    count?: number;
    direction?: IDBCursorDirection;
  }): IDBRequest<Array<{ key: unknown; primaryKey: unknown; value: unknown }>>;
}

export const hasGetAllRecords =
  typeof IDBIndex !== 'undefined' && 'getAllRecords' in IDBIndex.prototype;

/**
 * The latest `count` events of a session, newest first, with one `getAll`-
 * style call on the index range: `getAllRecords({ direction: 'prev' })`
 * (IndexedDB 3.0) where the browser has it, else a `prev` cursor.
 */
export async function latestByGetAll(
  index: IDBIndex,
  key: string,
  count: number,
): Promise<unknown[]> {
  if (hasGetAllRecords) {
    const records = await request(
      (index as unknown as GetAllRecordsIndex).getAllRecords({
        query: sessionRange(key),
        count,
        direction: 'prev',
      }),
    );
    return records.map((r) => r.value);
  }
  return latestByCursor(index, key, count);
}

/** The latest `count` events of a session, newest first, with a `prev` cursor. */
export function latestByCursor(index: IDBIndex, key: string, count: number): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const out: unknown[] = [];
    const req = index.openCursor(sessionRange(key), 'prev');
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor || out.length >= count) return resolve(out);
      out.push(cursor.value);
      if (out.length >= count) resolve(out);
      else cursor.continue();
    };
    req.onerror = () => reject(req.error);
  });
}
