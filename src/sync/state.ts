/**
 * The sync client's own persisted state, in an IndexedDB database of its own
 * beside the store's (`<store name>:sync`): how far local changes were pushed,
 * where the next pull starts, and the events held aside.
 */
import { type IDBPDatabase, wrap } from 'idb';
import { type ErrorCode, EventStoreError } from '../errors.js';

/** An event this device could not take from the server, or the server would not take from it. */
export interface HeldEvent {
  /** `pull`: the server's event this store refused; `push`: a local event the server refused. */
  direction: 'pull' | 'push';
  /** The event as it crossed the wire. */
  event: unknown;
  /** Why, as the store or the server said it. */
  error: { code: ErrorCode; message: string; field?: string | undefined };
  /** When it was first held (ms since epoch). */
  since: number;
}

/** What survives a reload. */
export interface SyncCheckpoint {
  /** Local commit sequence up to which the server acknowledged everything. */
  pushed: number;
  /** The server's pull cursor ('' before the first pull). */
  cursor: string;
  held: HeldEvent[];
  /** When the last complete sync ended (ms since epoch), or null. */
  lastSync: number | null;
}

const INITIAL: SyncCheckpoint = { pushed: 0, cursor: '', held: [], lastSync: null };

/** Reads and writes {@link SyncCheckpoint} in its database. */
export class SyncCheckpointStore {
  readonly #db: Promise<IDBPDatabase>;

  constructor(name: string, factory: IDBFactory) {
    this.#db = new Promise<IDBDatabase>((resolve, reject) => {
      const request = factory.open(name, 1);
      request.onupgradeneeded = () => request.result.createObjectStore('state');
      request.onsuccess = () => {
        // Never hold up another tab's upgrade of this small database.
        request.result.onversionchange = () => request.result.close();
        resolve(request.result);
      };
      request.onerror = () =>
        reject(
          new EventStoreError('unavailable', `sync state "${name}" could not be opened`, {
            cause: request.error,
          }),
        );
      request.onblocked = () =>
        reject(new EventStoreError('blocked', `sync state "${name}" is blocked`));
    }).then((db) => wrap(db));
    this.#db.catch(() => {}); // reported by the first load
  }

  /** The saved state, or the initial one. */
  async load(): Promise<SyncCheckpoint> {
    const saved = (await (await this.#db).get('state', 'state')) as SyncCheckpoint | undefined;
    return saved ? { ...INITIAL, ...saved } : { ...INITIAL, held: [] };
  }

  /** Saves the whole state (small: a few numbers and the held events). */
  async save(state: SyncCheckpoint): Promise<void> {
    await (await this.#db).put('state', state, 'state');
  }

  /** Closes the database. */
  async close(): Promise<void> {
    (await this.#db.catch(() => undefined))?.close();
  }
}
