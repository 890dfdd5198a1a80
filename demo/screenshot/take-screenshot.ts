/**
 * Stages a conversation in the demo (the seed fixture imported, a chat with a
 * tool call, a regenerated reply with its ‹ 2/2 › switcher, a reply still
 * streaming, the inspector open) and saves
 * docs/demo.png for the README.
 */
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { newChat, openDemo, send, waitForReplies } from '../../e2e/demo-app.js';

const SEED = fileURLToPath(new URL('../../test/fixtures/reference/events.jsonl', import.meta.url));
const OUT = fileURLToPath(new URL('../../docs/demo.png', import.meta.url));

test('docs/demo.png', async ({ page }) => {
  await openDemo(page);
  await page.locator('#import-file').setInputFiles(SEED);
  await expect(page.locator('#import-dialog')).toHaveAttribute('data-state', 'done');
  await page.getByRole('button', { name: 'Done' }).click();

  await newChat(page);
  await send(page, 'Hi! What can you do?');
  await waitForReplies(page, 1);
  await send(page, 'What is 12 * (7 + 5)?');
  await waitForReplies(page, 2);
  // A second version of that reply: a branch, shown with its switcher.
  const replies = page.locator('#messages li[data-kind="agent_response"]');
  await replies.last().getByRole('button', { name: 'Write another reply' }).click();
  await expect(replies.last().locator('.branch-count')).toHaveText('2/2', { timeout: 30_000 });
  await waitForReplies(page, 2);
  await page.getByRole('button', { name: 'Inspector' }).click();
  await send(page, 'How do tabs stay in sync?');
  await expect
    .poll(async () => (await page.locator('.draft .bubble').textContent())?.length ?? 0, {
      intervals: [50],
    })
    .toBeGreaterThan(150);
  await page.locator('.notice button[aria-label="Dismiss"]').evaluateAll((buttons) => {
    for (const b of buttons) (b as HTMLButtonElement).click();
  });
  await page.locator('#composer-input').blur();
  await page.screenshot({ path: OUT });
});
