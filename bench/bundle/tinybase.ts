// Scenario 7: what the TinyBase side of the benchmark uses: a MergeableStore and its IndexedDB persister.
export { createMergeableStore } from 'tinybase';
export { createIndexedDbPersister } from 'tinybase/persisters/persister-indexed-db';
