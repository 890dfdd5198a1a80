/**
 * Cross-tab behaviour (issue 4, docs/design.md §7) in real Chromium: pages of one
 * browser context share IndexedDB and BroadcastChannel, so each page is a tab.
 * Every tab opens its own store on the same database and is driven through
 * `window.tab`; `window.probe` watches the page from outside the library
 * (see instrument).
 */
import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import type { EventStore } from '../src/index.js';
import { type BareChromium, launchBareChromium } from './chromium.js';
import { waitInPage } from './harness.js';

interface Tab {
  store: EventStore;
  /** Listener calls per session key (and `*sessions*` for subscribeSummaries). */
  calls: Record<string, number>;
  /** Messages of the store's `error` events. */
  errors: string[];
  /** JSON with object keys sorted: equal for deep-equal values whatever their insertion order. */
  stable(value: unknown): string;
}

/** Test instrumentation installed before the store opens. */
interface Probe {
  /** While true, the page's sessionlog channels lose every message (as a page that misses them). */
  drop: boolean;
  /** Messages lost that way. */
  dropped: number;
  /** Listeners currently registered on window and document, per `target:type`. */
  listeners: Map<string, Set<unknown>>;
  /** Every BroadcastChannel the page created, and whether it was closed. */
  channels: Array<{ name: string; closed: boolean }>;
}

declare global {
  interface Window {
    tab: Tab;
    probe: Probe;
  }
}

interface OpenTab {
  page: Page;
  /** Uncaught exceptions and unhandled rejections of the page. */
  pageErrors: string[];
}

const uniqueDb = (label: string) =>
  `tabs-${label}-${Date.now()}-${Math.random().toString(36).slice(2)}`;

/**
 * The dev server's HMR client reloads a page when its websocket drops (Chromium
 * closes the sockets of a frozen page) or when a source file changes: serve an
 * empty module instead, so a page only reloads when a test reloads it.
 */
async function withoutHmr(context: BrowserContext): Promise<void> {
  await context.route('**/@vite/client', (route) =>
    route.fulfill({ contentType: 'text/javascript', body: '' }),
  );
}

test.beforeEach(async ({ context }) => withoutHmr(context));

/** A new page of the context with a store open on `db` as `window.tab`. */
async function openTab(
  context: BrowserContext,
  db: string,
  url = '/harness.html',
): Promise<OpenTab> {
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await loadHarness(page, db, url);
  return { page, pageErrors };
}

/** Loads (or reloads) the harness page, instruments it and opens the store. */
async function loadHarness(page: Page, db: string, url?: string): Promise<void> {
  if (url) await page.goto(url);
  else await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  await instrument(page);
  await openStoreIn(page, db);
}

/** Installs `window.probe`: a lossy switch on the page's channels, and listener/channel bookkeeping. */
async function instrument(page: Page): Promise<void> {
  await page.evaluate(() => {
    const probe: Probe = { drop: false, dropped: 0, listeners: new Map(), channels: [] };
    for (const [name, target] of [
      ['window', window],
      ['document', document],
    ] as const) {
      const add = target.addEventListener.bind(target);
      const remove = target.removeEventListener.bind(target);
      target.addEventListener = (type: string, listener: unknown, options?: unknown) => {
        const k = `${name}:${type}`;
        if (!probe.listeners.has(k)) probe.listeners.set(k, new Set());
        probe.listeners.get(k)!.add(listener);
        add(type, listener as EventListener, options as AddEventListenerOptions);
      };
      target.removeEventListener = (type: string, listener: unknown, options?: unknown) => {
        probe.listeners.get(`${name}:${type}`)?.delete(listener);
        remove(type, listener as EventListener, options as EventListenerOptions);
      };
    }
    const Native = window.BroadcastChannel;
    class Probed extends Native {
      constructor(name: string) {
        super(name);
        const entry = { name, closed: false };
        probe.channels.push(entry);
        // Registered before the store sets onmessage, so it runs first and can swallow the message.
        this.addEventListener('message', (event) => {
          if (probe.drop && name.startsWith('sessionlog:')) {
            probe.dropped++;
            event.stopImmediatePropagation();
          }
        });
        const close = this.close.bind(this);
        this.close = () => {
          entry.closed = true;
          close();
        };
      }
    }
    Object.defineProperty(window, 'BroadcastChannel', { value: Probed, configurable: true });
    window.probe = probe;
  });
}

async function openStoreIn(page: Page, db: string): Promise<void> {
  await page.evaluate(async (name) => {
    const store = await window.sessionlog.openEventStore({ name });
    const errors: string[] = [];
    store.on('error', (e) => errors.push(e.message));
    const stable = (value: unknown) =>
      JSON.stringify(value, (_key, x: unknown) =>
        x && typeof x === 'object' && !Array.isArray(x)
          ? Object.fromEntries(
              Object.keys(x)
                .sort()
                .map((k) => [k, (x as Record<string, unknown>)[k]]),
            )
          : x,
      );
    window.tab = { store, calls: {}, errors, stable };
  }, db);
}

/** Subscribes the page's store to `keys` (and to the session list) and waits until all are loaded. */
async function subscribe(page: Page, keys: string[]): Promise<void> {
  await page.evaluate((keys) => {
    const { store, calls } = window.tab;
    for (const key of keys) {
      store.subscribe(key, () => {
        calls[key] = (calls[key] ?? 0) + 1;
      });
    }
    store.subscribeSummaries(() => {
      calls['*sessions*'] = (calls['*sessions*'] ?? 0) + 1;
    });
  }, keys);
  await waitInPage(
    page,
    (keys) =>
      window.tab.store.getSummariesSnapshot() !== undefined &&
      keys.every((k) => window.tab.store.getSnapshot(k) !== undefined),
    keys,
  );
}

/** Waits until the page's live snapshot of every key equals the projection of the log. */
async function waitConverged(page: Page, keys: string[], timeout = 15_000): Promise<void> {
  await waitInPage(
    page,
    async (keys) => {
      const { store, stable } = window.tab;
      const { project } = window.sessionlog;
      for (const key of keys) {
        const events = await store.getEvents(key);
        const fromLog =
          events.length > 0 ? project(events) : window.sessionlog.emptyProjection(key);
        if (stable(store.getSnapshot(key)) !== stable(fromLog)) return false;
      }
      const summaries = await store.listSummaries();
      return stable(store.getSummariesSnapshot()) === stable(summaries);
    },
    keys,
    timeout,
  );
}

/**
 * What a page sees: live snapshots, the log's projections and the session
 * list, as sorted-key JSON (a live projection's customState can list its keys
 * in another order than project() of the same events: deep-equal, not JSON-equal).
 */
async function viewOf(page: Page, keys: string[]) {
  return page.evaluate(async (keys) => {
    const { store, stable, errors } = window.tab;
    const { project } = window.sessionlog;
    const sessions: Record<string, { snapshot: string; fromLog: string; ids: string[] }> = {};
    for (const key of keys) {
      const events = await store.getEvents(key);
      sessions[key] = {
        snapshot: stable(store.getSnapshot(key)),
        fromLog: events.length > 0 ? stable(project(events)) : '(no events)',
        ids: events.map((e) => e.id),
      };
    }
    return {
      sessions,
      sessionList: stable(store.getSummariesSnapshot()),
      listed: await store.listSessions(),
      errors,
    };
  }, keys);
}

test.describe('tabs share one live state', () => {
  test('an append in one tab reaches a subscriber in another, equal to the log', async ({
    context,
  }) => {
    const db = uniqueDb('two');
    const a = await openTab(context, db);
    const b = await openTab(context, db);
    const key = 'agent:two:main';
    await subscribe(b.page, [key]);
    expect(
      await b.page.evaluate((k) => window.tab.store.getSnapshot(k)?.messages.length, key),
    ).toBe(0);
    await b.page.evaluate((k) => {
      Object.assign(window, { firstSnapshot: window.tab.store.getSnapshot(k) });
    }, key);

    const ids = await a.page.evaluate(async (key) => {
      const { store } = window.tab;
      const out: string[] = [];
      out.push(
        (await store.record(key, 'two', { type: 'session_started', channel: 'web', peer_id: 'u' }))
          .id,
      );
      out.push((await store.record(key, 'two', { type: 'message_received', content: 'hi' })).id);
      out.push(
        (
          await store.record(key, 'two', {
            type: 'agent_response',
            content: 'hello',
            model: 'm',
            tokens: { input_tokens: 3, output_tokens: 5 },
          })
        ).id,
      );
      out.push(
        (
          await store.record(key, 'two', {
            type: 'state_changed',
            key: 'mood',
            value: { ok: true },
          })
        ).id,
      );
      return out;
    }, key);

    await waitInPage(
      b.page,
      (args) => window.tab.store.getSnapshot(args.key)?.lastEventId === args.last,
      { key, last: ids.at(-1)! },
    );
    const inA = await a.page.evaluate((k) => window.tab.store.getProjection(k), key);
    const inB = await b.page.evaluate(async (k) => {
      const { store } = window.tab;
      return {
        snapshot: store.getSnapshot(k),
        fromLog: window.sessionlog.project(await store.getEvents(k)),
        calls: window.tab.calls[k] ?? 0,
        frozen: Object.isFrozen(store.getSnapshot(k)),
        first: (window as unknown as { firstSnapshot: unknown }).firstSnapshot,
      };
    }, key);
    expect(inB.snapshot).toEqual(inA);
    expect(inB.snapshot).toEqual(inB.fromLog);
    expect(inB.snapshot?.messageCount).toBe(1);
    expect(inB.snapshot?.tokens.output).toBe(5);
    expect(inB.snapshot?.customState).toEqual({ mood: { ok: true } });
    expect(inB.calls).toBeGreaterThanOrEqual(2); // loaded, then changed by A
    expect(inB.frozen).toBe(true);
    // The snapshot B had before is a different, unchanged object (immutable snapshots).
    expect(inB.first).toEqual(
      await b.page.evaluate((k) => window.sessionlog.emptyProjection(k), key),
    );
    expect([...a.pageErrors, ...b.pageErrors]).toEqual([]);
  });

  test('four tabs writing the same sessions at once converge, each event stored once', async ({
    context,
  }) => {
    test.setTimeout(120_000);
    const db = uniqueDb('four');
    const keys = ['agent:four:main', 'agent:four:channel:web:account:x:dm:p', 'agent:four:ü:𝄞'];
    const tabs = [];
    for (let i = 0; i < 4; i++) tabs.push(await openTab(context, db));
    for (const t of tabs) await subscribe(t.page, keys);

    // Each tab: ≥ 200 own events over the three sessions, as single records
    // (not awaited one by one) and batches, with registers (state, custom
    // state) written by every tab, plus 20 events identical in every tab
    // (same content, timestamp and origin, so the same id): cross-tab duplicates.
    const work = tabs.map((t, tabIndex) =>
      t.page.evaluate(
        async ({ keys, tabIndex }) => {
          const { store } = window.tab;
          const { createEvent } = window.sessionlog;
          let seed = tabIndex * 7919 + 1;
          const rand = () => {
            seed = (seed * 48271) % 2147483647;
            return seed / 2147483647;
          };
          const kindFor = (n: number) => {
            const k = n % 6;
            if (k === 0)
              return { type: 'message_received' as const, content: `t${tabIndex} #${n}` };
            if (k === 1)
              return {
                type: 'agent_response' as const,
                content: `r${tabIndex}.${n}`,
                model: 'm',
                tokens: { input_tokens: n, output_tokens: 1 },
              };
            if (k === 2)
              return {
                type: 'state_changed' as const,
                key: `k${n % 5}`,
                value: { tab: tabIndex, n },
              };
            if (k === 3)
              return {
                type: 'message_sent' as const,
                content: `s${n}`,
                message_id: `m${tabIndex}-${n}`,
              };
            if (k === 4)
              return { type: 'tool_called' as const, tool_name: 'search', params: { q: n } };
            return n % 4 === 1
              ? { type: 'session_ended' as const, reason: `tab ${tabIndex}` }
              : { type: 'session_started' as const, channel: `c${tabIndex}`, peer_id: 'p' };
          };
          const ids: string[] = [];
          const pending: Promise<unknown>[] = [];
          let n = 0;
          while (n < 210) {
            const key = keys[Math.floor(rand() * keys.length)]!;
            if (rand() < 0.5) {
              const p = store
                .record(key, `agent${tabIndex}`, kindFor(n++))
                .then((e) => ids.push(e.id));
              pending.push(p);
            } else {
              const size = 2 + Math.floor(rand() * 14);
              const batch = [];
              for (let i = 0; i < size; i++) {
                batch.push(
                  createEvent(
                    keys[Math.floor(rand() * keys.length)]!,
                    `agent${tabIndex}`,
                    kindFor(n + i),
                    {
                      clock: store.clock,
                      origin: store.origin,
                    },
                  ),
                );
              }
              n += size;
              for (const e of batch) ids.push(e.id);
              // Sometimes the batch again (a retry): a duplicate within the tab.
              pending.push(store.append(batch));
              if (rand() < 0.15) pending.push(store.append(batch));
            }
            if (rand() < 0.3) await new Promise((r) => setTimeout(r, 0));
            if (pending.length > 8) await Promise.all(pending.splice(0));
          }
          const shared = [];
          for (let j = 0; j < 20; j++) {
            shared.push(
              createEvent(
                keys[j % keys.length]!,
                'shared',
                { type: 'message_received', content: `shared ${j}` },
                {
                  timestamp: `2024-01-01T00:00:00.${String(j + 1).padStart(9, '0')}Z`,
                  origin: 'shared',
                },
              ),
            );
          }
          for (const e of shared) ids.push(e.id);
          pending.push(store.append(shared.slice(0, 10)));
          for (const e of shared.slice(10)) pending.push(store.append(e));
          await Promise.all(pending);
          return ids;
        },
        { keys, tabIndex },
      ),
    );
    const idsPerTab = await Promise.all(work);
    const distinct = new Set(idsPerTab.flat());
    for (const ids of idsPerTab) expect(ids.length).toBeGreaterThanOrEqual(230);
    // 20 shared events per tab are the same 20 events.
    expect(distinct.size).toBe(idsPerTab.reduce((sum, ids) => sum + new Set(ids).size, 0) - 3 * 20);

    for (const t of tabs) await waitConverged(t.page, keys, 20_000);
    const views = await Promise.all(tabs.map((t) => viewOf(t.page, keys)));
    const first = views[0]!;
    const stored = keys.flatMap((k) => first.sessions[k]!.ids);
    expect(stored.length).toBe(distinct.size);
    expect(new Set(stored)).toEqual(distinct);
    for (const key of keys) {
      expect(first.sessions[key]!.snapshot).toBe(first.sessions[key]!.fromLog);
      expect(JSON.parse(first.sessions[key]!.snapshot).messages.length).toBeGreaterThan(100);
    }
    expect(first.listed).toEqual([...keys].sort());
    for (const view of views.slice(1)) expect(view).toEqual(first);
    for (const t of tabs) expect(t.pageErrors).toEqual([]);
  });

  test('deleting a session in one tab removes it in all', async ({ context }) => {
    const db = uniqueDb('delete');
    const gone = 'agent:del:gone';
    const kept = 'agent:del:kept';
    const tabs = [
      await openTab(context, db),
      await openTab(context, db),
      await openTab(context, db),
    ];
    for (const t of tabs) await subscribe(t.page, [gone, kept]);
    await tabs[0]!.page.evaluate(
      async ({ gone, kept }) => {
        const { store } = window.tab;
        for (let i = 0; i < 5; i++) {
          await store.record(gone, 'd', { type: 'message_received', content: `g${i}` });
          await store.record(kept, 'd', { type: 'message_received', content: `k${i}` });
        }
      },
      { gone, kept },
    );
    for (const t of tabs) await waitConverged(t.page, [gone, kept]);
    expect((await viewOf(tabs[2]!.page, [gone])).listed).toEqual([gone, kept]);
    // An event stamped before the deletion, to be offered again afterwards.
    const old = await tabs[2]!.page.evaluate(
      (gone) =>
        window.sessionlog.createEvent(
          gone,
          'd',
          { type: 'message_received', content: 'late' },
          {
            clock: window.tab.store.clock,
          },
        ),
      gone,
    );

    await tabs[1]!.page.evaluate((gone) => window.tab.store.deleteSession(gone), gone);

    for (const t of tabs) {
      await waitInPage(
        t.page,
        (gone) =>
          window.tab.store.getSnapshot(gone)?.messages.length === 0 &&
          !window.tab.store.getSummariesSnapshot()?.some((s) => s.sessionKey === gone),
        gone,
      );
      const seen = await t.page.evaluate(
        ({ gone, kept }) => ({
          snapshot: window.tab.store.getSnapshot(gone),
          empty: window.sessionlog.emptyProjection(gone),
          sessions: window.tab.store.getSummariesSnapshot()?.map((s) => s.sessionKey),
          keptMessages: window.tab.store.getSnapshot(kept)?.messages.length,
        }),
        { gone, kept },
      );
      expect(seen.snapshot).toEqual(seen.empty);
      expect(seen.sessions).toEqual([kept]);
      expect(seen.keptMessages).toBe(5);
      const view = await viewOf(t.page, [gone]);
      expect(view.listed).toEqual([kept]);
      expect(view.sessions[gone]!.ids).toEqual([]);
    }

    // The older event is dropped by the tombstone; a newer one starts the session anew, everywhere.
    const late = await tabs[2]!.page.evaluate((old) => window.tab.store.append(old), old);
    expect(late.skipped.length).toBe(1);
    const fresh = await tabs[0]!.page.evaluate(
      (gone) => window.tab.store.record(gone, 'd', { type: 'message_received', content: 'anew' }),
      gone,
    );
    for (const t of tabs) {
      await waitConverged(t.page, [gone, kept]);
      const snapshot = await t.page.evaluate((gone) => window.tab.store.getSnapshot(gone), gone);
      expect(snapshot?.messages.map((m) => m.id)).toEqual([fresh.id]);
    }
    for (const t of tabs) expect(t.pageErrors).toEqual([]);
  });
});

/** Records `count` messages in `key` from the page's store; returns their ids. */
function recordIn(page: Page, key: string, count: number, label = 'm'): Promise<string[]> {
  return page.evaluate(
    async ({ key, count, label }) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const e = await window.tab.store.record(key, 'e2e', {
          type: 'message_received',
          content: `${label}${i}`,
        });
        ids.push(e.id);
      }
      return ids;
    },
    { key, count, label },
  );
}

/** The ids of the page's live snapshot of `key`. */
function liveIds(page: Page, key: string): Promise<string[] | undefined> {
  return page.evaluate((key) => window.tab.store.getSnapshot(key)?.messages.map((m) => m.id), key);
}

/** Browsers started by hand, closed after each test even when it times out. */
const launched: BareChromium[] = [];
test.afterEach(async () => {
  for (const bare of launched.splice(0)) await bare.close();
});

test.describe('tabs that missed messages catch up from the log', () => {
  test('a page frozen through CDP while another writes catches up when resumed', async ({
    baseURL,
  }) => {
    // Playwright's own launch emulates focus, which keeps every page visible and
    // so makes Page.setWebLifecycleState a no-op: this browser is started by hand.
    const bare = await launchBareChromium();
    launched.push(bare);
    const { context } = bare;
    await withoutHmr(context);
    const db = uniqueDb('frozen');
    const key = 'agent:frozen:main';
    const other = 'agent:frozen:other';
    const a = await openTab(context, db, `${baseURL}/harness.html`);
    const b = await openTab(context, db, `${baseURL}/harness.html`);
    await subscribe(a.page, [key, other]);
    await subscribe(b.page, [key, other]);
    await recordIn(a.page, other, 1);
    await waitConverged(b.page, [key, other]);
    await b.page.evaluate(() => {
      const seen: string[] = [];
      for (const type of ['freeze', 'resume'])
        document.addEventListener(type, () => seen.push(type));
      (window as unknown as { lifecycle: string[] }).lifecycle = seen;
    });

    const cdp = await context.newCDPSession(b.page);
    for (const round of [1, 2]) {
      // Round 1: the frozen page still receives the messages (and reads nothing until resumed).
      // Round 2: it loses every message, so only the catch-up on `resume` can bring it up to date.
      await b.page.evaluate((lose) => {
        window.probe.drop = lose;
      }, round === 2);
      await cdp.send('Page.setWebLifecycleState', { state: 'frozen' });
      const ids = await recordIn(a.page, key, 10, `r${round}-`);
      if (round === 1) await a.page.evaluate((k) => window.tab.store.deleteSession(k), other);
      await cdp.send('Page.setWebLifecycleState', { state: 'active' });
      await waitInPage(
        b.page,
        (args) => window.tab.store.getSnapshot(args.key)?.lastEventId === args.last,
        { key, last: ids.at(-1)! },
      );
      await waitConverged(b.page, [key, other]);
      expect(await b.page.evaluate(() => window.probe.dropped)).toBe(round === 2 ? 10 : 0);
    }
    const lifecycle = await b.page.evaluate(
      () => (window as unknown as { lifecycle: string[] }).lifecycle,
    );
    expect(lifecycle).toEqual(['freeze', 'resume', 'freeze', 'resume']);
    const seen = await b.page.evaluate(
      () => window.tab.store.getSummariesSnapshot()?.map((s) => s.sessionKey) ?? [],
    );
    expect(seen).toEqual([key]);
    expect(await liveIds(b.page, key)).toEqual(await liveIds(a.page, key));
    expect(await viewOf(b.page, [key, other])).toEqual(await viewOf(a.page, [key, other]));
    expect([...a.pageErrors, ...b.pageErrors]).toEqual([]);
  });

  test('pageshow, visibilitychange and resume each catch up a page that lost messages', async ({
    context,
  }) => {
    const db = uniqueDb('lifecycle');
    const key = 'agent:lifecycle:main';
    const a = await openTab(context, db);
    const b = await openTab(context, db);
    await subscribe(b.page, [key]);
    let expected = 0;
    for (const trigger of ['pageshow', 'visibilitychange', 'resume']) {
      await b.page.evaluate(() => {
        window.probe.drop = true;
        window.probe.dropped = 0;
      });
      await recordIn(a.page, key, 3, trigger);
      expected += 3;
      await waitInPage(b.page, () => window.probe.dropped === 3, null);
      // Nothing else will tell B: it is behind until the page lifecycle event.
      expect((await liveIds(b.page, key))?.length).toBe(expected - 3);
      await b.page.evaluate((trigger) => {
        window.probe.drop = false;
        if (trigger === 'pageshow')
          window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
        else document.dispatchEvent(new Event(trigger));
      }, trigger);
      await waitInPage(
        b.page,
        (n) => window.tab.store.getSnapshot('agent:lifecycle:main')?.messages.length === n,
        expected,
      );
      await waitConverged(b.page, [key]);
    }
    expect([...a.pageErrors, ...b.pageErrors]).toEqual([]);
  });

  test('a tab that missed messages notices the gap at the next one and reads the log', async ({
    context,
  }) => {
    const db = uniqueDb('gap');
    const key = 'agent:gap:main';
    const a = await openTab(context, db);
    const b = await openTab(context, db);
    await subscribe(b.page, [key]);
    await b.page.evaluate(() => {
      window.probe.drop = true;
    });
    const lost = await recordIn(a.page, key, 4, 'lost');
    await waitInPage(b.page, () => window.probe.dropped === 4, null);
    expect(await liveIds(b.page, key)).toEqual([]);
    await b.page.evaluate(() => {
      window.probe.drop = false;
    });
    const next = await recordIn(a.page, key, 1, 'next');
    await waitInPage(
      b.page,
      (n) => window.tab.store.getSnapshot('agent:gap:main')?.messages.length === n,
      5,
    );
    expect(await liveIds(b.page, key)).toEqual([...lost, ...next]);
    await waitConverged(b.page, [key]);
    expect([...a.pageErrors, ...b.pageErrors]).toEqual([]);
  });

  test('a page reloaded in the middle of other tabs writing catches up', async ({ context }) => {
    const db = uniqueDb('reload');
    const key = 'agent:reload:main';
    const a = await openTab(context, db);
    const b = await openTab(context, db);
    const c = await openTab(context, db);
    for (const t of [a, b, c]) await subscribe(t.page, [key]);
    const writes = [a, c].map((t, i) =>
      t.page.evaluate(
        async ({ key, i }) => {
          const ids: string[] = [];
          for (let n = 0; n < 120; n++) {
            const e = await window.tab.store.record(key, `w${i}`, {
              type: 'message_received',
              content: `w${i}-${n}`,
            });
            ids.push(e.id);
            if (n % 10 === 0) await new Promise((r) => setTimeout(r, 5));
          }
          return ids;
        },
        { key, i },
      ),
    );
    await waitInPage(
      b.page,
      () => (window.tab.store.getSnapshot('agent:reload:main')?.messages.length ?? 0) >= 30,
      null,
    );
    await loadHarness(b.page, db);
    await subscribe(b.page, [key]);
    const midway = await b.page.evaluate(
      () => window.tab.store.getSnapshot('agent:reload:main')?.messages.length ?? 0,
    );
    const written = (await Promise.all(writes)).flat();
    expect(midway).toBeLessThan(written.length); // it did reload in the middle
    const own = await recordIn(b.page, key, 1, 'after-reload');
    for (const t of [a, b, c]) await waitConverged(t.page, [key]);
    const ids = await liveIds(b.page, key);
    expect(new Set(ids)).toEqual(new Set([...written, ...own]));
    expect(await viewOf(b.page, [key])).toEqual(await viewOf(a.page, [key]));
    expect(await viewOf(c.page, [key])).toEqual(await viewOf(a.page, [key]));
    expect([...a.pageErrors, ...b.pageErrors, ...c.pageErrors]).toEqual([]);
  });
});

test.describe('the channel is only a hint', () => {
  test('garbage on the channel is ignored, counted, writes nothing and throws nothing', async ({
    context,
  }) => {
    const db = uniqueDb('garbage');
    const key = 'agent:garbage:main';
    const ghost = 'agent:garbage:ghost';
    const a = await openTab(context, db);
    const b = await openTab(context, db);
    await subscribe(a.page, [key, ghost]);
    await subscribe(b.page, [key, ghost]);
    await recordIn(a.page, key, 3);
    await waitConverged(b.page, [key, ghost]);
    const stats = () =>
      Promise.all([a, b].map((t) => t.page.evaluate(() => window.tab.store.channelStats)));
    const before = {
      a: await viewOf(a.page, [key, ghost]),
      b: await viewOf(b.page, [key, ghost]),
      stats: await stats(),
    };

    // Posted from A on a raw channel of the same name, so both A's and B's stores receive all of it.
    const bOrigin = await b.page.evaluate(() => window.tab.store.origin);
    const posted = await a.page.evaluate(
      async ({ name, key, ghost, bOrigin }) => {
        const { createEvent, toReferenceEventJson } = window.sessionlog;
        const meta = await new Promise<{ seq: number; instance: string }>((resolve, reject) => {
          const open = indexedDB.open(name);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const conn = open.result;
            const get = conn.transaction('meta').objectStore('meta').get('state');
            get.onsuccess = () => {
              conn.close();
              resolve(get.result);
            };
            get.onerror = () => reject(get.error);
          };
        });
        const db = meta.instance;
        const next = meta.seq + 1;
        const from = 'f'.repeat(32);
        const valid = (k: string, content: string) =>
          createEvent(k, 'intruder', { type: 'message_received', content });
        const ghostEvent = valid(ghost, 'boo');
        const commit = (events: unknown, seq: unknown = next) => ({
          v: 1,
          db,
          from,
          type: 'commit',
          seq,
          events,
        });
        let deep: unknown = { end: true };
        for (let i = 0; i < 500; i++) deep = { nested: deep, list: [[deep]] };
        const garbage: Array<[string, unknown]> = [
          ['null', null],
          ['a string', 'commit'],
          ['a number', 42],
          ['nested arrays', [[1, [2, [3, [commit([ghostEvent])]]]]]],
          ['deeply nested objects', deep],
          ['a Map', new Map([['v', 1]])],
          ['a Date', new Date()],
          ['bytes', new Uint8Array(1024)],
          ['wrong version', { ...commit([ghostEvent]), v: 2 }],
          ['version as a string', { ...commit([ghostEvent]), v: '1' }],
          ['wrong db token', { ...commit([ghostEvent]), db: 'ffffffffffffffff' }],
          ['missing db token', { v: 1, from, type: 'commit', seq: next, events: [ghostEvent] }],
          ['missing sender', { v: 1, db, type: 'commit', seq: next, events: [ghostEvent] }],
          ['huge sender', { ...commit([ghostEvent]), from: 'x'.repeat(1 << 20) }],
          ['missing type', { v: 1, db, from, seq: next }],
          ['unknown type', { v: 1, db, from, type: 'sync', seq: next }],
          ['missing seq', { v: 1, db, from, type: 'commit', events: [ghostEvent] }],
          ['negative seq', commit([ghostEvent], -1)],
          ['zero seq', commit([ghostEvent], 0)],
          ['fractional seq', commit([ghostEvent], next + 0.5)],
          ['seq as a string', commit([ghostEvent], String(next))],
          ['NaN seq', commit([ghostEvent], Number.NaN)],
          ['seq beyond 2^53', commit([ghostEvent], 2 ** 60)],
          ['events not an array', commit({ 0: ghostEvent, length: 1 })],
          ['empty events', commit([])],
          ['events of nested arrays', commit([[[ghostEvent]]])],
          ['an empty event', commit([{}])],
          ['an event missing its id', commit([{ ...ghostEvent, id: undefined }])],
          ['a short id', commit([{ ...ghostEvent, id: ghostEvent.id.slice(1) }])],
          ['an uppercase id', commit([{ ...ghostEvent, id: ghostEvent.id.toUpperCase() }])],
          ['a non-hex id', commit([{ ...ghostEvent, id: 'z'.repeat(64) }])],
          [
            'an id not matching the content',
            commit([{ ...ghostEvent, kind: { ...ghostEvent.kind, content: 'tampered' } }]),
          ],
          [
            'an id taken from another event',
            commit([{ ...valid(key, 'x'), id: valid(key, 'y').id }]),
          ],
          [
            'a timestamp far in the future',
            commit([{ ...ghostEvent, timestamp: '2999-01-01T00:00:00.000000000Z' }]),
          ],
          [
            'an oversized event',
            commit([{ ...ghostEvent, kind: { ...ghostEvent.kind, content: 'x'.repeat(2 << 20) } }]),
          ],
          ['too many events', commit(Array.from({ length: 5001 }, () => ghostEvent))],
          ['a Map as an event', commit([new Map(Object.entries(ghostEvent))])],
          ['a bad delete', { v: 1, db, from, type: 'delete', seq: next, sessionKey: '' }],
          [
            'a delete with a bad timestamp',
            { v: 1, db, from, type: 'delete', seq: next, sessionKey: key, timestamp: 'yesterday' },
          ],
          ['a bad draft', { v: 1, db, from, type: 'draft', draft: { id: 1, text: null } }],
          // Well-formed, with the right token, but not what the log holds: forged.
          ['valid events for an unknown session, forged next seq', commit([ghostEvent])],
          ['valid events for a known session, forged next seq', commit([valid(key, 'forged')])],
          [
            'a commit with a forged seq far ahead',
            { v: 1, db, from, type: 'commit', seq: next + 1e6 },
          ],
          [
            'a reference-form event (unverifiable id), forged next seq',
            commit([JSON.parse(toReferenceEventJson(valid(ghost, 'ref')))]),
          ],
          [
            'a forged delete of a live session',
            {
              v: 1,
              db,
              from,
              type: 'delete',
              seq: next,
              sessionKey: key,
              timestamp: new Date().toISOString(),
            },
          ],
        ];
        garbage.push([
          'a commit claiming to come from B itself',
          { ...commit([valid(key, 'me')]), from: bOrigin },
        ]);
        const channel = new BroadcastChannel(`sessionlog:${name}`);
        for (const [, message] of garbage) channel.postMessage(message);
        // Not even sent: the browser refuses to clone a function.
        let uncloneable = false;
        try {
          channel.postMessage({ ...commit([ghostEvent]), toJSON: () => 1 });
        } catch {
          uncloneable = true;
        }
        channel.close();
        return { labels: garbage.map(([label]) => label), uncloneable };
      },
      { name: db, key, ghost, bOrigin },
    );
    expect(posted.uncloneable).toBe(true);
    const n = posted.labels.length;
    expect(n).toBeGreaterThanOrEqual(40);

    for (const t of [a, b]) {
      await waitInPage(
        t.page,
        (ignored) => window.tab.store.channelStats.ignored >= ignored,
        before.stats[0]!.ignored + n,
      );
    }
    const after = await stats();
    for (const [i, s] of after.entries()) {
      expect(s.ignored - before.stats[i]!.ignored).toBe(n);
      expect(s.received - before.stats[i]!.received).toBe(n);
      expect(typeof s.lastIgnored).toBe('string');
    }
    // Nothing was written, nothing changed in the live state, nothing escaped.
    expect(await viewOf(a.page, [key, ghost])).toEqual(before.a);
    expect(await viewOf(b.page, [key, ghost])).toEqual(before.b);
    expect(before.b.sessions[ghost]!.ids).toEqual([]);

    // Live state stays correct: the next real commit still reaches every tab.
    const real = await recordIn(a.page, key, 1, 'real');
    await waitInPage(
      b.page,
      (last) => window.tab.store.getSnapshot('agent:garbage:main')?.lastEventId === last,
      real[0]!,
    );
    for (const t of [a, b]) await waitConverged(t.page, [key, ghost]);
    expect((await viewOf(b.page, [key])).sessions[key]!.ids).toHaveLength(4);
    expect(await viewOf(b.page, [key, ghost])).toEqual(await viewOf(a.page, [key, ghost]));
    expect((await stats()).map((s) => s.ignored)).toEqual(after.map((s) => s.ignored));
    expect([...a.pageErrors, ...b.pageErrors]).toEqual([]);
  });
});

test.describe('closing a store', () => {
  test('close() removes its listeners and its channel; other tabs no longer reach it', async ({
    context,
  }) => {
    const db = uniqueDb('close');
    const key = 'agent:close:main';
    const a = await openTab(context, db);
    const b = await openTab(context, db);
    const listeners = () =>
      b.page.evaluate(() =>
        Object.fromEntries([...window.probe.listeners].map(([k, set]) => [k, set.size])),
      );
    const withOneStore = await listeners();
    // A store's page lifecycle: its tab catch-up (pageshow, visibilitychange, resume) and
    // the back/forward cache (pagehide and pageshow: its journal lets go of its segment).
    expect(withOneStore).toMatchObject({
      'window:pageshow': 1,
      'window:pagehide': 1,
      'document:visibilitychange': 1,
      'document:resume': 1,
    });
    await subscribe(b.page, [key]);
    // A second store in B, left open: it shows when A's commits have reached B.
    await b.page.evaluate(
      async (args) => {
        const other = await window.sessionlog.openEventStore({ name: args.db });
        const counts = { live: 0 };
        other.subscribe(args.key, () => counts.live++);
        Object.assign(window, { other, otherCounts: counts });
      },
      { db, key },
    );
    const first = await recordIn(a.page, key, 1, 'before');
    await waitInPage(
      b.page,
      (last) =>
        window.tab.store.getSnapshot('agent:close:main')?.lastEventId === last &&
        (window as unknown as { other: EventStore }).other.getSnapshot('agent:close:main')
          ?.lastEventId === last,
      first[0]!,
    );

    const withTwoStores = await listeners();
    expect(withTwoStores['document:resume']).toBe(2);
    const closed = await b.page.evaluate(async () => {
      const { store, calls } = window.tab;
      const channelsBefore = window.probe.channels.filter((c) => !c.closed).length;
      await store.close();
      // The page lifecycle listeners the store had are gone.
      for (const type of ['resume', 'visibilitychange']) document.dispatchEvent(new Event(type));
      window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true }));
      return {
        channelsBefore,
        openChannels: window.probe.channels.filter((c) => !c.closed).map((c) => c.name),
        calls: { ...calls },
        closed: store.closed,
        stats: store.channelStats,
        snapshot: store.getSnapshot('agent:close:main') ?? null,
      };
    });
    expect(closed.closed).toBe(true);
    // Two stores, each with its tab channel and its journal's; after close only the other store's are open.
    expect(closed.channelsBefore).toBe(4);
    expect(closed.openChannels.sort()).toEqual([`sessionlog-journal:${db}`, `sessionlog:${db}`]);
    expect(closed.snapshot).toBeNull();
    // Back to one store's listeners: the closed store removed all of its own.
    expect(await listeners()).toEqual(withOneStore);

    const later = await recordIn(a.page, key, 3, 'after');
    await waitInPage(
      b.page,
      (last) =>
        (window as unknown as { other: EventStore }).other.getSnapshot('agent:close:main')
          ?.lastEventId === last,
      later.at(-1)!,
    );
    const afterwards = await b.page.evaluate(() => ({
      calls: { ...window.tab.calls },
      stats: window.tab.store.channelStats,
      errors: window.tab.errors,
    }));
    expect(afterwards.calls).toEqual(closed.calls);
    expect(afterwards.stats).toEqual(closed.stats);
    expect(afterwards.errors).toEqual([]);
    // The closed store rejects use; the page is fine.
    const rejected = await b.page.evaluate(() =>
      window.tab.store.getEvents('agent:close:main').then(
        () => 'resolved',
        (e: { code?: string }) => e.code,
      ),
    );
    expect(rejected).toBe('closed');
    expect([...a.pageErrors, ...b.pageErrors]).toEqual([]);
  });
});
