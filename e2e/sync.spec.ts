/**
 * Two devices (two browser contexts, separate storage) syncing through a real
 * PostgreSQL this spec starts: offline writers converge after reconnecting,
 * and a device offline for a week does not resurrect a deleted session. The
 * pages come from the dev server and talk to the sync server cross-origin
 * (CORS), as an app with a separate API host would.
 */
import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import { startSyncServer } from '../demo/sync/server.js';
import { type Cluster, PG_BASE_PORT, startCluster } from '../test/server/pg-cluster.js';
import { type BareChromium, launchBareChromium } from './chromium.js';
import { openHarness, waitInPage } from './harness.js';

const SYNC_PORT = PG_BASE_PORT + 20;
const SYNC_URL = `http://127.0.0.1:${SYNC_PORT}`;
const DAY = 24 * 60 * 60 * 1000;

let cluster: Cluster | undefined;
let stopServer: (() => Promise<void>) | undefined;
const cleanUp = async () => {
  await stopServer?.();
  await cluster?.destroy();
  stopServer = undefined;
  cluster = undefined;
};

test.describe.configure({ mode: 'serial', timeout: 120_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  cluster = await startCluster(PG_BASE_PORT + 3);
  process.env.DATABASE_URL = cluster.url;
  stopServer = await startSyncServer(SYNC_PORT);
  process.once('SIGINT', () => void cleanUp());
  process.once('SIGTERM', () => void cleanUp());
});
test.afterAll(cleanUp);

/**
 * A device: its own context (storage), the harness page, a store and a sync
 * client. Two pages of one context on one `name` are two tabs of one device.
 */
async function device(
  context: BrowserContext,
  tenant: string,
  name: string,
  url?: string,
): Promise<Page> {
  const page = await context.newPage();
  await openHarness(page, url);
  await page.evaluate(
    async ({ url, tenant, name }) => {
      const store = await window.sessionlog.openEventStore({ name });
      const sync = window.sessionlogSync.createSync(store, {
        url,
        headers: { 'x-sessionlog-tenant': tenant },
        maxBackoffMs: 200,
      });
      const states: string[] = [];
      sync.subscribe((s) => states.push(s.state));
      Object.assign(window, { store, sync, states });
    },
    { url: SYNC_URL, tenant, name },
  );
  return page;
}

type Handles = {
  store: import('../src/store.js').EventStore;
  sync: import('../src/sync/index.js').SyncClient;
};

const say = (page: Page, session: string, text: string) =>
  page.evaluate(
    ({ session, text }) =>
      (window as unknown as Handles).store.record(session, 'agent', {
        type: 'message_received',
        content: text,
        attachments: [],
      }),
    { session, text },
  );
const syncNow = (page: Page) =>
  page.evaluate(async () => {
    await (window as unknown as Handles).sync.syncNow();
    return (window as unknown as Handles).sync.status.state;
  });
const contents = (page: Page, session: string) =>
  page.evaluate(async (session) => {
    const events = await (window as unknown as Handles).store.getEvents(session);
    return events.map((e) => (e.kind as { content?: string }).content).sort();
  }, session);

test('two devices that wrote offline converge after reconnecting', async ({ browser }) => {
  const one = await browser.newContext();
  const two = await browser.newContext();
  try {
    const a = await device(one, 'converge', 'sync-e2e');
    const b = await device(two, 'converge', 'sync-e2e');
    await say(a, 'chat', 'hello from a');
    expect(await syncNow(a)).toBe('idle');
    expect(await syncNow(b)).toBe('idle');
    expect(await contents(b, 'chat')).toEqual(['hello from a']);
    await one.setOffline(true);
    await two.setOffline(true);
    for (let i = 0; i < 3; i++) {
      await say(a, 'chat', `a offline ${i}`);
      await say(b, 'chat', `b offline ${i}`);
    }
    const failure = await a.evaluate(() =>
      (window as unknown as Handles).sync.syncNow().then(
        () => null,
        (error: { code?: string }) => error.code,
      ),
    );
    expect(failure).toBe('unavailable');
    expect(await a.evaluate(() => (window as unknown as { states: string[] }).states)).toContain(
      'offline',
    );
    await one.setOffline(false);
    await two.setOffline(false);
    await syncNow(a);
    await syncNow(b);
    await syncNow(a);
    const expected = [
      'a offline 0',
      'a offline 1',
      'a offline 2',
      'b offline 0',
      'b offline 1',
      'b offline 2',
      'hello from a',
    ];
    expect(await contents(a, 'chat')).toEqual(expected);
    expect(await contents(b, 'chat')).toEqual(expected);
  } finally {
    await one.close();
    await two.close();
  }
});

test('a device offline for a week does not bring a deleted session back', async ({ browser }) => {
  const start = Date.now() - 8 * DAY;
  const one = await browser.newContext();
  const two = await browser.newContext();
  try {
    await one.clock.install({ time: start });
    await two.clock.install({ time: start });
    const a = await device(one, 'week', 'sync-week');
    const b = await device(two, 'week', 'sync-week');
    await say(a, 'doomed', 'old');
    await say(a, 'kept', 'unrelated');
    await syncNow(a);
    await syncNow(b);
    await two.setOffline(true);
    await two.clock.setSystemTime(start + DAY);
    await say(b, 'doomed', 'b wrote before the deletion');
    await one.clock.setSystemTime(start + 3 * DAY);
    await a.evaluate(() => (window as unknown as Handles).store.deleteSession('doomed'));
    await syncNow(a);
    await two.clock.setSystemTime(start + 5 * DAY);
    await say(b, 'doomed', 'b wrote after the deletion');
    await one.clock.setSystemTime(start + 7 * DAY);
    await two.clock.setSystemTime(start + 7 * DAY);
    await two.setOffline(false);
    await syncNow(b);
    await syncNow(a);
    for (const page of [a, b]) {
      expect(await contents(page, 'doomed')).toEqual(['b wrote after the deletion']);
      expect(await contents(page, 'kept')).toEqual(['unrelated']);
    }
  } finally {
    await one.close();
    await two.close();
  }
});

/** Browsers started by hand, closed after each test even when it times out. */
const launched: BareChromium[] = [];
test.afterEach(async () => {
  for (const bare of launched.splice(0)) await bare.close();
});

const leads = (page: Page) =>
  page.evaluate(() => (window as unknown as Handles).sync.status.leader);

test('a frozen leader tab hands over: the other tab syncs, and the first catches up on resume', async ({
  browser,
  baseURL,
}) => {
  // Playwright's own launch emulates focus, which keeps every page visible, and
  // Chromium ignores Page.setWebLifecycleState for a visible page: the leader
  // is never frozen and never lets go. So the two tabs live in a browser
  // started by hand (as e2e/tabs.spec.ts does).
  const bare = await launchBareChromium({ label: 'sync-frozen' });
  launched.push(bare);
  const { context } = bare;
  // The dev server's HMR client reloads a page whose websocket a freeze closed.
  await context.route('**/@vite/client', (route) =>
    route.fulfill({ contentType: 'text/javascript', body: '' }),
  );
  const url = `${baseURL}/harness.html`;
  const name = `sync-frozen-${Date.now()}`;
  const tabs = [
    await device(context, 'frozen', name, url),
    await device(context, 'frozen', name, url),
  ];
  const errors: string[] = [];
  for (const tab of tabs) tab.on('pageerror', (error) => errors.push(error.message));
  // Exactly one tab leads (which one is the browser's business).
  await expect
    .poll(async () => (await Promise.all(tabs.map(leads))).filter(Boolean).length)
    .toBe(1);
  const leaderIndex = (await leads(tabs[0]!)) ? 0 : 1;
  const leader = tabs[leaderIndex]!;
  const other = tabs[1 - leaderIndex]!;
  await leader.evaluate(() => {
    const seen: string[] = [];
    for (const type of ['freeze', 'resume']) document.addEventListener(type, () => seen.push(type));
    Object.assign(window, { lifecycle: seen });
  });
  await say(leader, 'chat', 'before the freeze');
  expect(await syncNow(leader)).toBe('idle');

  const cdp = await context.newCDPSession(leader);
  expect(await leads(other)).toBe(false);
  await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
  // The frozen tab let go of the lock: the other one takes it, and its writes reach the server.
  await waitInPage(other, () => (window as unknown as Handles).sync.status.leader, null, 60_000);
  await say(other, 'chat', 'while the leader is frozen');
  expect(await syncNow(other)).toBe('idle');
  const laptop = await browser.newContext();
  try {
    const remote = await device(laptop, 'frozen', 'sync-frozen-remote');
    expect(await syncNow(remote)).toBe('idle');
    expect(await contents(remote, 'chat')).toEqual([
      'before the freeze',
      'while the leader is frozen',
    ]);
    await say(remote, 'chat', 'from another device');
    expect(await syncNow(remote)).toBe('idle');

    // Resumed, the first tab follows: it does not lead, sees what the leader
    // pulled, and its own writes go out through the leader.
    await cdp.send('Page.setWebLifecycleState', { state: 'active' });
    expect(
      await leader.evaluate(() => (window as unknown as { lifecycle: string[] }).lifecycle),
    ).toEqual(['freeze', 'resume']);
    await say(leader, 'chat', 'after the resume');
    expect(await syncNow(leader)).toBe('idle');
    expect(await syncNow(remote)).toBe('idle');
    const all = [
      'after the resume',
      'before the freeze',
      'from another device',
      'while the leader is frozen',
    ];
    await expect.poll(() => contents(remote, 'chat')).toEqual(all);
    await expect.poll(() => contents(leader, 'chat')).toEqual(all);
    expect(await contents(other, 'chat')).toEqual(all);
    expect(errors).toEqual([]);
  } finally {
    await laptop.close();
  }
});
