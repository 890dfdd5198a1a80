/**
 * Errors a user can meet are shown in the page, not only in the console: no
 * IndexedDB, a newer version of the app in another tab, a full disk.
 */
import { expect, test } from '@playwright/test';
import { DEMO_URL, newChat, openDemo, rows, send } from './demo-app.js';

test('no IndexedDB: the page says so', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
  });
  await page.goto(DEMO_URL);
  await expect(page.locator('#app')).toHaveAttribute('data-ready', 'error');
  await expect(page.locator('.notice-error')).toContainText('Storage is unavailable');
  await expect(page.getByRole('button', { name: 'New chat' })).toBeDisabled();
});

test('a newer version in another tab: this tab says it was disconnected', async ({
  page,
  context,
}) => {
  await openDemo(page);
  await newChat(page);
  await send(page, 'hello');
  const other = await context.newPage();
  await other.goto(`${DEMO_URL}icon.svg`);
  // Another tab opens the database at a higher version (an app update would).
  await other.evaluate(async () => {
    const info = (await indexedDB.databases()).find((d) => d.name === 'sessionlog-demo');
    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.open('sessionlog-demo', (info?.version ?? 1) + 1);
      request.onsuccess = () => {
        request.result.close();
        resolve();
      };
      request.onerror = () => reject(request.error);
    });
  });
  const notice = page.locator('.notice[data-notice-id="versionchange"]');
  await expect(notice).toContainText('This tab was disconnected');
  await expect(notice.getByRole('button', { name: 'Reload' })).toBeVisible();
  await expect(page.locator('#composer-input')).toBeDisabled();
});

test('a full disk: a send fails with a quota notice and the text is kept', async ({ page }) => {
  // A small quota, set before the app opens its database (Chromium reads it then).
  await page.goto(`${DEMO_URL}icon.svg`);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', {
    origin: new URL(DEMO_URL).origin,
    quotaSize: 1024 * 1024,
  });
  await openDemo(page);
  await newChat(page);
  await send(page, 'before the disk filled up');
  // Random text: IndexedDB compresses values, so a repeated character would fit.
  const big = await page.evaluate(() => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    return Array.from({ length: 900 * 1024 }, () => alphabet[Math.floor(Math.random() * 52)]).join(
      '',
    );
  });
  await page.locator('#composer-input').fill(big);
  await page.locator('#composer-input').press('Enter');
  await expect(page.locator('.notice-error')).toContainText('Storage is full');
  await expect(page.locator('#composer-input')).toHaveValue(big);
  await expect(rows(page, 'message_received')).toHaveCount(1);
  await page.reload();
  await expect(page.locator('#app')).toHaveAttribute('data-ready', 'true');
  await expect(rows(page, 'message_received')).toHaveCount(1);
});

test('storage the browser reset since the last visit: the journal restores the chat and the page says so', async ({
  page,
}) => {
  test.setTimeout(60_000);
  await openDemo(page);
  await newChat(page);
  await send(page, 'this chat comes back');
  // What Chromium does to a damaged database after a crash: delete it (the open
  // store closes on versionchange; localStorage and the journal in OPFS stay).
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.deleteDatabase('sessionlog-demo');
        request.onsuccess = () => resolve();
        request.onerror = () => reject(request.error);
      }),
  );
  await page.reload();
  // The restore runs while the store opens, before the app shows anything.
  await expect(page.locator('#app')).toHaveAttribute('data-ready', 'true', { timeout: 20_000 });
  await expect(page.locator('.notice[data-notice-id="restored"]')).toContainText(
    /Restored \d+ events after the browser reset its database/,
  );
  await expect(page.locator('.notice[data-notice-id="reset"]')).toHaveCount(0);
  await expect(rows(page, 'message_received')).toHaveCount(1);
  await expect(rows(page, 'message_received')).toContainText('this chat comes back');
  await page.reload();
  await expect(page.locator('#app')).toHaveAttribute('data-ready', 'true');
  await expect(page.locator('.notice[data-notice-id="restored"]')).toHaveCount(0);
});
