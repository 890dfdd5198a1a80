/**
 * `npm run bench`: sessionlog against raw IndexedDB, Dexie and TinyBase in
 * headless Chromium (Playwright) with an on-disk profile.
 *
 *   npm run bench                 full run (≥ 5 repetitions after a warm-up) → docs/benchmarks.{json,md}
 *   npm run bench -- --quick      fewer repetitions, smaller data → bench/results-tmp/
 *   npm run bench -- --only=1,4   some scenarios only (→ bench/results-tmp/ unless --write)
 *   npm run bench -- --reps=8     more repetitions
 *   npm run bench -- --profile    CPU profile of sessionlog's side → bench/results-tmp/profile.md
 *
 * Each scenario runs every implementation in the same browser, interleaved:
 * repetition r runs them all, in an order rotated by r; repetition 0 is a
 * warm-up and is discarded. See docs/benchmarks.md for what is measured.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright';
import { build } from 'vite';
import { measureBundles, measureSessionlogParts } from './bundle.js';
import { startProfile, stopProfile } from './profile.js';
import type {
  BenchApi,
  BurstImpl,
  CrossTabImpl,
  Durability,
  Facts,
  LatestImpl,
  ReadImpl,
  SequentialImpl,
} from './protocol.js';
import { type Env, type Result, writeReports } from './report.js';
import { median, quantile, rotate } from './stats.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = fileURLToPath(new URL('.', import.meta.url));

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(`--${name}`);
const option = (name: string) =>
  argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

const quick = flag('quick');
const profiling = flag('profile');
const only = option('only')
  ?.split(',')
  .map((s) => Number(s.trim()));
const reps = Number(option('reps') ?? (quick ? 2 : 5));
const write = flag('write') || (!quick && !only && !profiling);
const outDir = write ? join(ROOT, 'docs') : join(ROOT, 'bench', 'results-tmp');

/** Sizes of each scenario (full run; --quick shrinks them). */
const config = {
  burst: quick ? 2_000 : 10_000,
  /**
   * One transaction per event (raw naive and Dexie `add`) costs ~0.5–2.5 ms a
   * transaction: 10,000 of them, 4 times a repetition, would take most of the
   * time budget. They run on fewer events and are scaled linearly (each
   * transaction is independent); `--per-event=10000` measures them whole.
   */
  burstPerEvent: Number(option('per-event') ?? (quick ? 1_000 : 2_000)),
  /** TinyBase with autosave after each call saves the whole store each time (quadratic): a small burst. */
  autosave: quick ? 200 : 500,
  sequential: quick ? 60 : 200,
  history: { large: quick ? 10_000 : 100_000, small: 100, appends: quick ? 30 : 100 },
  latestReads: quick ? 10 : 20,
  sessions: { sessions: quick ? 200 : 1_000, eventsPerSession: 20 },
  coldSamples: quick ? 4 : reps * 2,
  crossTab: quick ? 40 : 100,
  subscribed: { sizes: quick ? [1_000, 10_000] : [1_000, 50_000], appends: quick ? 20 : 60 },
};

if (!Number.isInteger(reps) || reps < 1) throw new Error('--reps must be a positive integer');

const t0 = Date.now();
const log = (...parts: unknown[]) =>
  console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s]`, ...parts);

// ---------------------------------------------------------------- results

const results: Result[] = [];

function record(
  scenario: string,
  implementation: string,
  values: number[],
  unit: string,
  reference: boolean,
) {
  const finite = values.filter(Number.isFinite);
  results.push({
    scenario,
    implementation,
    median: median(finite),
    min: Math.min(...finite),
    max: Math.max(...finite),
    unit,
    ratio: Number.NaN,
    reference,
    samples: finite.length,
  });
}

/** Fills in each row's ratio: its median over the median of its scenario's reference row. */
function computeRatios() {
  for (const r of results) {
    const ref = results.find((x) => x.scenario === r.scenario && x.reference);
    r.ratio = ref ? r.median / ref.median : Number.NaN;
  }
}

// ---------------------------------------------------------------- page plumbing

async function call<K extends keyof BenchApi>(
  page: Page,
  name: K,
  arg: Parameters<BenchApi[K]>[0],
): Promise<Awaited<ReturnType<BenchApi[K]>>> {
  return page.evaluate(([n, a]) => (window.bench[n] as (x: unknown) => unknown)(a), [
    name,
    arg,
  ] as const) as Promise<Awaited<ReturnType<BenchApi[K]>>>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Serves the built page. Cross-origin isolation headers make
 * `performance.now()` fine-grained (5 µs instead of 100 µs), which the
 * sub-millisecond cross-tab figures need.
 */
function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(dir, path.endsWith('/') ? `${path}index.html` : path);
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, {
        'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        'cross-origin-opener-policy': 'same-origin',
        'cross-origin-embedder-policy': 'require-corp',
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolveServe) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolveServe({ server, url: `http://127.0.0.1:${port}/` });
    });
  });
}

async function openPage(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (e) => log('page error:', e.message));
  await page.goto(url);
  await page.waitForFunction(() => document.title.endsWith('ready'));
  return page;
}

async function reload(page: Page) {
  await page.reload();
  await page.waitForFunction(() => document.title.endsWith('ready'));
}

// ---------------------------------------------------------------- scenarios

const DURABILITIES: Durability[] = ['relaxed', 'strict'];
const SL = 'sessionlog';

/** Runs `body(rep)` for the warm-up (rep 0, discarded) and `reps` measured repetitions. */
async function repeat(label: string, body: (rep: number, measured: boolean) => Promise<void>) {
  for (let rep = 0; rep <= reps; rep++) {
    log(`${label}: ${rep === 0 ? 'warm-up' : `rep ${rep}/${reps}`}`);
    await body(rep, rep > 0);
  }
}

const BURST_NAMES: Record<BurstImpl, string> = {
  sessionlog: 'sessionlog (append per event, concurrent)',
  'sessionlog-batch': 'sessionlog (one append of an array)',
  'sessionlog-no-journal': 'sessionlog (append per event, concurrent), journal: false',
  'raw-one-tx': 'raw IndexedDB, one transaction',
  'raw-one-tx-3-indexes': "raw IndexedDB, one transaction, with sessionlog's 3 indexes",
  'raw-tx-per-event': 'raw IndexedDB, one transaction per event (naive)',
  'dexie-bulkAdd': 'Dexie bulkAdd',
  'dexie-add': 'Dexie add per call',
  tinybase: 'TinyBase MergeableStore + IndexedDB persister',
  'tinybase-autosave': 'TinyBase, setRow per event with autosave',
};

async function scenarioBurst(page: Page, hasStore: boolean) {
  const impls: BurstImpl[] = [
    ...(hasStore ? (['sessionlog', 'sessionlog-no-journal', 'sessionlog-batch'] as const) : []),
    'raw-one-tx',
    'raw-one-tx-3-indexes',
    'raw-tx-per-event',
    'dexie-bulkAdd',
    'dexie-add',
    'tinybase',
  ];
  const perEvent = new Set<BurstImpl>(['raw-tx-per-event', 'dexie-add']);
  const samples = new Map<string, number[]>();
  await repeat('1 burst', async (rep, measured) => {
    for (const durability of DURABILITIES) {
      for (const impl of rotate(impls, rep)) {
        const n = perEvent.has(impl) ? config.burstPerEvent : config.burst;
        const ms = await call(page, 'burst', { impl, durability, n, run: rep });
        // Scaled to the scenario's size when measured on fewer events (linear: one transaction each).
        const scaled = (ms * config.burst) / n;
        if (measured) {
          const key = `${durability}\u0000${impl}`;
          samples.set(key, [...(samples.get(key) ?? []), scaled]);
        }
      }
    }
    await reload(page);
  });
  // TinyBase as an app would use it for events arriving one by one (autosave on, one call each).
  const small: BurstImpl[] = [
    ...(hasStore ? (['sessionlog'] as const) : []),
    'raw-one-tx',
    'tinybase',
    'tinybase-autosave',
  ];
  await repeat(`1 burst of ${config.autosave}, TinyBase autosave`, async (rep, measured) => {
    for (const impl of rotate(small, rep)) {
      const ms = await call(page, 'burst', {
        impl,
        durability: 'relaxed',
        n: config.autosave,
        run: rep,
      });
      if (measured)
        samples.set(`small\u0000${impl}`, [...(samples.get(`small\u0000${impl}`) ?? []), ms]);
    }
  });
  for (const durability of DURABILITIES) {
    for (const impl of impls) {
      const extrapolated =
        perEvent.has(impl) && config.burstPerEvent !== config.burst
          ? ` (×${config.burst / config.burstPerEvent} of ${config.burstPerEvent.toLocaleString('en')})`
          : '';
      record(
        `burst-${config.burst}/${durability}`,
        BURST_NAMES[impl] + extrapolated,
        samples.get(`${durability}\u0000${impl}`) ?? [],
        'ms',
        impl === 'raw-one-tx',
      );
    }
    if (hasStore) journalCost(`burst-${config.burst}/${durability}`, samples, durability);
  }
  for (const impl of small) {
    record(
      `burst-${config.autosave}/relaxed`,
      BURST_NAMES[impl],
      samples.get(`small\u0000${impl}`) ?? [],
      'ms',
      impl === 'raw-one-tx',
    );
  }
}

/**
 * The journal's cost: sessionlog with it over the same build without it
 * (`journal: false`), as a scenario of its own whose reference is the latter.
 */
function journalCost(
  scenario: string,
  samples: Map<string, number[]>,
  prefix: string,
  names: Record<string, string> = BURST_NAMES,
  extra: string[] = [],
) {
  for (const impl of ['sessionlog', ...extra, 'sessionlog-no-journal']) {
    record(
      `journal-cost/${scenario}`,
      names[impl] ?? impl,
      samples.get(prefix ? `${prefix}\u0000${impl}` : impl) ?? [],
      'ms',
      impl === 'sessionlog-no-journal',
    );
  }
}

async function scenarioSequential(page: Page) {
  const base: SequentialImpl[] = [SL, 'sessionlog-no-journal', 'raw-commit', 'raw'];
  // Strict appends also without the journal's own flush: the choice durability.md offers.
  const implsFor = (d: Durability): SequentialImpl[] =>
    d === 'strict' ? [...base, 'sessionlog-journal-unflushed'] : base;
  const p50 = new Map<string, number[]>();
  const p99 = new Map<string, number[]>();
  await repeat('2 sequential', async (rep, measured) => {
    for (const durability of DURABILITIES) {
      for (const impl of rotate(implsFor(durability), rep)) {
        const lat = await call(page, 'sequential', {
          impl,
          durability,
          n: config.sequential,
          run: rep,
        });
        if (!measured) continue;
        const key = `${durability}\u0000${impl}`;
        p50.set(key, [...(p50.get(key) ?? []), quantile(lat, 0.5)]);
        p99.set(key, [...(p99.get(key) ?? []), quantile(lat, 0.99)]);
      }
    }
  });
  const names: Record<SequentialImpl, string> = {
    sessionlog: 'sessionlog append (awaited)',
    'sessionlog-no-journal': 'sessionlog append (awaited), journal: false',
    'sessionlog-journal-unflushed': "sessionlog append (awaited), journal: { flush: 'never' }",
    raw: 'raw IndexedDB, one put per transaction',
    'raw-commit':
      "raw IndexedDB, an append's own transaction (meta read, add, summary and meta put over three stores)",
  };
  for (const durability of DURABILITIES) {
    for (const [q, map] of [
      ['p50', p50],
      ['p99', p99],
    ] as const) {
      for (const impl of implsFor(durability)) {
        record(
          `sequential-append-${q}/${durability}`,
          names[impl],
          map.get(`${durability}\u0000${impl}`) ?? [],
          'ms',
          impl === 'raw',
        );
      }
    }
    journalCost(
      `sequential-append-p50/${durability}`,
      p50,
      durability,
      names,
      durability === 'strict' ? ['sessionlog-journal-unflushed'] : [],
    );
  }
}

async function scenarioHistory(page: Page) {
  const { large, small, appends } = config.history;
  const prep = await call(page, 'prepareLarge', { large, small });
  if (prep.events)
    log(`3/4 setup: ${prep.events} events stored in ${(prep.ms / 1000).toFixed(1)} s`);
  await reload(page);
  const p50 = new Map<string, number[]>();
  let calls = 0;
  await repeat('3 history', async (rep, measured) => {
    for (const durability of DURABILITIES) {
      const lat = await call(page, 'historyLatency', {
        durability,
        n: appends,
        order: rep % 2 ? 'large-first' : 'small-first',
        small: calls++,
      });
      if (!measured) continue;
      for (const side of ['small', 'large'] as const) {
        const key = `${durability}\u0000${side}`;
        p50.set(key, [...(p50.get(key) ?? []), quantile(lat[side], 0.5)]);
      }
    }
  });
  for (const durability of DURABILITIES) {
    record(
      `append-by-history-p50/${durability}`,
      `sessionlog, ${small}-event session`,
      p50.get(`${durability}\u0000small`) ?? [],
      'ms',
      true,
    );
    record(
      `append-by-history-p50/${durability}`,
      `sessionlog, ${large.toLocaleString('en')}-event session`,
      p50.get(`${durability}\u0000large`) ?? [],
      'ms',
      false,
    );
  }
}

async function scenarioLatest(page: Page, facts: Facts) {
  const { large, small } = config.history;
  await call(page, 'prepareLarge', { large, small });
  const impls: LatestImpl[] = [SL, 'raw-getAll', 'raw-summary-getAll', 'raw-cursor'];
  const samples = new Map<LatestImpl, number[]>();
  await repeat('4 latest page', async (rep, measured) => {
    for (const impl of rotate(impls, rep)) {
      const lat = await call(page, 'latestPage', { impl, n: config.latestReads });
      if (process.env.BENCH_DEBUG) log(impl, lat.map((x) => x.toFixed(3)).join(' '));
      if (measured) samples.set(impl, [...(samples.get(impl) ?? []), median(lat)]);
    }
  });
  const names: Record<LatestImpl, string> = {
    sessionlog: 'sessionlog getMessages({ limit: 50 })',
    'raw-getAll': facts.getAllRecords
      ? "raw index.getAllRecords({ query: range, count: 50, direction: 'prev' })"
      : 'raw getAll on the index range (prev cursor: browser lacks getAllRecords)',
    'raw-summary-getAll':
      'raw, the same plus the summary, one transaction over both stores (what sessionlog asks of the browser)',
    'raw-cursor': "raw index.openCursor(range, 'prev'), 50 steps",
  };
  for (const impl of impls) {
    record(
      `latest-50-of-${large}`,
      names[impl],
      samples.get(impl) ?? [],
      'ms',
      impl === 'raw-getAll',
    );
  }
}

async function scenarioCold(page: Page) {
  const prep = await call(page, 'prepareSessions', config.sessions);
  if (prep.events) log(`5 setup: ${prep.events} events stored in ${(prep.ms / 1000).toFixed(1)} s`);
  const impls: ReadImpl[] = [SL, 'sessionlog-no-journal', 'raw'];
  const samples = new Map<ReadImpl, number[]>();
  for (let rep = 0; rep <= config.coldSamples; rep++) {
    if (rep % 4 === 0)
      log(`5 cold open: ${rep === 0 ? 'warm-up' : `sample ${rep}/${config.coldSamples}`}`);
    for (const impl of rotate(impls, rep)) {
      // A fresh page: no connection, no module state, nothing cached in JS.
      await reload(page);
      const r = await call(page, 'coldOpen', { impl });
      if (r.summaries !== config.sessions.sessions) {
        throw new Error(`${impl}: listed ${r.summaries} summaries`);
      }
      if (rep > 0) samples.set(impl, [...(samples.get(impl) ?? []), r.ms]);
    }
  }
  const names: Record<ReadImpl, string> = {
    sessionlog: 'sessionlog openEventStore + listSummaries + getMessages(first, 50)',
    'sessionlog-no-journal': 'the same, journal: false',
    raw: 'raw open + sessions.getAll + latest 50 of the first session',
  };
  for (const impl of impls) {
    record(
      `cold-open-${config.sessions.sessions}-summaries`,
      names[impl],
      samples.get(impl) ?? [],
      'ms',
      impl === 'raw',
    );
  }
  journalCost(`cold-open-${config.sessions.sessions}-summaries`, samples, '', names);
}

async function scenarioCrossTab(context: BrowserContext, url: string, a: Page) {
  const b = await openPage(context, url);
  const impls: CrossTabImpl[] = [SL, 'raw-ping', 'raw-commit-ping'];
  const p50 = new Map<CrossTabImpl, number[]>();
  const p99 = new Map<CrossTabImpl, number[]>();
  const failed = new Map<CrossTabImpl, string>();
  await repeat('6 cross-tab', async (rep, measured) => {
    for (const impl of rotate(impls, rep)) {
      if (failed.has(impl)) continue;
      await call(b, 'crossTabListen', { impl, run: rep });
      try {
        const lat = await call(a, 'crossTabSend', { impl, n: config.crossTab, run: rep });
        if (measured) {
          p50.set(impl, [...(p50.get(impl) ?? []), quantile(lat, 0.5)]);
          p99.set(impl, [...(p99.get(impl) ?? []), quantile(lat, 0.99)]);
        }
      } catch (e) {
        failed.set(impl, (e as Error).message);
        log(`6 cross-tab: ${impl} failed: ${(e as Error).message}`);
      } finally {
        await call(b, 'crossTabStop', undefined);
      }
    }
  });
  await b.close();
  const names: Record<CrossTabImpl, string> = {
    sessionlog: 'sessionlog append in A → subscriber in B',
    'raw-ping': 'raw BroadcastChannel ping A → B',
    'raw-commit-ping': 'raw put in A, post after commit → B',
  };
  for (const [q, map] of [
    ['p50', p50],
    ['p99', p99],
  ] as const) {
    for (const impl of impls) {
      if (failed.has(impl)) continue;
      record(`cross-tab-${q}`, names[impl], map.get(impl) ?? [], 'ms', impl === 'raw-ping');
    }
  }
  return failed;
}

async function scenarioBundle() {
  log('7 bundle sizes');
  const sizes = await measureBundles();
  for (const s of sizes) {
    record('bundle-min-gzip', `${s.name} (${s.what})`, [s.gzip], 'bytes', s.name === 'idb');
  }
  for (const s of sizes) {
    record('bundle-min', `${s.name} (${s.what})`, [s.minified], 'bytes', s.name === 'idb');
  }
  const full = sizes.find((s) => s.name === 'sessionlog');
  if (full) {
    const parts = await measureSessionlogParts();
    for (const p of parts) {
      record(
        'bundle-min-gzip-sessionlog-parts',
        p.name,
        [p.gzip],
        'bytes',
        p.name.startsWith('all'),
      );
    }
  }
}

// ---------------------------------------------------------------- profile

async function profileAll(context: BrowserContext, url: string, page: Page): Promise<string> {
  const wants = (n: number) => !only || only.includes(n);
  const parts: string[] = [];
  const profiled = async (title: string, target: Page, run: () => Promise<unknown>) => {
    log(`profiling: ${title}`);
    const cdp = await startProfile(context, target);
    await run();
    parts.push(await stopProfile(cdp, title));
  };
  const burst = { impl: 'sessionlog', durability: 'relaxed', n: config.burst } as const;
  if (wants(1)) await call(page, 'burst', { ...burst, run: 900 });
  if (wants(1))
    await profiled(`1 burst: ${config.burst} concurrent appends (relaxed)`, page, () =>
      call(page, 'burst', { ...burst, run: 901 }),
    );
  if (wants(1))
    await profiled(
      `1 burst, for contrast: raw puts of the same ${config.burst} events in one transaction`,
      page,
      () => call(page, 'burst', { ...burst, impl: 'raw-one-tx', run: 902 }),
    );
  const seq = { impl: SL, durability: 'relaxed', n: config.sequential } as const;
  if (wants(2)) await call(page, 'sequential', { ...seq, run: 900 });
  if (wants(2))
    await profiled(`2 sequential: ${config.sequential} awaited appends (relaxed)`, page, () =>
      call(page, 'sequential', { ...seq, run: 901 }),
    );
  if (wants(2))
    await profiled(
      `2 sequential, for contrast: ${config.sequential} raw puts, one transaction each`,
      page,
      () => call(page, 'sequential', { ...seq, impl: 'raw', run: 902 }),
    );
  if (wants(4)) {
    await call(page, 'prepareLarge', { large: config.history.large, small: config.history.small });
    await call(page, 'latestPage', { impl: SL, n: 5 });
  }
  if (wants(4))
    await profiled(`4 latest page: ${config.latestReads} reads of the latest 50`, page, () =>
      call(page, 'latestPage', { impl: SL, n: config.latestReads }),
    );
  if (wants(5)) {
    await call(page, 'prepareSessions', config.sessions);
    await reload(page);
  }
  if (wants(5))
    await profiled(`5 cold open (${config.sessions.sessions} summaries)`, page, () =>
      call(page, 'coldOpen', { impl: SL }),
    );
  if (!wants(6)) return ['# Where sessionlog spends its time', '', ...parts].join('\n');
  const b = await openPage(context, url);
  await call(b, 'crossTabListen', { impl: SL, run: 900 });
  await call(page, 'crossTabSend', { impl: SL, n: 10, run: 900 });
  await profiled(`6 cross-tab: page B (receiver) during ${config.crossTab} pings`, b, () =>
    call(page, 'crossTabSend', { impl: SL, n: config.crossTab, run: 901 }),
  );
  await call(b, 'crossTabStop', undefined);
  await profiled(`6 cross-tab: page A (sender) during ${config.crossTab} pings`, page, async () => {
    await call(b, 'crossTabListen', { impl: SL, run: 902 });
    await call(page, 'crossTabSend', { impl: SL, n: config.crossTab, run: 902 });
  });
  await call(b, 'crossTabStop', undefined);
  await b.close();
  return [
    '# Where sessionlog spends its time',
    '',
    'V8 CPU profiles (sampling every 50 µs) of an unminified build, one run each. Self time per function; "idle" is the main thread waiting (IndexedDB works in the browser process).',
    '',
    ...parts,
  ].join('\n');
}

// ---------------------------------------------------------------- environment

function filesystemOf(path: string): string {
  try {
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length > 2 && path.startsWith(f[1]!))
      .sort((x, y) => y[1]!.length - x[1]!.length);
    return mounts[0] ? `${mounts[0][2]} (${mounts[0][0]})` : 'unknown';
  } catch {
    return 'unknown';
  }
}

function gitState(): string {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const dirty = git('status', '--porcelain', '--', 'src').length > 0;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown';
  }
}

function chromiumVersion(path: string): string {
  try {
    return execFileSync(path, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'unknown';
  }
}

async function scenarioSubscribed(page: Page) {
  const { sizes, appends } = config.subscribed;
  const prep = await call(page, 'prepareSubscribed', { sizes });
  if (prep.events) log(`8 setup: ${prep.events} events stored in ${(prep.ms / 1000).toFixed(1)} s`);
  const p50 = new Map<number, number[]>();
  await repeat('8 subscribed append', async (rep, measured) => {
    for (const size of rotate(sizes, rep)) {
      const lat = await call(page, 'subscribedAppend', { size, n: appends, run: rep });
      if (measured) p50.set(size, [...(p50.get(size) ?? []), quantile(lat, 0.5)]);
    }
    await reload(page);
  });
  for (const size of sizes) {
    record(
      'subscribed-append-p50/relaxed',
      `sessionlog, subscribed session of ${size.toLocaleString('en')} messages`,
      p50.get(size) ?? [],
      'ms',
      size === sizes[0],
    );
  }
}

// ---------------------------------------------------------------- main

async function main() {
  const wants = (n: number) => !only || only.includes(n);
  const loadBefore = loadavg()[0]!;
  if (loadBefore > 1.5) {
    log(
      `warning: load average ${loadBefore.toFixed(1)} on ${cpus().length} cores: other work will skew the figures`,
    );
  }
  const work = mkdtempSync(join(tmpdir(), 'sessionlog-bench-'));
  const pageDir = join(work, 'page');
  const profile = join(work, 'profile');
  mkdirSync(profile);
  log(`building the bench page (vite, production) into ${pageDir}`);
  await build({
    configFile: join(BENCH, 'vite.config.ts'),
    // Profiles need real function names: no minification there.
    build: { outDir: pageDir, minify: !profiling },
  });
  const { server, url } = await serve(resolve(pageDir));
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  log(`launching ${executablePath}, on-disk profile ${profile}`);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // Page B of scenario 6 is not in front: keep its timers and tasks unthrottled.
      '--disable-background-timer-throttling',
      '--disable-renderer-backgrounding',
      '--disable-backgrounding-occluded-windows',
    ],
  });
  let failedCrossTab = new Map<string, string>();
  let facts: Facts | undefined;
  try {
    const page = await openPage(context, url);
    facts = await call(page, 'facts', undefined);
    log(`page ready: ${facts.userAgent}; isolated=${facts.crossOriginIsolated}`);
    if (!facts.hasStore) log('sessionlog store not in src/ yet: its rows are skipped');
    if (profiling) {
      const text = await profileAll(context, url, page);
      mkdirSync(outDir, { recursive: true });
      writeFileSync(join(outDir, 'profile.md'), text);
      console.log(text);
      log(`wrote ${join(outDir, 'profile.md')}`);
      return;
    }
    if (wants(1)) await scenarioBurst(page, facts.hasStore);
    if (facts.hasStore) {
      if (wants(2)) await scenarioSequential(page);
      if (wants(3)) await scenarioHistory(page);
      if (wants(4)) await scenarioLatest(page, facts);
      if (wants(5)) await scenarioCold(page);
      if (wants(6)) failedCrossTab = await scenarioCrossTab(context, url, page);
      if (wants(8)) await scenarioSubscribed(page);
    }
  } finally {
    await context.close();
    server.close();
    // A profile's line numbers point into the unminified page build: keep it.
    if (profiling) log(`page build kept for the profile's line numbers: ${pageDir}`);
    rmSync(profiling ? profile : work, { recursive: true, force: true });
  }
  if (wants(7)) await scenarioBundle();
  computeRatios();

  const env: Env = {
    date: new Date().toISOString(),
    git: gitState(),
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    chromium: chromiumVersion(executablePath),
    userAgent: facts?.userAgent ?? 'unknown',
    profileFs: filesystemOf(work),
    crossOriginIsolated: facts?.crossOriginIsolated ?? false,
    meanEventBytes: facts?.meanEventBytes ?? 0,
    kindMix: facts?.kindMix ?? {},
    reps,
    quick,
    only: only ?? null,
    config,
    durationS: Math.round((Date.now() - t0) / 1000),
    load: `${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end (1-minute load average)`,
    notes: [...failedCrossTab].map(([impl, msg]) => `cross-tab ${impl}: ${msg}`),
  };
  mkdirSync(outDir, { recursive: true });
  const files = writeReports(outDir, results, env);
  log(`wrote ${files.join(', ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
