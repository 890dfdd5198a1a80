/** Deleting a store on purpose: its database and its journal, so nothing is restored. */
import { EventStoreError } from '../errors.js';
import { defaultFactory, toStoreError } from '../store/connection.js';

/**
 * Deletes database `name` and its journal on purpose: nothing is restored
 * afterwards. Stores open on it in other tabs close (`versionchange`).
 */
export async function destroyEventStore(
  name = 'sessionlog',
  options: { indexedDB?: IDBFactory | undefined } = {},
): Promise<void> {
  const factory = 'indexedDB' in options ? options.indexedDB : defaultFactory();
  if (!factory) throw new EventStoreError('unavailable', 'IndexedDB is not available here');
  await new Promise<void>((resolve, reject) => {
    const request = factory.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(toStoreError(request.error));
  });
  const { removeJournal } = await import('./segments.js');
  await removeJournal(name);
  try {
    globalThis.localStorage?.removeItem(`sessionlog:${name}:instance`);
  } catch {
    // storage disabled: nothing remembered
  }
}
