/**
 * Offline: the service worker precaches the built app, so after one visit the
 * demo loads with the network off, and what is sent offline is stored.
 */
import { expect, test } from '@playwright/test';
import { DEMO_URL, newChat, openDemo, send, texts, waitForReplies } from './demo-app.js';

test('after one visit the app loads and works offline', async ({ page, context }) => {
  await openDemo(page);
  // The service worker is installed and controls the page (clientsClaim).
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
  });
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await expect(page.locator('#offline-text')).toContainText('works offline');
  await newChat(page);
  await send(page, 'sent while online');
  await waitForReplies(page, 1);

  await context.setOffline(true);
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  await page.reload();
  await expect(page.locator('#app')).toHaveAttribute('data-ready', 'true');
  await expect(page.locator('#offline-text')).toContainText('Offline');
  expect(await texts(page, 'message_received')).toEqual(['sent while online']);

  await send(page, 'sent while offline');
  await waitForReplies(page, 2);

  // A new tab, still offline, loads the app from the cache and shows both.
  const second = await context.newPage();
  await second.goto(DEMO_URL);
  await expect(second.locator('#app')).toHaveAttribute('data-ready', 'true');
  expect(await texts(second, 'message_received')).toEqual([
    'sent while online',
    'sent while offline',
  ]);
  await expect(second.locator('.session-item .count')).toHaveAttribute('data-count', '2');
  await context.setOffline(false);
});
