/**
 * Hazard: many tabs doing everything at once. Four pages of one browser
 * context (shared IndexedDB and BroadcastChannel) each run 150 random (FUZZ_OPS)
 * operations: single and batch appends of every kind (including an unknown
 * kind), record(), bursts of concurrent appends left in flight, re-appends of
 * stored events (duplicates), appends of events dated in the past, imports,
 * session deletions, page reloads, and closing a page and opening a new one.
 *
 * The operations come from a seeded PRNG (one stream per page): the seed is
 * printed, and `SEED=<n>` replays the same operations (timing between pages
 * still varies). At the end, after the pages settle:
 * - every acknowledged event is stored exactly once, unless its session was
 *   deleted later than it (the tombstone rule: an event at or before the
 *   session's tombstone is gone or was skipped; anything newer stays);
 * - nothing is stored that no page created;
 * - all pages show the same live state, equal to the projection of the log,
 *   and summaries and the message index agree with it (kit.audit).
 */
import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import type { AnyEvent, EventStore } from '../../src/index.js';
import { gotoHarness, muteViteClient, prng, uniqueDb } from './kit.js';

const PAGES = 4;
// 150 per page keeps the suite in its time budget (README, Testing); the seed
// changes every run, so runs add up. FUZZ_OPS=1000 for a long hunt.
const OPS = Number(process.env.FUZZ_OPS ?? 150);
const KEYS = Array.from({ length: 6 }, (_, i) => `agent:fuzz:s${i}`);

interface Issued {
  id: string;
  key: string;
  timestamp: string;
  json: string;
}

declare global {
  interface Window {
    fuzz: {
      store: EventStore;
      errors: string[];
      slot: number;
      make(k: number, key: string, pad: number): AnyEvent;
      issue(events: AnyEvent[]): Issued[];
    };
    fuzzAck(slot: number, ids: string[]): void;
  }
}

/** Opens the harness in `page` with a store on `name` subscribed to every key. */
async function setUp(page: Page, name: string, slot: number): Promise<void> {
  await gotoHarness(page);
  await page.evaluate(
    async ({ name, slot, keys }) => {
      const store = await window.sessionlog.openEventStore({ name });
      const errors: string[] = [];
      store.on('error', (e) => errors.push(e.message));
      window.fuzz = {
        store,
        errors,
        slot,
        make: (k, key, pad) => window.kit.event(store, key, `p${slot}`, k, pad),
        issue: (events) =>
          events.map((e) => ({
            id: e.id,
            key: e.session_key,
            timestamp: e.timestamp,
            json: JSON.stringify(e),
          })),
      };
      await window.kit.live(store, keys, 15_000);
    },
    { name, slot, keys: KEYS },
  );
}

test(`fuzz: ${PAGES} pages × ${OPS} random operations converge, every acknowledged event stored once`, async ({
  context,
}) => {
  test.setTimeout(240_000);
  const seed = Number(process.env.SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(
    `[reliability] fuzz seed ${seed} (replay: SEED=${seed} npx playwright test e2e/reliability/fuzz.spec.ts)`,
  );
  test.info().annotations.push({ type: 'seed', description: String(seed) });
  await muteViteClient(context);
  const name = uniqueDb('fuzz');

  const issued = new Map<string, Issued>();
  const acked = new Set<string>();
  const counts: Record<string, number> = {};
  const count = (op: string) => {
    counts[op] = (counts[op] ?? 0) + 1;
  };
  const pageErrors: string[] = [];
  const storeErrors: string[] = [];
  await (context as BrowserContext).exposeBinding(
    'fuzzAck',
    (_source, _slot: number, ids: string[]) => {
      for (const id of ids) acked.add(id);
    },
  );

  const pages: Page[] = [];
  const watch = (page: Page) => page.on('pageerror', (e) => pageErrors.push(e.message));
  for (let slot = 0; slot < PAGES; slot++) {
    const page = await context.newPage();
    watch(page);
    await setUp(page, name, slot);
    pages.push(page);
  }

  /** Events a page made; `ack`: their append (or import) resolved. */
  const record = (list: Issued[], ack = true) => {
    for (const e of list) {
      issued.set(e.id, e);
      if (ack) acked.add(e.id);
    }
  };

  const run = async (slot: number) => {
    const random = prng(seed * 31 + slot);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
    const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
    for (let op = 0; op < OPS; op++) {
      const page = pages[slot]!;
      const r = random();
      const key = pick(KEYS);
      if (r < 0.33) {
        count('single');
        const k = int(0, 8);
        const list = await page.evaluate(
          async ({ k, key, pad }) => {
            const e = window.fuzz.make(k, key, pad);
            const list = window.fuzz.issue([e]);
            await window.fuzz.store.append(e);
            return list;
          },
          { k, key, pad: int(0, 300) },
        );
        record(list);
      } else if (r < 0.58) {
        count('batch');
        const spec = Array.from({ length: int(2, 8) }, () => [int(0, 8), pick(KEYS)] as const);
        const list = await page.evaluate(
          async ({ spec, pad }) => {
            const events = spec.map(([k, key]) => window.fuzz.make(k, key, pad));
            const list = window.fuzz.issue(events);
            await window.fuzz.store.append(events);
            return list;
          },
          { spec, pad: int(0, 100) },
        );
        record(list);
      } else if (r < 0.63) {
        count('record');
        const list = await page.evaluate(async (key) => {
          const e = await window.fuzz.store.record(key, `p${window.fuzz.slot}`, {
            type: 'message_received',
            content: 'recorded',
          });
          return window.fuzz.issue([e]);
        }, key);
        record(list);
      } else if (r < 0.73) {
        count('burst');
        // Concurrent appends left in flight: acknowledged through fuzzAck as they resolve.
        const spec = Array.from({ length: int(3, 6) }, () => [int(0, 8), pick(KEYS)] as const);
        const list = await page.evaluate((spec) => {
          const out: Issued[] = [];
          for (const [k, key] of spec) {
            const e = window.fuzz.make(k, key, 20);
            out.push(...window.fuzz.issue([e]));
            window.fuzz.store.append(e).then(
              () => window.fuzzAck(window.fuzz.slot, [e.id]),
              () => {},
            );
          }
          return out;
        }, spec);
        record(list, false);
      } else if (r < 0.8) {
        count('duplicate');
        const known = [...acked];
        if (known.length === 0) continue;
        const again = Array.from({ length: int(1, 3) }, () => issued.get(pick(known))!.json);
        await page.evaluate(async (jsons) => {
          await window.fuzz.store.append(jsons.map((j) => JSON.parse(j)));
        }, again);
      } else if (r < 0.83) {
        count('past');
        // Dated ten minutes ago: skipped if the session was deleted since.
        const list = await page.evaluate(async (key) => {
          const { store, slot } = window.fuzz;
          const e = window.sessionlog.createEvent(
            key,
            `p${slot}`,
            { type: 'message_received', content: 'from the past' },
            { origin: store.origin, timestamp: new Date(Date.now() - 600_000).toISOString() },
          );
          const list = window.fuzz.issue([e]);
          await store.append(e);
          return list;
        }, key);
        record(list);
      } else if (r < 0.86) {
        count('import');
        const spec = Array.from({ length: int(1, 4) }, () => [int(0, 8), pick(KEYS)] as const);
        const list = await page.evaluate(async (spec) => {
          const events = spec.map(([k, key]) => window.fuzz.make(k, key, 10));
          const list = window.fuzz.issue(events);
          await window.sessionlog.importEvents(
            window.fuzz.store,
            list.map((e) => `${e.json}\n`).join(''),
          );
          return list;
        }, spec);
        record(list);
      } else if (r < 0.87) {
        count('delete');
        await page.evaluate((key) => window.fuzz.store.deleteSession(key), key);
      } else if (r < 0.895) {
        count('reload');
        storeErrors.push(...(await page.evaluate(() => window.fuzz.errors)));
        await page.reload();
        await setUp(page, name, slot);
      } else if (r < 0.91) {
        count('close-reopen');
        storeErrors.push(...(await page.evaluate(() => window.fuzz.errors)));
        await page.close();
        const fresh = await context.newPage();
        watch(fresh);
        pages[slot] = fresh;
        await setUp(fresh, name, slot);
      } else {
        count('pause');
        await new Promise((r) => setTimeout(r, int(0, 30)));
      }
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: PAGES }, (_, slot) => run(slot)));
  const opsMs = Date.now() - started;

  // ---- settle: in-flight bursts finish, every page catches up
  const views = [];
  for (const page of pages) {
    views.push(
      await page.evaluate(async (keys) => {
        const { store, errors } = window.fuzz;
        await store.flush();
        const differ = await window.kit.live(store, keys, 20_000);
        return {
          differ,
          snapshots: keys.map((k) => window.kit.stable(store.getSnapshot(k))),
          sessions: window.kit.stable(store.getSummariesSnapshot()),
          errors,
        };
      }, KEYS),
    );
  }
  for (const [i, v] of views.entries()) {
    expect(v.differ, `page ${i}: live state equals the log (seed ${seed})`).toEqual([]);
    expect(v.snapshots, `page ${i} shows what page 0 shows (seed ${seed})`).toEqual(
      views[0]!.snapshots,
    );
    expect(v.sessions, `page ${i}: same session list (seed ${seed})`).toEqual(views[0]!.sessions);
    storeErrors.push(...v.errors);
  }

  // ---- the log against the model
  const log = await pages[0]!.evaluate(async (keys) => {
    const { store } = window.fuzz;
    const audit = await window.kit.audit(store, keys);
    const raw = (await window.kit.rawAll(store.name, 'events')) as Array<{
      id: string;
      session_key: string;
      timestamp: string;
    }>;
    const tombstones = (await window.kit.rawAll(store.name, 'tombstones')) as Array<{
      sessionKey: string;
      timestamp: string;
    }>;
    return {
      problems: audit.problems,
      sessions: audit.sessions,
      raw: raw.map((r) => [r.id, r.session_key, r.timestamp] as const),
      tombstones: tombstones.map((t) => [t.sessionKey, t.timestamp] as const),
    };
  }, KEYS);
  expect(log.problems, `summaries and indexes agree with the log (seed ${seed})`).toEqual([]);
  const tomb = new Map(log.tombstones);
  const stored = new Map<string, { key: string; timestamp: string }>();
  for (const [id, key, timestamp] of log.raw) stored.set(id, { key, timestamp });
  const listed = Object.values(log.sessions).flatMap((s) => s.ids);
  expect(listed.length, 'each stored event is read once, in its own session').toBe(
    new Set(listed).size,
  );
  expect(new Set(listed)).toEqual(new Set(stored.keys()));

  const phantom = [...stored.keys()].filter((id) => !issued.has(id));
  const wrongSession = [...stored].filter(([id, s]) => issued.get(id)?.key !== s.key);
  const resurrected = [...stored].filter(([, s]) => {
    const t = tomb.get(s.key);
    return t !== undefined && s.timestamp <= t;
  });
  const lost: string[] = [];
  let keptAcked = 0;
  let goneAcked = 0;
  for (const id of acked) {
    const e = issued.get(id)!;
    const t = tomb.get(e.key);
    const deletedAfter = t !== undefined && e.timestamp <= t;
    if (deletedAfter) goneAcked++;
    else if (stored.has(id)) keptAcked++;
    else lost.push(`${id} (${e.key} at ${e.timestamp}, tombstone ${t ?? 'none'})`);
  }
  expect(phantom, `nothing stored that no page made (seed ${seed})`).toEqual([]);
  expect(wrongSession, `events stored under their own session (seed ${seed})`).toEqual([]);
  expect(resurrected, `no event at or before its session's tombstone (seed ${seed})`).toEqual([]);
  expect(lost, `every acknowledged event is stored unless deleted after (seed ${seed})`).toEqual(
    [],
  );
  expect(pageErrors, `no page error (seed ${seed})`).toEqual([]);
  expect(storeErrors, `no store error event (seed ${seed})`).toEqual([]);

  const figures = `seed ${seed}: ${PAGES}×${OPS} ops in ${Math.round(opsMs / 1000)} s (${JSON.stringify(counts)}); ${issued.size} events made, ${acked.size} acknowledged, ${keptAcked} stored, ${goneAcked} removed by a later deletion, ${stored.size} in the log, ${tomb.size} sessions with a tombstone`;
  console.log(`[reliability] fuzz: ${figures}`);
  test.info().annotations.push({ type: 'figures', description: figures });
});
