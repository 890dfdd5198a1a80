/**
 * The sessionlog side: the library's real source (the bench page imports
 * src/, built by vite in production mode as an app would build it).
 */
import { type Durability, type EventStore, openEventStore } from '../../src/index.js';

export type Store = EventStore;

export const hasStore = typeof openEventStore === 'function';

/**
 * Opens a store on database `name`; without `durability`, the store's
 * default; `journal: false` for the rows that measure the journal's cost.
 */
export function openStore(
  name: string,
  durability?: Durability,
  journal = true,
): Promise<EventStore> {
  return openEventStore({ name, journal, ...(durability ? { durability } : {}) });
}
