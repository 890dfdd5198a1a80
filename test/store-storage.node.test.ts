/**
 * Issue 3, storage helpers where the StorageManager API is missing (Node):
 * zeros and `false`, never a throw.
 */
import { expect, it } from 'vitest';
import { estimateStorage, requestPersistentStorage } from '../src/index.js';

it('estimateStorage and requestPersistentStorage degrade without navigator.storage', async () => {
  expect(globalThis.navigator?.storage).toBeUndefined();
  expect(await estimateStorage()).toEqual({ usage: 0, quota: 0, persisted: false });
  expect(await requestPersistentStorage()).toBe(false);
});
