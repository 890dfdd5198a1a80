/**
 * Shared test helpers: the IndexedDB factory of the environment (the real one
 * in Chromium, fake-indexeddb in Node) and unique database names.
 */
import { IDBFactory as FakeFactory } from 'fake-indexeddb';

/** The real IndexedDB where there is one, else a fresh in-memory fake. */
export function factory(): IDBFactory {
  return typeof indexedDB !== 'undefined' ? indexedDB : (new FakeFactory() as IDBFactory);
}

let counter = 0;
/** A database name no other test uses. */
export function uniqueName(prefix = 'test'): string {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Deletes a database by name (in whichever IndexedDB the environment has). */
export function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = factory().deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
}
