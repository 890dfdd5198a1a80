/**
 * Hazard: no usable IndexedDB. openEventStore must reject with `unavailable`
 * (typed, at once), whatever the reason: no factory given, `indexedDB`
 * removed from the page before the library loads, reading `indexedDB`
 * throwing (as some browsers do where site data is blocked; simulated here
 * with a throwing getter), or Chromium itself refusing IndexedDB to an opaque
 * origin (a sandboxed iframe: a real SecurityError from `indexedDB.open`).
 */
import { expect, type Frame, type Page, test } from '@playwright/test';
import { BASE_URL, HARNESS_URL, installKit, muteViteClient } from './kit.js';

type Probe = Page | Frame;

/** Opens a store in `target` and reports how it ended. */
function tryOpen(target: Probe, options: { noFactory?: boolean } = {}) {
  return target.evaluate(async ({ noFactory }) => {
    const t0 = performance.now();
    const outcome = await Promise.race([
      window.sessionlog.openEventStore(noFactory ? { indexedDB: undefined } : {}).then(
        () => ({ code: 'opened', message: '', cause: '' }),
        (e: {
          code?: string;
          name?: string;
          message?: string;
          cause?: { name?: string };
          constructor?: { name: string };
        }) => ({
          code: e.constructor?.name === 'EventStoreError' ? e.code! : `untyped ${e.name}`,
          message: e.message ?? '',
          cause: e.cause?.name ?? '',
        }),
      ),
      new Promise<{ code: string; message: string; cause: string }>((r) =>
        setTimeout(() => r({ code: 'HANGS', message: '', cause: '' }), 5000),
      ),
    ]);
    return { ...outcome, ms: Math.round(performance.now() - t0) };
  }, options);
}

async function harness(page: Page): Promise<void> {
  await page.goto(HARNESS_URL);
  await page.waitForFunction(() => window.harnessReady === true);
  await installKit(page);
}

test('IndexedDB unavailable: openEventStore rejects with unavailable in every way it can be missing', async ({
  context,
}) => {
  await muteViteClient(context);

  // No factory passed (a worker or test environment without IndexedDB).
  const plain = await context.newPage();
  await harness(plain);
  const noFactory = await tryOpen(plain, { noFactory: true });
  expect(noFactory.code).toBe('unavailable');

  // `indexedDB` removed before any script runs: the library still loads, the store cannot open.
  const removed = await context.newPage();
  await removed.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
  });
  await harness(removed);
  expect(await removed.evaluate(() => typeof indexedDB)).toBe('undefined');
  expect((await tryOpen(removed)).code).toBe('unavailable');

  // Reading `indexedDB` throws.
  const throwing = await context.newPage();
  await throwing.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', {
      configurable: true,
      get() {
        throw new DOMException('access to the Indexed Database API is denied', 'SecurityError');
      },
    });
  });
  await harness(throwing);
  expect((await tryOpen(throwing)).code).toBe('unavailable');

  // An opaque origin: the harness in a sandboxed iframe (module requests get CORS headers so it loads).
  await context.route(`${BASE_URL}/**`, async (route) => {
    const response = await route.fetch();
    await route.fulfill({
      response,
      headers: { ...response.headers(), 'access-control-allow-origin': '*' },
    });
  });
  const host = await context.newPage();
  await harness(host);
  await host.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const frame = document.createElement('iframe');
        frame.sandbox.add('allow-scripts');
        frame.src = '/harness.html';
        frame.onload = () => resolve();
        document.body.append(frame);
      }),
  );
  const sandboxed = host.frames().find((f) => f !== host.mainFrame())!;
  await sandboxed.waitForFunction(() => window.harnessReady === true);
  expect(await sandboxed.evaluate(() => origin)).toBe('null');
  const opaque = await tryOpen(sandboxed);
  expect(opaque).toMatchObject({ code: 'unavailable', cause: 'SecurityError' });

  for (const r of [noFactory, opaque]) expect(r.ms).toBeLessThan(1000);
  test
    .info()
    .annotations.push({ type: 'figures', description: `opaque origin: ${opaque.message}` });
});
