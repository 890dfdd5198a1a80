/**
 * Hazards of the page lifecycle: a tab frozen (CDP Page.setWebLifecycleState)
 * while other tabs write, and a tab put in the back/forward cache while others
 * write. Both must catch up with the log when they come back.
 *
 * These run in a Chromium started by hand (launchBareChromium in e2e/chromium.ts): Playwright's
 * own launch enables focus emulation, which keeps a page "visible" so it
 * cannot be frozen, and disables the back/forward cache.
 */
import { type CDPSession, expect, type Page, test } from '@playwright/test';
import type { EventStore } from '../../src/index.js';
import { type BareChromium, removeTempProfiles } from '../chromium.js';
import { installKit, bareChromium as launch, openPage, uniqueDb } from './kit.js';

const KEYS = ['agent:life:a', 'agent:life:b', 'agent:life:c'];

declare global {
  interface Window {
    life: { store: EventStore; errors: string[]; pageshows: boolean[] };
  }
}

async function openStore(page: Page, name: string, crossTab = true, journal = true): Promise<void> {
  await page.evaluate(
    async ({ name, crossTab, journal, keys }) => {
      const store = await window.sessionlog.openEventStore({ name, crossTab, journal });
      const errors: string[] = [];
      store.on('error', (e) => errors.push(e.message));
      const pageshows: boolean[] = [];
      addEventListener('pageshow', (e) => pageshows.push(e.persisted));
      window.life = { store, errors, pageshows };
      if (crossTab) await window.kit.live(store, keys);
    },
    { name, crossTab, journal, keys: KEYS },
  );
}

/** Appends `n` events (singles and batches of every kind) over KEYS; returns their ids. */
async function write(page: Page, n: number, tag: string): Promise<string[]> {
  return page.evaluate(
    async ({ n, tag, keys }) => {
      const { store } = window.life;
      const ids: string[] = [];
      for (let i = 0; i < n; ) {
        const size = 1 + (i % 4);
        const events = Array.from({ length: size }, (_, j) =>
          window.kit.event(store, keys[(i + j) % keys.length]!, tag, i + j),
        );
        await store.append(size === 1 ? events[0]! : events);
        ids.push(...events.map((e) => e.id));
        i += size;
      }
      return ids;
    },
    { n, tag, keys: KEYS },
  );
}

/** What a page shows of KEYS: sorted-key JSON of live snapshots, and whether they equal the log. */
async function view(page: Page) {
  return page.evaluate(async (keys) => {
    const { store, errors } = window.life;
    const differ = await window.kit.live(store, keys, 10_000);
    const snapshots = keys.map((k) => window.kit.stable(store.getSnapshot(k)));
    return { differ, snapshots, errors, sessions: window.kit.stable(store.getSummariesSnapshot()) };
  }, KEYS);
}

// Each test's own Chromium; closed after the test even when it times out.
const launched = new Set<BareChromium>();
async function bareChromium() {
  const bare = await launch();
  launched.add(bare);
  return bare;
}
test.afterEach(async () => {
  for (const bare of launched) await bare.close();
  launched.clear();
  await removeTempProfiles();
});

const setState = (cdp: CDPSession, state: 'frozen' | 'active') =>
  cdp.send('Page.setWebLifecycleState', { state });

test('a frozen tab catches up when it resumes: writes, deletions and writes of a tab without the channel', async () => {
  test.setTimeout(120_000);
  const bare = await bareChromium();
  try {
    const name = uniqueDb('frozen');
    const a = await openPage(bare.context);
    const quiet = await openPage(bare.context); // writes without the channel: only the log tells
    const b = await openPage(bare.context);
    const pageErrors: string[] = [];
    for (const p of [a, quiet, b]) p.on('pageerror', (e) => pageErrors.push(e.message));
    await openStore(a, name);
    await openStore(quiet, name, false);
    await openStore(b, name);
    await write(a, 12, 'before');
    const cdp = await bare.context.newCDPSession(b);
    await b.evaluate(() => {
      const w = window as unknown as { lifecycle: string[] };
      w.lifecycle = [];
      document.addEventListener('freeze', () => w.lifecycle.push('freeze'));
      document.addEventListener('resume', () => w.lifecycle.push('resume'));
    });

    await setState(cdp, 'frozen');
    await write(a, 30, 'frozen-a');
    await write(quiet, 20, 'frozen-quiet');
    await a.evaluate((key) => window.life.store.deleteSession(key), KEYS[2]!);
    await write(a, 6, 'after-delete');
    // A frozen page still runs what CDP evaluates: see what it holds before resuming.
    const whileFrozen = await b.evaluate(
      (keys) => ({
        received: window.life.store.channelStats.received,
        messages: keys.map((k) => window.life.store.getSnapshot(k)?.messages.length ?? 0),
      }),
      KEYS,
    );
    await setState(cdp, 'active');

    const [va, vb] = [await view(a), await view(b)];
    expect(vb.differ, 'the resumed tab equals the log').toEqual([]);
    expect(va.differ).toEqual([]);
    expect(vb.snapshots).toEqual(va.snapshots);
    expect(vb.sessions).toEqual(va.sessions);
    expect(
      await b.evaluate(() => (window as unknown as { lifecycle: string[] }).lifecycle),
    ).toEqual(['freeze', 'resume']);
    const quietIds = await quiet.evaluate(
      async (keys) =>
        (await Promise.all(keys.map((k) => window.life.store.getEvents(k)))).flat().length,
      KEYS,
    );
    expect(quietIds).toBeGreaterThan(0);
    expect([...va.errors, ...vb.errors, ...pageErrors]).toEqual([]);
    const figures = `while frozen the tab received ${whileFrozen.received} channel messages and showed ${whileFrozen.messages.join('/')} messages; after resume ${JSON.parse(vb.snapshots[0]!).messages.length}/${JSON.parse(vb.snapshots[1]!).messages.length}/${JSON.parse(vb.snapshots[2]!).messages.length}`;
    console.log(`[reliability] frozen: ${figures}`);
    test.info().annotations.push({ type: 'figures', description: figures });
  } finally {
    await bare.close();
  }
});

test('a tab frozen with its own commit in flight: other tabs wait, nothing is lost, all converge', async () => {
  test.setTimeout(120_000);
  const bare = await bareChromium();
  try {
    const name = uniqueDb('frozen-busy');
    const a = await openPage(bare.context);
    const b = await openPage(bare.context);
    await openStore(a, name);
    await openStore(b, name);
    const cdp = await bare.context.newCDPSession(b);
    // B issues 300 appends (several group commits) and is frozen right away.
    await b.evaluate((keys) => {
      const { store } = window.life;
      const w = window as unknown as { outcomes: string[]; ids: string[] };
      w.outcomes = [];
      w.ids = [];
      for (let i = 0; i < 300; i++) {
        const e = window.kit.event(store, keys[i % keys.length]!, 'busy', i);
        w.ids.push(e.id);
        store.append(e).then(
          () => w.outcomes.push('ok'),
          (err: { code?: string }) => w.outcomes.push(err.code ?? 'untyped'),
        );
      }
    }, KEYS);
    await setState(cdp, 'frozen');
    const started = Date.now();
    const pending = a.evaluate(async (key) => {
      const t0 = performance.now();
      await window.life.store.record(key, 'a', { type: 'message_received', content: 'during' });
      return performance.now() - t0;
    }, KEYS[0]!);
    const early = await Promise.race([
      pending.then(() => 'done'),
      new Promise((r) => setTimeout(() => r('waiting'), 1500)),
    ]);
    const frozenFor = Date.now() - started;
    await setState(cdp, 'active');
    const ms = await pending;
    // Polled on a timer: requestAnimationFrame (the default) may not run in this page after
    // the CDP freeze, and B's appends can still be finishing here (its journal worker starts
    // with its first write).
    await b.waitForFunction(
      () => (window as unknown as { outcomes: string[] }).outcomes.length === 300,
      undefined,
      { polling: 100 },
    );
    const outcomes = await b.evaluate(() => (window as unknown as { outcomes: string[] }).outcomes);
    expect(new Set(outcomes)).toEqual(new Set(['ok']));
    const [va, vb] = [await view(a), await view(b)];
    expect(vb.differ).toEqual([]);
    expect(va.differ).toEqual([]);
    expect(vb.snapshots).toEqual(va.snapshots);
    const audit = await a.evaluate((keys) => window.kit.audit(window.life.store, keys), KEYS);
    expect(audit.problems).toEqual([]);
    const stored = Object.values(audit.sessions).flatMap((s) => s.ids);
    const ids = await b.evaluate(() => (window as unknown as { ids: string[] }).ids);
    expect(stored.length).toBe(301);
    for (const id of ids) expect(stored).toContain(id);
    const figures = `another tab's append ${early === 'waiting' ? `waited while the tab was frozen (${frozenFor} ms)` : 'completed while the tab was frozen'}, took ${Math.round(ms)} ms`;
    console.log(`[reliability] frozen mid-commit: ${figures}`);
    test.info().annotations.push({ type: 'figures', description: figures });
  } finally {
    await bare.close();
  }
});

test('back/forward cache: a restored tab catches up from the log; a tab evicted by a channel message reloads and catches up', async () => {
  test.setTimeout(120_000);
  const bare = await bareChromium();
  try {
    const name = uniqueDb('bfcache');
    const a = await openPage(bare.context);
    const quiet = await openPage(bare.context);
    const b = await openPage(bare.context);
    // With the journal (the default): B holds a journal segment once it has written.
    await openStore(a, name);
    await openStore(quiet, name, false);
    await openStore(b, name);
    await write(b, 4, 'b-before');
    await write(a, 8, 'before');
    const cdp = await bare.context.newCDPSession(b);
    await cdp.send('Page.enable');
    const notRestored: string[] = [];
    cdp.on(
      'Page.backForwardCacheNotUsed',
      (e: { notRestoredExplanations: Array<{ reason: string }> }) =>
        notRestored.push(e.notRestoredExplanations.map((x) => x.reason).join(',')),
    );

    /** B goes to another page of the origin, `writer` writes, B goes back. */
    const awayAndBack = async (writer: Page, tag: string) => {
      // B leaves idle: a page whose journal check is under way keeps its segment and is evicted
      // when another store asks for the locks (src/journal/link.ts `suspend`). The check starts
      // a second after an open or a return from the cache, so without this wait B could leave mid-check.
      await b.evaluate(() => window.life.store.journalChecked());
      await b.goto(`${await b.evaluate(() => location.origin)}/harness.html?away`);
      await write(writer, 10, tag);
      await writer.evaluate((key) => window.life.store.deleteSession(key), KEYS[1]!);
      await write(writer, 3, `${tag}-after-delete`);
      // Any context listing the origin's Web Locks (every store's journal check does) evicts a
      // cached page that holds one: B must hold none while cached.
      await writer.evaluate(() => navigator.locks.query());
      const before = notRestored.length;
      await b.goBack({ waitUntil: 'commit' });
      await b.waitForFunction(() => window.harnessReady === true);
      const restored = await b.evaluate(() => window.life !== undefined);
      if (restored) {
        expect(await b.evaluate(() => window.life.pageshows.at(-1))).toBe(true);
      } else {
        // A new document: the app opens its store again, as on any load.
        await installKit(b);
        await openStore(b, name);
      }
      const vb = await view(b);
      expect(vb.differ, `${tag}: B equals the log`).toEqual([]);
      // A tab that writes without the channel is seen by others at their next catch-up only;
      // the channel writer itself is current.
      if (writer === a)
        expect(vb.snapshots, `${tag}: B equals A`).toEqual((await view(a)).snapshots);
      expect(vb.errors).toEqual([]);
      // B takes a journal segment again and writes on.
      await write(b, 4, `${tag}-b-after`);
      expect(await b.evaluate(() => window.life.store.journal)).toBe('on');
      return { restored, reasons: notRestored.slice(before).join(';') || '-' };
    };

    // Only the log can tell B: no message reaches it in the cache.
    const viaLog = await awayAndBack(quiet, 'quiet');
    expect(viaLog.restored, `restored from the back/forward cache (not: ${viaLog.reasons})`).toBe(
      true,
    );
    // The writer posts on the channel while B is in the cache.
    const viaChannel = await awayAndBack(a, 'channel');

    // Every acknowledged event of every tab is in the journal once: the database deleted
    // (what Chromium does to a damaged one), the journal gives back exactly the log.
    const logged = await a.evaluate((keys) => window.kit.audit(window.life.store, keys), KEYS);
    expect(logged.problems).toEqual([]);
    for (const p of [a, quiet, b]) await p.evaluate(() => window.life.store.close());
    const back = await a.evaluate(
      async ({ name, keys }) => {
        await new Promise((resolve, reject) => {
          const request = indexedDB.deleteDatabase(name);
          request.onsuccess = resolve;
          request.onerror = () => reject(request.error);
        });
        const store = await window.sessionlog.openEventStore({ name, crossTab: false });
        const audit = await window.kit.audit(store, keys);
        const check = await store.verifyJournal();
        await store.close();
        return { restored: store.restored, audit, check };
      },
      { name, keys: KEYS },
    );
    expect(back.audit.problems).toEqual([]);
    expect(back.check.damaged).toBe(0);
    expect(back.audit.sessions).toEqual(logged.sessions);
    expect(back.restored?.reset).toBe(true);
    const figures = `writes without the channel: B restored from bfcache = ${viaLog.restored} (${viaLog.reasons}); writes with channel messages: restored = ${viaChannel.restored} (not restored because: ${viaChannel.reasons})`;
    console.log(`[reliability] bfcache: ${figures}`);
    test.info().annotations.push({ type: 'figures', description: figures });
  } finally {
    await bare.close();
  }
});

test('an upgrade by another tab while a tab is frozen: it completes once that tab resumes and closes cleanly', async () => {
  test.setTimeout(120_000);
  const bare = await bareChromium();
  try {
    const name = uniqueDb('frozen-upgrade');
    const a = await openPage(bare.context);
    const b = await openPage(bare.context);
    await openStore(b, name);
    await write(b, 5, 'before');
    await b.evaluate(() => {
      const w = window as unknown as { events: string[] };
      w.events = [];
      window.life.store.on('versionchange', () => w.events.push('versionchange'));
      window.life.store.on('close', () => w.events.push('close'));
    });
    const cdp = await bare.context.newCDPSession(b);
    await setState(cdp, 'frozen');
    // A opens version 2 with a plain request (what a newer release of the app does).
    await a.evaluate((name) => {
      const w = window as unknown as { upgrade: Promise<string>; seen: string[] };
      w.seen = [];
      w.upgrade = new Promise((resolve) => {
        const request = indexedDB.open(name, 2);
        request.onblocked = () => w.seen.push('blocked');
        request.onsuccess = () => {
          request.result.close();
          resolve('upgraded');
        };
        request.onerror = () => resolve(`error ${request.error?.name}`);
      });
    }, name);
    const whileFrozen = await a.evaluate(() =>
      Promise.race([
        (window as unknown as { upgrade: Promise<string> }).upgrade,
        new Promise<string>((r) => setTimeout(() => r('waiting'), 1000)),
      ]),
    );
    await setState(cdp, 'active');
    expect(
      await a.evaluate(() => (window as unknown as { upgrade: Promise<string> }).upgrade),
    ).toBe('upgraded');
    await b.waitForFunction(() => window.life.store.closed);
    expect(await b.evaluate(() => (window as unknown as { events: string[] }).events)).toEqual([
      'versionchange',
      'close',
    ]);
    const later = await b.evaluate(() =>
      window.life.store.getEvents('agent:life:a').then(
        () => 'resolved',
        (e: { code?: string }) => e.code,
      ),
    );
    expect(later).toBe('version_change');
    const seen = await a.evaluate(() => (window as unknown as { seen: string[] }).seen);
    const figures = `while the tab was frozen the upgrade was ${whileFrozen} after 1 s (blocked event: ${seen.length > 0 ? 'yes' : 'no'}); it completed on resume`;
    console.log(`[reliability] frozen upgrade: ${figures}`);
    test.info().annotations.push({ type: 'figures', description: figures });
  } finally {
    await bare.close();
  }
});
