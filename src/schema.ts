/**
 * The IndexedDB layout (docs/design.md §5) and opening it. One database per store:
 * `events` (the log), `sessions` (one summary per session), `tombstones`
 * (deleted sessions), `drafts` (streaming replies in progress) and `meta`
 * (the commit sequence).
 */

import { type DBSchema, type IDBPDatabase, wrap } from 'idb';
import { EventStoreError } from './errors.js';
import type { AnyEvent } from './event.js';
import { randomHex } from './ids.js';
import type { Watermark } from './journal/journal.js';
import type { SessionSummary } from './summary.js';

/** Schema version of the database. Bump it with an upgrade step in {@link upgrade}. */
export const SCHEMA_VERSION = 1;

/**
 * An event as stored: the wire event plus the commit sequence that wrote it,
 * and `msg: 1` on message events only, so the sparse `message` index holds
 * messages and nothing else (a page of messages never skips other kinds).
 */
export type EventRecord = AnyEvent & { seq: number; msg?: 1 };

/** A deleted session: events at or before `timestamp` never come back. */
export interface TombstoneRecord {
  sessionKey: string;
  /** Clock time of the deletion: later than every event the deleting tab had seen. */
  timestamp: string;
  seq: number;
}

/** A streaming reply in progress, checkpointed so a crash loses at most one interval. */
export interface DraftRecord {
  id: string;
  sessionKey: string;
  agentId: string;
  model: string;
  text: string;
  /** Reasoning text so far (absent in drafts of earlier releases: none). */
  reasoning?: string;
  /** Store instance that writes it. */
  writer: string;
  /** `parent_id` of the reply it becomes (absent in drafts of earlier releases: a linear reply). */
  parentId?: string | null;
  startedAt: number;
  /** Last sign of life of the writer (ms since epoch). */
  heartbeat: number;
}

/** Database-wide state, in `meta` under the key `state`. */
export interface MetaRecord {
  /** Sequence number of the last commit (events or deletion) in any tab. */
  seq: number;
  /** Random id of this database's lifetime: tab messages must carry it. */
  instance: string;
  /**
   * Per journal segment, the last frame this database holds (src/journal):
   * absent in databases without a journal, which is read as "holds nothing".
   */
  journal?: Record<string, Watermark>;
}

/** The typed schema for idb. */
export interface SessionlogDB extends DBSchema {
  events: {
    key: string;
    value: EventRecord;
    indexes: {
      session: [string, string, string];
      message: [string, 1, string, string];
      seq: number;
    };
  };
  sessions: { key: string; value: SessionSummary };
  tombstones: { key: string; value: TombstoneRecord; indexes: { seq: number } };
  drafts: { key: string; value: DraftRecord; indexes: { session: string } };
  meta: { key: string; value: MetaRecord };
}

/** The key range of every event of a session in the `session` index (whose keys are [key, ts, id]). */
export function sessionRange(key: string): IDBKeyRange {
  // Arrays sort after strings in IndexedDB, so [key, []] bounds every [key, ts, id].
  return IDBKeyRange.bound([key], [key, []]);
}

function upgrade(db: IDBDatabase, _tx: IDBTransaction, oldVersion: number): void {
  if (oldVersion < 1) {
    const events = db.createObjectStore('events', { keyPath: 'id' });
    events.createIndex('session', ['session_key', 'timestamp', 'id']);
    events.createIndex('message', ['session_key', 'msg', 'timestamp', 'id']);
    events.createIndex('seq', 'seq');
    db.createObjectStore('sessions', { keyPath: 'sessionKey' });
    db.createObjectStore('tombstones', { keyPath: 'sessionKey' }).createIndex('seq', 'seq');
    db.createObjectStore('drafts', { keyPath: 'id' }).createIndex('session', 'sessionKey');
    const instance = randomHex(8);
    db.createObjectStore('meta').put({ seq: 0, instance } satisfies MetaRecord, 'state');
  }
}

/** Callbacks of {@link openDatabase}. */
export interface OpenHandlers {
  /** Another connection wants a newer version or to delete the database. */
  onVersionChange(): void;
  /** The browser closed the connection (site data cleared, storage lost). */
  onTerminated(): void;
}

/**
 * Opens (creating or upgrading) the database. Rejects with `unavailable`
 * without IndexedDB, `blocked` when an older connection elsewhere will not
 * close for the upgrade, `version_change` when the stored database is newer.
 */
export async function openDatabase(
  factory: IDBFactory | undefined,
  name: string,
  handlers: OpenHandlers,
): Promise<IDBPDatabase<SessionlogDB>> {
  if (!factory)
    throw new EventStoreError('unavailable', 'IndexedDB is not available in this context');
  let request: IDBOpenDBRequest;
  try {
    request = factory.open(name, SCHEMA_VERSION);
  } catch (cause) {
    throw new EventStoreError('unavailable', `IndexedDB refused to open "${name}"`, { cause });
  }
  const opened = new Promise<IDBDatabase>((resolve, reject) => {
    request.onupgradeneeded = (event) => {
      if (request.transaction) upgrade(request.result, request.transaction, event.oldVersion);
    };
    request.onblocked = () => {
      // The open stays queued in the browser: close it if it ever succeeds.
      request.onsuccess = () => request.result.close();
      reject(
        new EventStoreError(
          'blocked',
          `opening "${name}" is blocked by an older connection in another tab`,
        ),
      );
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      const error = request.error;
      const code = error?.name === 'VersionError' ? 'version_change' : 'unavailable';
      const why =
        code === 'version_change'
          ? 'was created by a newer version of sessionlog'
          : 'could not be opened';
      reject(
        new EventStoreError(code, `database "${name}" ${why}: ${error?.message ?? ''}`, {
          cause: error,
        }),
      );
    };
  });
  const db = await opened;
  db.onversionchange = () => handlers.onVersionChange();
  db.onclose = () => handlers.onTerminated();
  return wrap(db) as unknown as IDBPDatabase<SessionlogDB>;
}
