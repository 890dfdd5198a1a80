/**
 * The peers of scenario 1, used as their documentation shows.
 *
 * - Dexie: one table keyed by `id` with the same compound index as the raw
 *   side; durability through Dexie's `chromeTransactionDurability` option.
 *   `bulkAdd` is its batch path, `add` per call its one-at-a-time path (each
 *   call outside a transaction is its own implicit transaction).
 * - TinyBase: a MergeableStore (its CRDT store) with the IndexedDB persister.
 *   Cells are scalars, so `kind` is stored as JSON text. TinyBase's best case
 *   is measured: all rows in one store transaction, then one `save()` (the
 *   persister writes the whole mergeable content on every save, so autosave
 *   after each of 10,000 separate calls would save the store 10,000 times).
 *   It has no durability option; for the strict run its `transaction()` calls
 *   are given `{ durability: 'strict' }` by a shim, so both modes compare like
 *   with like.
 */
import Dexie from 'dexie';
import { createMergeableStore } from 'tinybase';
import { createIndexedDbPersister } from 'tinybase/persisters/persister-indexed-db';
import type { AnyEvent } from '../../src/index.js';
import type { Durability } from '../protocol.js';

export async function openDexie(name: string, durability: Durability): Promise<Dexie> {
  const db = new Dexie(name, { chromeTransactionDurability: durability });
  db.version(1).stores({ events: 'id, [session_key+timestamp+id]' });
  await db.open();
  return db;
}

export async function dexieBulkAdd(db: Dexie, events: readonly AnyEvent[]): Promise<void> {
  await db.table('events').bulkAdd(events as AnyEvent[]);
}

export async function dexieAddEach(db: Dexie, events: readonly AnyEvent[]): Promise<void> {
  const table = db.table('events');
  await Promise.all(events.map((e) => table.add(e)));
}

/** Runs `fn` with every IndexedDB transaction given `durability` (TinyBase has no option). */
export async function withDurability<T>(durability: Durability, fn: () => Promise<T>): Promise<T> {
  const original = IDBDatabase.prototype.transaction;
  IDBDatabase.prototype.transaction = function (
    this: IDBDatabase,
    names: string | string[],
    mode?: IDBTransactionMode,
    options?: IDBTransactionOptions,
  ) {
    return original.call(this, names, mode, { ...options, durability });
  };
  try {
    return await fn();
  } finally {
    IDBDatabase.prototype.transaction = original;
  }
}

function row(e: AnyEvent) {
  return {
    session_key: e.session_key,
    agent_id: e.agent_id,
    timestamp: e.timestamp,
    origin: e.origin ?? '',
    kind: JSON.stringify(e.kind),
  };
}

/**
 * Stores `events` in a fresh MergeableStore and persists it; returns ms of the
 * timed part. `batched`: all rows in one store transaction, then one `save()`
 * (TinyBase's best case). Otherwise: autosave on, one `setRow` per event (each
 * its own store transaction, so each schedules a save of the whole content),
 * then a final `save()`, which resolves after every queued save.
 */
export async function tinybaseBurst(
  name: string,
  events: readonly AnyEvent[],
  durability: Durability,
  batched: boolean,
): Promise<number> {
  const store = createMergeableStore();
  const persister = createIndexedDbPersister(store, name);
  const ms = await withDurability(durability, async () => {
    if (!batched) await persister.startAutoSave();
    const t0 = performance.now();
    if (batched) {
      store.transaction(() => {
        for (const e of events) store.setRow('events', e.id, row(e));
      });
    } else {
      for (const e of events) store.setRow('events', e.id, row(e));
    }
    await persister.save();
    return performance.now() - t0;
  });
  await persister.destroy();
  return ms;
}
