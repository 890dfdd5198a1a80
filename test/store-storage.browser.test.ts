/**
 * Issue 3, storage helpers in real Chromium: usage and quota are real
 * numbers, persistence is a boolean, and usage grows once data is written.
 */
import { expect, it } from 'vitest';
import {
  createEvent,
  estimateStorage,
  mainSessionKey,
  requestPersistentStorage,
} from '../src/index.js';
import { openTestStore } from './store-helpers.js';

it('estimateStorage and requestPersistentStorage report sane values', async () => {
  const first = await estimateStorage();
  expect(Number.isFinite(first.usage)).toBe(true);
  expect(first.usage).toBeGreaterThanOrEqual(0);
  expect(first.quota).toBeGreaterThan(0);
  expect(first.usage).toBeLessThanOrEqual(first.quota);
  expect(typeof first.persisted).toBe('boolean');
  const granted = await requestPersistentStorage();
  expect(typeof granted).toBe('boolean');
  // What was granted is what the browser now reports.
  expect((await estimateStorage()).persisted).toBe(granted);

  // Writing about 1 MB (not compressible) shows up in the usage.
  const store = await openTestStore();
  const key = mainSessionKey('storage');
  const bytes = new Uint8Array(60_000);
  const events = Array.from({ length: 16 }, (_, i) => {
    crypto.getRandomValues(bytes);
    const content = Array.from(bytes, (b) => String.fromCharCode(0x21 + (b % 94))).join('');
    return createEvent(
      key,
      'a',
      { type: 'message_received', content: `${i}${content}` },
      { clock: store.clock },
    );
  });
  await store.append(events);
  await store.flush();
  // The browser's usage figure may lag the commit a little.
  let after = await estimateStorage();
  for (let i = 0; i < 20 && after.usage <= first.usage; i++) {
    await new Promise((r) => setTimeout(r, 100));
    after = await estimateStorage();
  }
  expect(after.usage).toBeGreaterThan(first.usage);
  expect(after.usage).toBeLessThanOrEqual(after.quota);
  await store.close();
});
