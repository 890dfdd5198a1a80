/**
 * The sessionlog side: the library's real source (the bench page imports
 * src/, built by vite in production mode as an app would build it).
 */
import {
  type Durability,
  destroyEventStore,
  type EventStore,
  type JournalOptions,
  openEventStore,
} from '../../src/index.js';

export type Store = EventStore;

export const hasStore = typeof openEventStore === 'function';

/**
 * Opens a store on database `name`; without `durability`, the store's
 * default; `journal: false` for the rows that measure the journal's cost
 * (options such as `{ flush: 'never' }` for the row without its flush).
 */
export function openStore(
  name: string,
  durability?: Durability,
  journal: boolean | JournalOptions = true,
): Promise<EventStore> {
  return openEventStore({ name, journal, ...(durability ? { durability } : {}) });
}

/**
 * Deletes database `name` and its journal (a plain deleteDatabase would leave
 * the journal, and the next store opened on the name would restore from it).
 */
export function destroyStore(name: string): Promise<void> {
  return destroyEventStore(name);
}
