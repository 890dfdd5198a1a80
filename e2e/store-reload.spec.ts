import { expect, test } from '@playwright/test';
import { openHarness } from './harness.js';

test('everything acknowledged survives a reload and projects the same', async ({ page }) => {
  await openHarness(page);
  const db = `reload-${Date.now()}`;
  const appended = await page.evaluate(async (name) => {
    const { openEventStore, mainSessionKey } = window.sessionlog;
    const store = await openEventStore({ name });
    const key = mainSessionKey('e2e');
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const e = await store.record(key, 'e2e', { type: 'message_received', content: `m${i}` });
      ids.push(e.id);
    }
    return ids;
  }, db);
  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  const after = await page.evaluate(async (name) => {
    const { openEventStore, mainSessionKey, project } = window.sessionlog;
    const store = await openEventStore({ name });
    const key = mainSessionKey('e2e');
    const events = await store.getEvents(key);
    const projection = await store.getProjection(key);
    const same = JSON.stringify(projection) === JSON.stringify(project(events));
    return { ids: events.map((e) => e.id), same, count: projection.messageCount };
  }, db);
  expect(after.ids.sort()).toEqual([...appended].sort());
  expect(after.same).toBe(true);
  expect(after.count).toBe(30);
});
