/**
 * The demo, driven like a user would: chat history survives a reload, replies
 * stream live into a second tab, renames and deletions reach other tabs, an
 * interrupted reply can be resumed, and message content is always inert text.
 */
import { expect, test } from '@playwright/test';
import { newChat, openDemo, rows, send, texts, waitForReplies } from './demo-app.js';

test('sent messages and replies are back after a reload', async ({ page }) => {
  await openDemo(page);
  await newChat(page);
  await send(page, 'first message');
  await send(page, 'what is 6 * 7?');
  await waitForReplies(page, 2);
  // The calculator tool ran: its call and result are rows of the thread.
  await expect(rows(page, 'tool_called')).toContainText('calculator');
  await expect(rows(page, 'tool_result')).toContainText('"value":42');
  const replies = await texts(page, 'agent_response');
  await expect(page.locator('#session-meta .tokens')).not.toContainText('Tokens: 0 in');
  const tokens = await page.locator('#session-meta .tokens').textContent();

  await page.reload();
  await expect(page.locator('#app')).toHaveAttribute('data-ready', 'true');
  expect(await texts(page, 'message_received')).toEqual(['first message', 'what is 6 * 7?']);
  expect(await texts(page, 'agent_response')).toEqual(replies);
  await expect(page.locator('#session-title')).toHaveText('first message');
  await expect(page.locator('#session-meta .tokens')).toHaveText(tokens ?? '');
  await expect(page.locator('.session-item .count')).toHaveAttribute('data-count', '2');
});

test('a long chat opens on its latest 50 messages and pages back on scroll', async ({ page }) => {
  await openDemo(page);
  // 120 messages written straight to the store, issued at once so that they land
  // in one commit: the chat is complete the first time the app shows it. (One
  // awaited append after another, the app would open the chat as its first
  // event arrives and re-render it 120 times, which under load outlasts the test.)
  const key = await page.evaluate(async () => {
    const store = window.sessionlogDemo!.store;
    const key = 'agent:assistant:channel:web:account:demo:dm:paging';
    const started = store.record(key, 'assistant', {
      type: 'session_started',
      channel: 'web',
      peer_id: 'you',
    });
    const messages = Array.from({ length: 120 }, (_, i) =>
      store.record(key, 'assistant', { type: 'message_received', content: `message ${i + 1}` }),
    );
    await Promise.all([started, ...messages]);
    return key;
  });
  await expect(page.locator(`.session-item[data-key="${key}"] .count`)).toHaveAttribute(
    'data-count',
    '120',
  );
  await page.locator(`.session-item[data-key="${key}"]`).click();
  const received = rows(page, 'message_received');
  await expect(received).toHaveCount(50);
  await expect(received.last()).toContainText('message 120');
  await expect(received.first()).toContainText('message 71');
  await expect(page.locator('#load-older')).toBeVisible();

  await page.locator('#thread').evaluate((el) => el.scrollTo({ top: 0 }));
  await expect(received).toHaveCount(100);
  await expect(received.first()).toContainText('message 21');
  // The keyboard way: focusing the button scrolls it into view, which loads the
  // last page by itself, so Enter may come before or after that load; either
  // way the rest comes in once and focus moves on to the start of the thread.
  await page.locator('#load-older').focus();
  await page.keyboard.press('Enter');
  await expect(received).toHaveCount(120);
  await expect(received.first()).toContainText('message 1');
  await expect(page.locator('#load-older')).toBeHidden();
  await expect(page.locator('#thread-start')).toBeVisible();
  await expect(page.locator('#thread-start')).toBeFocused();
  expect(await texts(page, 'message_received')).toEqual(
    Array.from({ length: 120 }, (_, i) => `message ${i + 1}`),
  );
});

test('a streamed reply shows live in a second tab before it is committed', async ({
  page,
  context,
}) => {
  await openDemo(page);
  await newChat(page);
  const link = page.getByRole('link', { name: 'Open in a second tab' });
  await expect(link).toHaveAttribute('target', '_blank');
  const [second] = await Promise.all([context.waitForEvent('page'), link.click()]);
  await expect(second.locator('#app')).toHaveAttribute('data-ready', 'true');
  await expect(second.locator('#composer')).toBeVisible();
  expect(new URL(second.url()).hash).toBe(new URL(page.url()).hash);

  await send(page, 'tell me about this demo');
  await expect(rows(second, 'message_received').locator('.bubble')).toHaveText(
    'tell me about this demo',
  );
  // In the second tab: the draft has text while no reply is committed yet (checked at once, in the page).
  const partial = await second
    .waitForFunction(
      () => {
        const draft = document.querySelector('.draft[data-local="false"] .bubble');
        const committed = document.querySelectorAll(
          '#messages li[data-kind="agent_response"]',
        ).length;
        const text = draft?.textContent ?? '';
        return text.length > 20 && committed === 0 ? text : false;
      },
      null,
      { polling: 10, timeout: 30_000 },
    )
    .then((handle) => handle.jsonValue());
  await waitForReplies(page, 1);
  await waitForReplies(second, 1);
  const [reply] = await texts(second, 'agent_response');
  expect(reply?.startsWith(partial as string)).toBe(true);
  expect(await texts(page, 'agent_response')).toEqual([reply]);
});

test('renames and deletions reach the other tab', async ({ page, context }) => {
  await openDemo(page);
  await newChat(page);
  await send(page, 'hello');
  await waitForReplies(page, 1);
  const second = await context.newPage();
  await openDemo(second, new URL(page.url()).hash);
  await expect(second.locator('#session-title')).toHaveText('hello');

  await page.getByRole('button', { name: 'Rename' }).click();
  await page.locator('#rename-input').fill('Trip planning');
  await page.locator('#rename-input').press('Enter');
  await expect(page.locator('#session-title')).toHaveText('Trip planning');
  await expect(second.locator('#session-title')).toHaveText('Trip planning');
  await expect(second.locator('.session-item')).toHaveText(/Trip planning/);

  await page.getByRole('button', { name: 'Delete' }).click();
  await page.locator('#delete-confirm').click();
  await expect(page.locator('.session-item')).toHaveCount(0);
  await expect(second.locator('.session-item')).toHaveCount(0);
  await expect(second.locator('.notice')).toContainText('deleted in another tab');
  await expect(second.locator('#welcome')).toBeVisible();
  await page.reload();
  await expect(page.locator('#app')).toHaveAttribute('data-ready', 'true');
  await expect(page.locator('.session-item')).toHaveCount(0);
});

test('a reply interrupted by a reload can be resumed', async ({ page }) => {
  await openDemo(page);
  await newChat(page);
  await send(page, 'please write a long answer');
  await expect
    .poll(async () => (await page.locator('.draft .bubble').textContent())?.length ?? 0)
    .toBeGreaterThan(30);
  await page.reload();
  await expect(page.locator('#app')).toHaveAttribute('data-ready', 'true');
  const draft = page.locator('.draft-interrupted');
  await expect(draft).toBeVisible({ timeout: 30_000 });
  const partial = (await draft.locator('.bubble').textContent()) ?? '';
  expect(partial.length).toBeGreaterThan(0);
  await draft.getByRole('button', { name: 'Resume' }).click();
  await waitForReplies(page, 1);
  const [reply] = await texts(page, 'agent_response');
  expect(reply?.startsWith(partial)).toBe(true);
  expect(reply?.length).toBeGreaterThan(partial.length);
});

const PAYLOADS = [
  '<img src=x onerror="window.__xss = 1">',
  '<script>window.__xss = 2</script>',
  '<a href="javascript:window.__xss = 3">click me</a>',
  '<svg onload="window.__xss = 4"></svg><iframe src="javascript:alert(5)"></iframe>',
];

test('XSS payloads stay text and run nothing', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await page.addInitScript(() => {
    (window as unknown as { __xss: number }).__xss = 0;
  });
  await openDemo(page);
  await newChat(page);
  for (const payload of PAYLOADS) await send(page, payload);
  await page.getByRole('button', { name: 'Rename' }).click();
  await page.locator('#rename-input').fill(PAYLOADS[1]!);
  await page.locator('#rename-input').press('Enter');
  await page.getByRole('button', { name: 'Inspector' }).click();
  await waitForReplies(page, PAYLOADS.length);

  const check = async () => {
    expect(await texts(page, 'message_received')).toEqual(PAYLOADS);
    await expect(page.locator('#session-title')).toHaveText(PAYLOADS[1]!);
    await expect(page.locator('.session-item').first()).toContainText(PAYLOADS[1]!);
    // Nothing was parsed as markup anywhere in the page.
    const found = await page.evaluate(() => ({
      img: document.querySelectorAll('img[src="x"]').length,
      scripts: document.querySelectorAll('#app script, #app iframe, #app svg[onload]').length,
      jsLinks: document.querySelectorAll('a[href^="javascript:"]').length,
    }));
    expect(found).toEqual({ img: 0, scripts: 0, jsLinks: 0 });
    await rows(page, 'message_received').filter({ hasText: 'click me' }).click();
  };
  await check();
  await page.getByRole('tab', { name: 'Projection' }).click();
  await expect(page.locator('#projection-json')).toContainText('window.__xss = 2');
  await page.reload();
  await expect(page.locator('#app')).toHaveAttribute('data-ready', 'true');
  await check();
  await page.waitForTimeout(300); // an onerror or onload handler would have run by now
  expect(await page.evaluate(() => (window as unknown as { __xss: number }).__xss)).toBe(0);
  expect(dialogs).toEqual([]);
});
