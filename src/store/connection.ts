/**
 * The connection to the database: opening it (and checking it is a
 * sessionlog database), reopening once a connection the browser closed,
 * another tab's version change, and running a transaction atomically.
 */
import { type IDBPDatabase, unwrap } from 'idb';
import { EventStoreError } from '../errors.js';
import { type MetaRecord, openDatabase, type SessionlogDB } from '../schema.js';

/** The open database, typed. */
export type Db = IDBPDatabase<SessionlogDB>;

/** Stores a commit writes (events, summaries, the sequence, finished drafts). */
export const WRITE_STORES = ['events', 'sessions', 'tombstones', 'meta', 'drafts'] as const;

/** What a connection is: usable, closed by `close()`, or closed by another tab's upgrade. */
export type ConnectionState = 'open' | 'closed' | 'version_change';

/**
 * Runs `work` in `tx` and resolves after the transaction completes. If `work`
 * fails, the transaction is aborted (never left to auto-commit half of it) and
 * the transaction's own error (QuotaExceededError, say) wins over the
 * AbortErrors of its requests.
 */
export async function atomically<
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

/** The result of a plain IndexedDB request. */
export function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Maps what IndexedDB (or a listener) throws to a typed error; the original stays as `cause`. */
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

/** `globalThis.indexedDB`, or `undefined` where reading it throws (storage blocked for the page). */
export function defaultFactory(): IDBFactory | undefined {
  try {
    return globalThis.indexedDB;
  } catch {
    return undefined;
  }
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

/** The connection of one store to its database. */
export class Connection {
  /** Database name. */
  readonly name: string;
  /** Resolves with the database's state at open (sequence, instance token). */
  readonly ready: Promise<MetaRecord>;
  readonly #factory: IDBFactory | undefined;
  readonly #onVersionChange: () => void;
  #db: Db | undefined;
  #state: ConnectionState = 'open';
  #wasReset = false;

  /**
   * @param onVersionChange called once when another tab upgrades or deletes
   *   the database (the connection is closed by then)
   */
  constructor(name: string, factory: IDBFactory | undefined, onVersionChange: () => void) {
    this.name = name;
    this.#factory = factory;
    this.#onVersionChange = onVersionChange;
    this.ready = this.#open();
  }

  /** Whether the connection is open, closed, or closed by a version change. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** The IndexedDB factory it opens with (`destroy` deletes through the same one). */
  get factory(): IDBFactory | undefined {
    return this.#factory;
  }

  /** Whether this database replaced one this origin had before (see `EventStore.wasReset`). */
  get wasReset(): boolean {
    return this.#wasReset;
  }

  async #open(): Promise<MetaRecord> {
    const db = await this.#connect();
    let meta: MetaRecord | undefined;
    let cause: unknown;
    try {
      // Plain IndexedDB: idb's wrapper is more code to run on a freshly loaded page.
      const store = unwrap(db).transaction('meta', 'readonly').objectStore('meta');
      meta = (await request(store.get('state'))) as MetaRecord | undefined;
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
    this.#wasReset = rememberInstance(this.name, meta.instance);
    return meta;
  }

  async #connect(): Promise<Db> {
    const db = await openDatabase(this.#factory, this.name, {
      onVersionChange: () => {
        if (this.#state !== 'open') return;
        this.#state = 'version_change';
        this.#db?.close();
        this.#db = undefined;
        this.#onVersionChange();
      },
      onTerminated: () => {
        this.#db = undefined; // reopened on next use
      },
    });
    this.#db = db;
    return db;
  }

  /** The error for a call on a connection that is no longer open. */
  unusable(): EventStoreError {
    return this.#state === 'version_change'
      ? new EventStoreError(
          'version_change',
          `database "${this.name}" was upgraded or deleted by another tab; reopen the store`,
        )
      : new EventStoreError('closed', `store "${this.name}" is closed`);
  }

  async #database(): Promise<Db> {
    await this.ready;
    if (this.#state !== 'open') throw this.unusable();
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
  async run<T>(work: (db: Db) => Promise<T>): Promise<T> {
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

  /** Closes the connection for good; later calls reject with `closed`. */
  close(): void {
    if (this.#state === 'open') this.#state = 'closed';
    this.#db?.close();
    this.#db = undefined;
  }
}
