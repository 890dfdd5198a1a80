/**
 * Issue 14: the example app (examples/ai-sdk-chat, `npm run example`) in real
 * Chromium: useChat over sessionlog with a simulated model. Chats survive a
 * reload, show live in a second tab, keep a reply cut off mid-stream, and
 * tool calls show their results.
 */
import { expect, type Page, test } from '@playwright/test';
import { EXAMPLE_URL } from './ports.js';

// A dev server on a shared machine: the first load compiles the app.
test.setTimeout(90_000);

const open = async (page: Page, chatId: string, delay = 20) => {
  await page.goto(`${EXAMPLE_URL}/?delay=${delay}#${chatId}`);
  await expect(page.getByTestId('input')).toBeVisible();
};

const send = async (page: Page, text: string) => {
  await page.getByTestId('input').fill(text);
  await page.getByTestId('send').click();
};

/** The stored drafts of the example's database, read through IndexedDB. */
const storedDraftText = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<string>((resolve, reject) => {
        const request = indexedDB.open('ai-sdk-chat');
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          const get = db.transaction('drafts', 'readonly').objectStore('drafts').getAll();
          get.onsuccess = () => {
            db.close();
            resolve((get.result as Array<{ text: string }>).map((d) => d.text).join(''));
          };
        };
      }),
  );

test('a chat streams, shows live in a second tab, and is there after a reload', async ({
  context,
}) => {
  const chatId = `e2e-${Date.now()}`;
  const [one, two] = [await context.newPage(), await context.newPage()];
  await open(one, chatId, 60);
  await open(two, chatId);
  await send(one, 'Hello from tab one');
  // The second tab sees the reply while it streams, then as a stored message.
  await expect(two.getByTestId('draft-elsewhere')).toContainText('You said');
  const reply = one.getByTestId('message').nth(1);
  await expect(reply).toContainText('shown live in every tab.');
  await expect(two.getByTestId('message')).toHaveCount(2);
  await expect(two.getByTestId('message').nth(1)).toContainText('shown live in every tab.');

  await expect(one.getByTestId('send')).toBeVisible();
  await one.reload();
  await expect(one.getByTestId('message')).toHaveCount(2);
  await expect(one.getByTestId('message').nth(0)).toHaveText('Hello from tab one');
  await expect(one.getByTestId('message').nth(1)).toContainText('shown live in every tab.');
  await expect(
    one.getByTestId('chat-link').filter({ hasText: 'Hello from tab one' }),
  ).toBeVisible();
});

test('a reload mid-reply keeps the reply as an interrupted draft, replayed on load', async ({
  page,
}) => {
  const chatId = `e2e-cut-${Date.now()}`;
  await open(page, chatId, 250);
  await send(page, 'Tell me something long');
  await expect(page.getByTestId('message').nth(1)).toContainText('You said');
  await expect.poll(() => storedDraftText(page)).toContain('You said');
  const kept = await storedDraftText(page);
  await page.reload();
  await expect(page.getByTestId('interrupted')).toBeVisible();
  await expect(page.getByTestId('message').nth(1)).toContainText(kept.trim());
  await expect(page.getByTestId('message').nth(0)).toHaveText('Tell me something long');
});

test('a tool call shows its result, and both are stored', async ({ page }) => {
  const chatId = `e2e-tool-${Date.now()}`;
  await open(page, chatId);
  await send(page, 'What is the weather?');
  await expect(page.getByTestId('tool')).toContainText('"celsius":21');
  await expect(page.getByTestId('message').nth(1)).toContainText('clear and it is 21');
  await expect(page.getByTestId('send')).toBeVisible(); // the reply is committed when the stream ends
  await page.reload();
  await expect(page.getByTestId('tool')).toContainText('"celsius":21');
  await expect(page.getByTestId('message').nth(1)).toContainText('clear and it is 21');
});
