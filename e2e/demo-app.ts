/**
 * Helpers for the demo's end-to-end tests. They drive the demo as it ships:
 * the production build with its service worker, served by `vite preview` on
 * port 4173 (the second webServer of playwright.config.ts).
 */
import { expect, type Page } from '@playwright/test';
import { PREVIEW_URL } from './ports.js';

export const DEMO_URL = process.env.DEMO_URL ?? `${PREVIEW_URL}/`;

/** Opens the demo (optionally at a `#session=…` hash) and waits until it has loaded its chats. */
export async function openDemo(page: Page, hash = ''): Promise<void> {
  await page.goto(DEMO_URL + hash);
  await expect(page.locator('#app')).toHaveAttribute('data-ready', 'true');
}

/** Starts a new chat and waits for its composer. */
export async function newChat(page: Page): Promise<void> {
  const before = await page.locator('.session-item').count();
  await page.getByRole('button', { name: 'New chat' }).first().click();
  await expect(page.locator('.session-item')).toHaveCount(before + 1);
  await expect(page.locator('#composer-input')).toBeVisible();
}

/** Types a message and sends it with Enter; waits until it shows in the thread. */
export async function send(page: Page, text: string): Promise<void> {
  const sent = page.locator('#messages li[data-kind="message_received"]');
  const before = await sent.count();
  await page.locator('#composer-input').fill(text);
  await page.locator('#composer-input').press('Enter');
  await expect(sent).toHaveCount(before + 1);
}

/** Waits until the thread shows `count` committed agent replies and no draft. */
export async function waitForReplies(page: Page, count: number): Promise<void> {
  await expect(page.locator('#messages li[data-kind="agent_response"]')).toHaveCount(count, {
    timeout: 45_000, // a reply streams for seconds; a loaded machine stretches it
  });
  await expect(page.locator('.draft')).toHaveCount(0);
}

/** A row of the thread (not of the inspector) of one kind. */
export function rows(page: Page, kind: string) {
  return page.locator(`#messages li[data-kind="${kind}"]`);
}

/** The texts of the thread's rows of one kind, in order. */
export async function texts(page: Page, kind: string): Promise<string[]> {
  return page
    .locator(`#messages li[data-kind="${kind}"] .bubble`)
    .evaluateAll((els) => els.map((el) => el.textContent ?? ''));
}
