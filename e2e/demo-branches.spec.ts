/**
 * Branches in the demo (issue 13): editing a sent message and regenerating a
 * reply make siblings, the "‹ n/m ›" switcher moves between them, and a
 * second tab (another page of the same context) shows every change live and
 * converges to the same tree and head. A ChatGPT export imports with its
 * branches and current node through the Import dialog.
 */
import { fileURLToPath } from 'node:url';
import { expect, type Page, test } from '@playwright/test';
import { newChat, openDemo, rows, send, texts, waitForReplies } from './demo-app.js';

const CHATGPT = fileURLToPath(
  new URL('../test/fixtures/conversations/chatgpt.json', import.meta.url),
);

/** The switcher text of the row whose bubble reads `text`. */
function countOf(page: Page, kind: string, text: string) {
  return rows(page, kind)
    .filter({ has: page.locator('.bubble', { hasText: text }) })
    .locator('.branch-count');
}

/** The tree and head as a tab's live projection has them. */
function treeOf(page: Page) {
  return page.evaluate(() => {
    const key = new URL(location.href).hash.replace(/^#session=/, '');
    const p = window.sessionlogDemo!.store.getSnapshot(decodeURIComponent(key));
    return p && { head: p.head, nodes: p.nodes.map((n) => [n.id, n.parentId]) };
  });
}

test('edit, regenerate and switch branches, live in a second tab', async ({ page, context }) => {
  test.setTimeout(120_000); // five streamed replies, each waited for in two tabs
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openDemo(page);
  await newChat(page);
  await send(page, 'hello there');
  await waitForReplies(page, 1);
  await send(page, 'tell me about tabs');
  await waitForReplies(page, 2);
  const second = await context.newPage();
  second.on('pageerror', (e) => errors.push(e.message));
  await openDemo(second, new URL(page.url()).hash);
  await waitForReplies(second, 2);

  // Edit the second message: a sibling, shown with its own reply, in both tabs.
  const original = rows(page, 'message_received').filter({ hasText: 'tell me about tabs' });
  await original.getByRole('button', { name: 'Edit this message' }).click();
  await page.getByRole('textbox', { name: 'Edited message' }).fill('tell me about streaming');
  await page.getByRole('button', { name: 'Save & send' }).click();
  for (const tab of [page, second]) {
    await expect(countOf(tab, 'message_received', 'tell me about streaming')).toHaveText('2/2');
    await waitForReplies(tab, 2);
    expect(await texts(tab, 'message_received')).toEqual([
      'hello there',
      'tell me about streaming',
    ]);
  }

  // Regenerate the reply to the edit: a second version of it.
  await rows(page, 'agent_response')
    .last()
    .getByRole('button', { name: 'Write another reply' })
    .click();
  for (const tab of [page, second]) {
    await expect(rows(tab, 'agent_response').last().locator('.branch-count')).toHaveText('2/2', {
      timeout: 20_000,
    });
    await waitForReplies(tab, 2);
  }
  const regenerated = (await texts(page, 'agent_response'))[1];

  // Back to the first version of the message, from the first tab: the second follows.
  await rows(page, 'message_received')
    .last()
    .getByRole('button', { name: 'Previous version' })
    .click();
  for (const tab of [page, second]) {
    await expect(countOf(tab, 'message_received', 'tell me about tabs')).toHaveText('1/2');
    expect(await texts(tab, 'message_received')).toEqual(['hello there', 'tell me about tabs']);
    await expect(rows(tab, 'agent_response')).toHaveCount(2);
  }

  // And forward again, from the second tab: the edit's branch with its newest reply.
  await rows(second, 'message_received')
    .last()
    .getByRole('button', { name: 'Next version' })
    .click();
  for (const tab of [page, second]) {
    await expect(countOf(tab, 'message_received', 'tell me about streaming')).toHaveText('2/2');
    await expect(rows(tab, 'agent_response').last().locator('.branch-count')).toHaveText('2/2');
    expect((await texts(tab, 'agent_response'))[1]).toBe(regenerated);
  }
  // Both tabs hold the same tree and head.
  const [a, b] = [await treeOf(page), await treeOf(second)];
  expect(a).not.toBeUndefined();
  expect(a).toEqual(b);
  expect(a!.nodes.length).toBeGreaterThanOrEqual(7);
  expect(errors).toEqual([]);
});

test('a ChatGPT export imports through the Import dialog with its branches and current node', async ({
  page,
}) => {
  await openDemo(page);
  await page.locator('#import-file').setInputFiles(CHATGPT);
  await expect(page.locator('#import-dialog')).toHaveAttribute('data-state', 'done');
  await expect(page.locator('#import-status')).toContainText('3 ChatGPT conversations');
  await page.getByRole('button', { name: 'Done' }).click();
  await page.locator('.session-item', { hasText: 'Capital of France' }).click();
  await expect(rows(page, 'message_received')).toHaveCount(2);
  expect(await texts(page, 'message_received')).toEqual([
    'What is the capital of France?',
    'And of Italy?',
  ]);
  // current_node was the first of two replies: 1/2, and the edit is the second of two prompts.
  expect(await texts(page, 'agent_response')).toEqual(['Paris.', 'Rome.']);
  await expect(countOf(page, 'agent_response', 'Rome.')).toHaveText('1/2');
  await expect(countOf(page, 'message_received', 'And of Italy?')).toHaveText('2/2');

  // Importing it again adds nothing.
  await page.locator('#import-file').setInputFiles(CHATGPT);
  await expect(page.locator('#import-dialog')).toHaveAttribute('data-state', 'done');
  await expect(page.locator('#import-status')).toContainText('0 new events');
});
