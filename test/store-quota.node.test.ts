/**
 * Issue 3, quota surfacing only as a transaction abort (as Chromium reports
 * it): simulated in fake-indexeddb by aborting the store's write transaction
 * with a QuotaExceededError after its last write. Every caller rejects with
 * `quota` (not a generic AbortError), nothing is written, nothing hangs.
 * Real Chromium quota is left to the Playwright reliability suite (a fresh
 * browser context): inside vitest's shared browser origin, a CDP quota
 * override did not apply reliably once the origin had opened IndexedDB.
 */
import { expect, it } from 'vitest';
import { EventStoreError, mainSessionKey } from '../src/index.js';
import { conversation, openTestStore, rawMeta, settle, withPatched } from './store-helpers.js';

it('a transaction aborted with QuotaExceededError rejects every caller with `quota`', async () => {
  const store = await openTestStore();
  const key = mainSessionKey('q');
  await store.append(conversation(store, key));
  const before = await store.getEvents(key);
  const summary = await store.getSummary(key);
  const meta = await rawMeta(store.name);
  const proto = IDBObjectStore.prototype as unknown as Record<'put', unknown>;
  const outcomes = await withPatched(
    proto,
    'put',
    (original) =>
      function (this: IDBObjectStore, ...args: unknown[]) {
        const request = original.apply(this, args) as IDBRequest;
        if (this.name === 'meta' && this.transaction.objectStoreNames.contains('events')) {
          const tx = this.transaction as IDBTransaction & { _abort(name: string): void };
          request.addEventListener('success', () => tx._abort('QuotaExceededError'));
        }
        return request;
      },
    () =>
      Promise.all([
        settle(store.append(conversation(store, key, 'a', 1))),
        settle(
          store.record(mainSessionKey('other'), 'a', { type: 'message_received', content: 'x' }),
        ),
      ]),
  );
  for (const outcome of outcomes) {
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: unknown }).error as EventStoreError;
    expect(error).toBeInstanceOf(EventStoreError);
    expect(error.code).toBe('quota');
  }
  expect(await store.getEvents(key)).toEqual(before);
  expect(await store.getSummary(key)).toEqual(summary);
  expect(await store.listSessions()).toEqual([key]);
  expect(await rawMeta(store.name)).toEqual(meta);
  expect((await store.append(conversation(store, key, 'a', 2))).added).toHaveLength(8);
  await store.close();
});
