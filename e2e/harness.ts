/**
 * Helpers for end-to-end tests: open the harness page, which exposes the
 * library as `window.sessionlog`, and wait until it is ready.
 */
import type { Page } from '@playwright/test';

/** Opens the harness page (absolute `url` for a context without a base URL) and waits for `window.sessionlog`. */
export async function openHarness(page: Page, url = '/harness.html'): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => window.harnessReady === true);
}

/** Polls `check` in the page until it returns true (or the test times out). */
export async function waitInPage<A>(
  page: Page,
  check: (arg: A) => boolean | Promise<boolean>,
  arg: A,
  timeout = 15_000,
) {
  await page.waitForFunction(check as never, arg, { timeout, polling: 20 });
}
