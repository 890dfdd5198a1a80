/**
 * Shared pieces of the reliability suite (issue 8): the suite's Chromium flags
 * and bare browser (started by ../chromium.ts), and `window.kit`, page-side helpers installed with
 * `installKit(page)` (they run inside the page, so they only use `window.sessionlog`).
 */

import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from '@playwright/test';
import type { AnyEvent, EventStore } from '../../src/index.js';
import { BASE_ARGS, type BareChromium, launchBareChromium, processesOf } from '../chromium.js';
import { DEV_URL } from '../ports.js';

export const BASE_URL = DEV_URL;
export const HARNESS_URL = `${BASE_URL}/harness.html`;
/** Flags RELIABILITY_CHROMIUM_ARGS adds (e.g. `--enable-features=IdbSqliteBackingStore`). */
const EXTRA_ARGS = process.env.RELIABILITY_CHROMIUM_ARGS?.split(' ').filter(Boolean) ?? [];
/** Chromium flags of the suite's browsers. */
export const CHROMIUM_ARGS = [...BASE_ARGS, ...EXTRA_ARGS];

/**
 * Replaces the dev server's HMR client with an empty module. The client
 * reloads a page when its socket drops (which Chromium does on freezing and
 * on entering the back/forward cache) and whenever a source file changes; a
 * reliability test must see what the library does, not a reload by the dev server.
 */
export async function muteViteClient(context: BrowserContext): Promise<void> {
  await context.route(/\/@vite\/client$/, (route) =>
    route.fulfill({ contentType: 'text/javascript', body: '' }),
  );
}

/** A new page of `context` on the harness, with `window.kit` installed. */
export async function openPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  await gotoHarness(page);
  return page;
}

/** Navigates `page` to the harness and installs `window.kit`. */
export async function gotoHarness(page: Page, query = ''): Promise<void> {
  await page.goto(`${HARNESS_URL}${query}`);
  await page.waitForFunction(() => window.harnessReady === true);
  await installKit(page);
}

/**
 * A Chromium started by hand (see launchBareChromium in ../chromium.ts) with
 * the suite's flags, its dev server's HMR client muted.
 */
export async function bareChromium(): Promise<BareChromium> {
  const bare = await launchBareChromium({ args: EXTRA_ARGS });
  await muteViteClient(bare.context);
  return bare;
}

/** Pid of the browser process, from CDP; the profile's command line as a fallback. */
export async function browserPid(context: BrowserContext, profile: string): Promise<number> {
  const browser = context.browser();
  if (browser) {
    const session = await browser.newBrowserCDPSession();
    const info = (await session.send('SystemInfo.getProcessInfo')) as {
      processInfo: Array<{ type: string; id: number }>;
    };
    const pid = info.processInfo.find((p) => p.type === 'browser')?.id;
    if (pid) return pid;
  }
  const pids = processesOf(profile).filter(
    (pid) => !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type='),
  );
  if (pids.length !== 1) throw new Error(`cannot tell the browser process among ${pids}`);
  return pids[0]!;
}

/** A unique database name per test run. */
export function uniqueDb(label: string): string {
  return `rel-${label}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Seeded PRNG (mulberry32): the same seed replays the same run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What `kit.audit` found about the stored log of some sessions. */
export interface Audit {
  /** Stored event ids and agent ids per session, in log order. */
  sessions: Record<string, { ids: string[]; agents: string[] }>;
  /** Inconsistencies found; empty when the log, summaries and indexes agree. */
  problems: string[];
  /** The commit sequence in `meta`. */
  metaSeq: number;
}

/** Page-side helpers, available as `window.kit` after {@link installKit}. */
export interface Kit {
  /** JSON with object keys sorted, so deep-equal values give equal text. */
  stable(value: unknown): string;
  /** Number of kinds `event` makes: the eight known ones and one unknown kind. */
  kinds: number;
  /** An event of kind number `k % kinds`, stamped by `store`, with `agent` as its agent id. */
  event(store: EventStore, key: string, agent: string, k: number, pad?: number): AnyEvent;
  /**
   * Checks the log of `keys` for everything that must hold after any hazard:
   * events in (timestamp, id) order and stored once, each summary equal to the
   * projection of the log (same transaction), the message index equal to the
   * projection's messages, listSessions and the commit sequence consistent.
   */
  audit(store: EventStore, keys: string[]): Promise<Audit>;
  /**
   * Subscribes to `keys` and the session list (once per store) and waits until
   * every live snapshot equals the projection of the log and the live session
   * list equals listSummaries(); returns what still differed after `timeoutMs`.
   */
  live(store: EventStore, keys: string[], timeoutMs?: number): Promise<string[]>;
  /** Reads a whole object store with a raw IndexedDB connection (closed after). */
  rawAll(name: string, storeName: string): Promise<unknown[]>;
  /** The `meta` record with a raw connection. */
  rawMeta(name: string): Promise<{ seq: number; instance: string }>;
}

declare global {
  interface Window {
    kit: Kit;
  }
}

/** Installs `window.kit` in the page (again after each navigation). */
export async function installKit(page: Page): Promise<void> {
  await page.evaluate(() => {
    const { computeEventId, createEvent, parseEvent, project } = window.sessionlog;
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
    const rawOpen = (name: string) =>
      new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
        request.onupgradeneeded = () => {
          request.transaction?.abort();
          reject(new Error(`database ${name} does not exist`));
        };
      });
    const rawAll = async (name: string, storeName: string) => {
      const db = await rawOpen(name);
      try {
        return await new Promise<unknown[]>((resolve, reject) => {
          const request = db.transaction(storeName).objectStore(storeName).getAll();
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      } finally {
        db.close();
      }
    };
    const rawMeta = async (name: string) => {
      const db = await rawOpen(name);
      try {
        return await new Promise<{ seq: number; instance: string }>((resolve, reject) => {
          const request = db.transaction('meta').objectStore('meta').get('state');
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      } finally {
        db.close();
      }
    };
    const kinds = 9;
    const event = (store: EventStore, key: string, agent: string, k: number, pad = 0) => {
      const text = `${agent}#${k}${'·'.repeat(pad)}`;
      const opts = { clock: store.clock, origin: store.origin };
      switch (k % kinds) {
        case 0:
          return createEvent(
            key,
            agent,
            { type: 'session_started', channel: 'web', peer_id: text },
            opts,
          );
        case 1:
          return createEvent(
            key,
            agent,
            {
              type: 'message_received',
              content: text,
              attachments: [{ kind: 'image', mime_type: 'image/png', size: k }],
            },
            opts,
          );
        case 2:
          return createEvent(
            key,
            agent,
            { type: 'message_sent', content: text, message_id: `m${k}` },
            opts,
          );
        case 3:
          return createEvent(
            key,
            agent,
            { type: 'tool_called', tool_name: 'search', params: { q: text, n: [k, null] } },
            opts,
          );
        case 4:
          return createEvent(
            key,
            agent,
            { type: 'tool_result', tool_name: 'search', result: { hits: k }, success: k % 2 === 0 },
            opts,
          );
        case 5:
          return createEvent(
            key,
            agent,
            {
              type: 'agent_response',
              content: text,
              model: 'sim-1',
              tokens: { input_tokens: k, output_tokens: 2 * k, cache_read_tokens: 1 },
            },
            opts,
          );
        case 6:
          return createEvent(
            key,
            agent,
            { type: 'state_changed', key: `s${k % 3}`, value: { v: text } },
            opts,
          );
        case 7:
          return createEvent(key, agent, { type: 'session_ended', reason: text }, opts);
        default: {
          // A kind this version does not know: kept, ignored by projections.
          const content = {
            session_key: key,
            agent_id: agent,
            timestamp: store.clock.next(),
            origin: store.origin,
            kind: { type: 'x_reaction', emoji: '+1', note: text },
          };
          return parseEvent(
            { id: computeEventId(content), ...content },
            { allowUnknownKinds: true },
          );
        }
      }
    };
    const audit = async (store: EventStore, keys: string[]) => {
      const problems: string[] = [];
      const sessions: Record<string, { ids: string[]; agents: string[] }> = {};
      const listed = new Set(await store.listSessions());
      const everywhere = new Set<string>();
      const meta = await rawMeta(store.name);
      const records = (await rawAll(store.name, 'events')) as Array<{ id: string; seq: number }>;
      const seqOf = new Map(records.map((r) => [r.id, r.seq]));
      for (const key of keys) {
        const events = await store.getEvents(key);
        sessions[key] = { ids: events.map((e) => e.id), agents: events.map((e) => e.agent_id) };
        for (let i = 0; i < events.length; i++) {
          const e = events[i]!;
          if (everywhere.has(e.id)) problems.push(`${key}: event ${e.id} listed twice`);
          everywhere.add(e.id);
          const prev = events[i - 1];
          if (
            prev &&
            (prev.timestamp > e.timestamp || (prev.timestamp === e.timestamp && prev.id >= e.id))
          )
            problems.push(`${key}: events out of (timestamp, id) order at ${i}`);
          const seq = seqOf.get(e.id);
          if (seq === undefined || seq > meta.seq || seq < 1)
            problems.push(`${key}: event ${e.id} has seq ${seq}, meta.seq is ${meta.seq}`);
        }
        const summary = await store.getSummary(key);
        if (events.length === 0) {
          if (summary) problems.push(`${key}: summary without events`);
          if (listed.has(key)) problems.push(`${key}: listed without events`);
          continue;
        }
        if (!listed.has(key)) problems.push(`${key}: has events but is not listed`);
        const projection = project(events, key);
        // A summary is the projection without what is derived from every message (docs/design.md).
        const { messages, nodes, head, ...rest } = projection;
        const bytes = events.reduce(
          (n, e) => n + new TextEncoder().encode(JSON.stringify(e)).length,
          0,
        );
        const expected = { ...rest, eventCount: events.length, bytes };
        if (stable(summary) !== stable(expected))
          problems.push(`${key}: summary ${stable(summary)} is not the log's ${stable(expected)}`);
        const page = await store.getMessages(key, { limit: 1000 });
        if (stable(page.messages) !== stable(messages.slice(-1000)))
          problems.push(`${key}: message index differs from the projection's messages`);
      }
      return { sessions, problems, metaSeq: meta.seq };
    };
    const subscribed = new WeakMap<EventStore, Set<string>>();
    const live = async (store: EventStore, keys: string[], timeoutMs = 10_000) => {
      let keysSeen = subscribed.get(store);
      if (!keysSeen) {
        keysSeen = new Set();
        subscribed.set(store, keysSeen);
        store.subscribeSummaries(() => {});
      }
      for (const key of keys) {
        if (keysSeen.has(key)) continue;
        keysSeen.add(key);
        store.subscribe(key, () => {});
      }
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const differ: string[] = [];
        for (const key of keys) {
          const fromLog = stable(project(await store.getEvents(key), key));
          const snapshot = stable(store.getSnapshot(key));
          if (snapshot !== fromLog) differ.push(`${key}: live ${snapshot} / log ${fromLog}`);
        }
        const list = stable(store.getSummariesSnapshot());
        const fromLog = stable(await store.listSummaries());
        if (list !== fromLog) differ.push(`session list: live ${list} / log ${fromLog}`);
        if (differ.length === 0 || performance.now() > deadline) return differ;
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    window.kit = { stable, kinds, event, audit, live, rawAll, rawMeta };
  });
}
