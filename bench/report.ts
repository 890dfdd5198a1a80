/**
 * Writes the results: docs/benchmarks.json (stable shape, one row per
 * scenario × implementation) and docs/benchmarks.md (tables, goals, machine).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** One row of benchmarks.json, plus two fields kept out of the file. */
export interface Result {
  scenario: string;
  implementation: string;
  median: number;
  min: number;
  max: number;
  unit: string;
  /** median / median of the scenario's reference row (1 for the reference itself). */
  ratio: number;
  reference: boolean;
  samples: number;
}

export interface Env {
  date: string;
  /** Commit measured (and whether src/ had uncommitted changes). */
  git: string;
  cpu: string;
  memory: string;
  node: string;
  chromium: string;
  userAgent: string;
  profileFs: string;
  crossOriginIsolated: boolean;
  meanEventBytes: number;
  kindMix: Record<string, number>;
  reps: number;
  quick: boolean;
  only: number[] | null;
  config: unknown;
  durationS: number;
  load: string;
  notes: string[];
}

const round = (x: number, digits = 3) =>
  Number.isFinite(x) ? Number(x.toPrecision(Math.max(digits, String(Math.trunc(x)).length))) : x;

function fmt(x: number, unit: string): string {
  if (!Number.isFinite(x)) return 'n/a';
  if (unit === 'bytes') return `${(x / 1000).toFixed(1)} kB`;
  if (x >= 100) return `${Math.round(x).toLocaleString('en')} ms`;
  if (x >= 10) return `${x.toFixed(1)} ms`;
  return `${x.toFixed(2)} ms`;
}

const fmtRatio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');

interface Goal {
  number: number;
  goal: string;
  measured: string;
  met: boolean | null;
}

function find(results: Result[], scenario: string, impl: (name: string) => boolean) {
  return results.find((r) => r.scenario === scenario && impl(r.implementation));
}

const isSessionlog = (n: string) => n.startsWith('sessionlog') && !n.includes('array');

/** The goals, each with the measured ratio and whether it is met. */
export function goals(results: Result[]): Goal[] {
  const out: Goal[] = [];
  const add = (
    number: number,
    goal: string,
    value: number | undefined,
    ok: (v: number) => boolean,
    show: (v: number) => string = fmtRatio,
  ) => {
    const has = value !== undefined && Number.isFinite(value);
    out.push({
      number,
      goal,
      measured: has ? show(value) : 'not measured',
      met: has ? ok(value) : null,
    });
  };
  const burst = [...new Set(results.map((r) => r.scenario))].filter((s) => s.startsWith('burst-'));
  for (const scenario of burst) {
    const mode = scenario.split('/')[1];
    const size = Number(scenario.slice('burst-'.length).split('/')[0]);
    const small = size < 5_000 && burst.some((b) => Number(b.slice(6).split('/')[0]) > size);
    const sl = find(results, scenario, isSessionlog);
    const speedup = (other: Result | undefined) =>
      sl && other ? other.median / sl.median : undefined;
    if (small) {
      add(
        1,
        `burst of ${size} (${mode}): sessionlog ≥ 5× TinyBase with autosave, one call per event`,
        speedup(find(results, scenario, (n) => n.startsWith('TinyBase, setRow'))),
        (v) => v >= 5,
      );
      continue;
    }
    add(
      1,
      `burst (${mode}): sessionlog ≥ 0.95× the throughput of raw puts in one transaction`,
      speedup(find(results, scenario, (n) => n === 'raw IndexedDB, one transaction')),
      (v) => v >= 0.95,
    );
    add(
      1,
      `burst (${mode}): sessionlog ≥ 10× naive (one transaction per event)`,
      speedup(find(results, scenario, (n) => n.includes('naive'))),
      (v) => v >= 10,
    );
    add(
      1,
      `burst (${mode}): sessionlog ≥ 5× TinyBase (its best case: one transaction, one save)`,
      speedup(find(results, scenario, (n) => n.startsWith('TinyBase Mergeable'))),
      (v) => v >= 5,
    );
  }
  for (const mode of ['relaxed', 'strict']) {
    const s = `sequential-append-p50/${mode}`;
    add(
      2,
      `sequential append p50 (${mode}) ≤ 1.5× one raw put per transaction`,
      find(results, s, isSessionlog)?.ratio,
      (v) => v <= 1.5,
    );
  }
  for (const mode of ['relaxed', 'strict']) {
    const s = `append-by-history-p50/${mode}`;
    const rows = results.filter((r) => r.scenario === s);
    add(
      3,
      `append p50 (${mode}) at a 100,000-event history ≤ 1.1× at 100`,
      rows.find((r) => !r.reference)?.ratio,
      (v) => v <= 1.1,
    );
  }
  const latest = results.find(
    (r) => r.scenario.startsWith('latest-50-of-') && isSessionlog(r.implementation),
  );
  add(
    4,
    'latest 50 messages of a 100,000-event session ≤ 1.3× raw getAllRecords',
    latest?.ratio,
    (v) => v <= 1.3,
  );
  const cold = results.find(
    (r) => r.scenario.startsWith('cold-open-') && isSessionlog(r.implementation),
  );
  add(5, 'cold open + 1,000 summaries + first page ≤ 1.15× raw', cold?.ratio, (v) => v <= 1.15);
  const crossTab = find(results, 'cross-tab-p50', isSessionlog);
  const commitFloor = find(results, 'cross-tab-p50', (n) => n.startsWith('raw put'));
  add(
    6,
    'cross-tab notification p50 ≤ 1.5× the commit floor (raw put, post after commit)',
    crossTab && commitFloor ? crossTab.median / commitFloor.median : undefined,
    (v) => v <= 1.5,
  );
  add(
    6,
    'cross-tab notification p99 ≤ 50 ms',
    find(results, 'cross-tab-p99', isSessionlog)?.median,
    (v) => v <= 50,
    (v) => fmt(v, 'ms'),
  );
  add(
    7,
    'sessionlog main entry with its dependencies ≤ 20 kB min+gzip',
    find(results, 'bundle-min-gzip', isSessionlog)?.median,
    (v) => v <= 20_000,
    (v) => fmt(v, 'bytes'),
  );
  add(
    8,
    'append p50 to a subscribed session of 50,000 messages ≤ 1.2× of 1,000 (flat)',
    results.find((r) => r.scenario === 'subscribed-append-p50/relaxed' && !r.reference)?.ratio,
    (v) => v <= 1.2,
  );
  // Issue 16: the journal's cost, the same build with and without it.
  const withJournal = (scenario: string) =>
    results.find((r) => r.scenario === `journal-cost/${scenario}` && !r.reference)?.ratio;
  for (const mode of ['relaxed', 'strict']) {
    add(
      16,
      `journal: sequential append p50 (${mode}) ≤ 1.25× without it`,
      withJournal(`sequential-append-p50/${mode}`),
      (v) => v <= 1.25,
    );
  }
  for (const scenario of new Set(
    results.filter((r) => r.scenario.startsWith('journal-cost/burst-')).map((r) => r.scenario),
  )) {
    const name = scenario.slice('journal-cost/'.length);
    add(16, `journal: ${name} time ≤ 1.1× without it`, withJournal(name), (v) => v <= 1.1);
  }
  const coldJournal = results.find(
    (r) => r.scenario.startsWith('journal-cost/cold-open-') && !r.reference,
  );
  add(16, 'journal: cold open ≤ 1.1× without it', coldJournal?.ratio, (v) => v <= 1.1);
  return out;
}

/** Figures that bound what a goal can reach on this machine. */
function context(results: Result[]): string[] {
  const out: string[] = [];
  for (const scenario of new Set(results.map((r) => r.scenario))) {
    if (!/^burst-\d+\//.test(scenario)) continue;
    const raw = find(results, scenario, (n) => n === 'raw IndexedDB, one transaction');
    const naive = find(results, scenario, (n) => n.includes('naive'));
    if (raw && naive) {
      out.push(
        `${scenario}: even raw puts in one transaction are only ${(naive.median / raw.median).toFixed(1)}× faster than one transaction per event, so "≥ 10× naive" needs sessionlog at ≥ ${((10 * raw.median) / naive.median).toFixed(2)}× raw speed.`,
      );
    }
  }
  const xtab = find(results, 'cross-tab-p50', isSessionlog);
  const floor = find(results, 'cross-tab-p50', (n) => n.startsWith('raw put'));
  const ping = find(results, 'cross-tab-p50', (n) => n.startsWith('raw BroadcastChannel'));
  if (xtab && floor && ping) {
    out.push(
      `cross-tab: nothing uncommitted may be broadcast, so a commit comes first; raw put + post after commit takes ${fmt(floor.median, 'ms')} (${(floor.median / ping.median).toFixed(1)}× the bare ping), and sessionlog is ${(xtab.median / floor.median).toFixed(2)}× that floor.`,
    );
  }
  const own = results.find((r) => r.implementation.startsWith("sessionlog's own code"));
  const all = results.find((r) => r.scenario === 'bundle-min-gzip-sessionlog-parts' && r.reference);
  if (own && all) {
    out.push(
      `bundle: sessionlog's own code is ${fmt(own.median, 'bytes')} of the ${fmt(all.median, 'bytes')} (dependency shares in the parts table).`,
    );
  }
  return out;
}

const TITLES: Array<[RegExp, string, string]> = [
  [
    /^burst-/,
    '1. Burst append',
    'Events issued at once (no awaiting in between) into a fresh database; time until every promise resolved (all committed). Reference ★: raw puts in one transaction. The last, smaller table adds TinyBase used one call per event with autosave, whose cost grows with the square of the count.',
  ],
  [
    /^sequential-append-/,
    '2. Sequential appends',
    'Each append awaited before the next, into a fresh database; p50/p99 of the per-append latency within a repetition. Reference ★: one raw put per transaction.',
  ],
  [
    /^append-by-history-/,
    '3. Append latency by session length',
    'Sequential appends alternating between a 100-event and a 100,000-event session of the same database (each repetition and mode appends to a fresh 100-event session). Reference ★: the 100-event session.',
  ],
  [
    /^latest-50-of-/,
    '4. Latest 50 messages of a large session',
    'Open connection, repeated reads (median of the reads within a repetition). Reference ★: raw getAll-style call on the index range.',
  ],
  [
    /^cold-open-/,
    '5. Cold open',
    'A freshly loaded page: open the database, list every session summary, read the first page of the first session. Reference ★: raw IndexedDB doing the same reads.',
  ],
  [
    /^cross-tab-/,
    '6. Cross-tab notification',
    'Page A appends (or posts), page B records when it is notified; one-way time on the shared clock (`performance.timeOrigin + now()`). Reference ★: a raw BroadcastChannel message.',
  ],
  [
    /^bundle-/,
    '7. Bundle size',
    'Built with vite (rolldown), minified as an app build minifies (whitespace too), all dependencies bundled, NODE_ENV=production; gzip level 9 (node:zlib). Reference ★: idb (in the parts table: the whole sessionlog bundle). sessionlog is its main entry: `sessionlog/transfer` and `sessionlog/reference` are not in it. Each row counts what a page loads up front (the entry and the chunks it imports statically); the code of the journal, imported at its check (a second after open or at the first write), is the row "sessionlog, loaded later". `npm run bench:bundle` lists the bytes module by module.',
  ],
  [
    /^subscribed-append-/,
    '8. Append to a subscribed session',
    'A chat UI always holds the open session subscribed. One page subscribes to one session and appends to it, awaiting each append until the subscriber has received the projection with the new event (the live update included); p50 per repetition of 60 appends, after 5 discarded. Reference ★: the session of 1,000 messages; the goal is flat (the larger session ≤ 1.2×).',
  ],
];

export function markdown(results: Result[], env: Env): string {
  const lines: string[] = [];
  const push = (...l: string[]) => lines.push(...l);
  const date = env.date.slice(0, 10);
  push(
    '# Benchmarks',
    '',
    `sessionlog against raw IndexedDB, Dexie and TinyBase in headless Chromium, measured ${date}${env.quick ? ' (**quick run: fewer repetitions, smaller data — not for comparison**)' : ''}.`,
    'Every figure is a median over repetitions (min–max beside it); **ratio = median ÷ median of the reference row ★ of the same scenario** (lower is better for every unit). The machine-readable form is [benchmarks.json](benchmarks.json): an array of `{ scenario, implementation, median, min, max, unit, ratio }`.',
    '',
    '## Goals (issues 7 and 16)',
    '',
    '| # | goal | measured | |',
    '|---|---|---|---|',
  );
  for (const g of goals(results)) {
    push(
      `| ${g.number} | ${g.goal} | ${g.measured} | ${g.met === null ? '—' : g.met ? 'met' : '**missed**'} |`,
    );
  }
  push(
    '',
    "For goal 1 the measured figure is a speed-up (other time ÷ sessionlog time); elsewhere it is the row's ratio or value.",
    '',
    ...context(results).map((c) => `- ${c}`),
    '',
  );

  for (const [re, title, what] of TITLES) {
    const rows = results.filter((r) => re.test(r.scenario));
    if (rows.length === 0) continue;
    push(`## ${title}`, '', what, '');
    for (const scenario of [...new Set(rows.map((r) => r.scenario))]) {
      push(
        `**${scenario}**`,
        '',
        '| implementation | median | min | max | ratio |',
        '|---|---:|---:|---:|---:|',
      );
      for (const r of rows.filter((x) => x.scenario === scenario)) {
        push(
          `| ${r.implementation}${r.reference ? ' ★' : ''} | ${fmt(r.median, r.unit)} | ${fmt(r.min, r.unit)} | ${fmt(r.max, r.unit)} | ${fmtRatio(r.ratio)} |`,
        );
      }
      push('');
    }
  }

  const mix = Object.entries(env.kindMix)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`)
    .join(', ');
  push(
    '## Machine and method',
    '',
    `- Date: ${env.date}; sessionlog at commit ${env.git}; the run took ${Math.round(env.durationS / 60)} min.`,
    `- CPU: ${env.cpu}; memory ${env.memory}; Node ${env.node}; load ${env.load}.`,
    `- Browser: ${env.chromium}, headless, driven by Playwright; user agent \`${env.userAgent}\`.`,
    `- Profile: on disk (\`chromium.launchPersistentContext(freshTempDir)\`, filesystem ${env.profileFs}): an in-memory profile makes IndexedDB, and strict durability above all, look far cheaper (docs/durability.md has both, measured).`,
    `- Page: bench/ built by vite in production mode (minified), the library imported from src/; served on 127.0.0.1 with cross-origin isolation headers (fine-grained timers: ${env.crossOriginIsolated ? 'yes' : 'no'}).`,
    `- Repetitions: ${env.reps} measured after one warm-up, implementations interleaved (order rotated each repetition) in the same browser; cold opens: one sample per freshly loaded page.`,
    `- Events: made with the library's \`createEvent\` (real ids and clock), ${env.meanEventBytes} bytes of JSON on average: ${mix}. Burst events are spread over 20 interleaved conversations.`,
    "- Durability: scenarios 1–3 in both modes (`relaxed`: commit once the OS has the data; `strict`: after it is flushed to disk). Scenarios 4–6 use the store's default.",
    `- Sizes: \`${JSON.stringify(env.config)}\`.`,
    '',
    'Implementations:',
    '',
    '- *raw IndexedDB*: no library; the events themselves, keyed by `id`, one index on `[session_key, timestamp, id]` (the index a message page is read from); scenario 5 adds a `sessions` store holding the very summaries sessionlog keeps.',
    "- *Dexie*: table `events: 'id, [session_key+timestamp+id]'`, durability through `chromeTransactionDurability`. `add` per call outside a transaction is one implicit transaction per event.",
    '- *TinyBase*: `createMergeableStore()` with `createIndexedDbPersister`; each event a row (scalar cells, `kind` as JSON text), all rows set in one store transaction, then one `persister.save()` (its best case: the persister writes the whole mergeable content on every save, so autosave after 10,000 separate calls would rewrite the store 10,000 times). It has no durability option: a shim passes the mode to its `transaction()` calls.',
    '- One transaction per event (raw naive and Dexie `add`): when measured on fewer events than the scenario, the time is scaled linearly to the scenario size and the row says so.',
    '',
  );
  if (env.notes.length) push('Notes from this run:', '', ...env.notes.map((n) => `- ${n}`), '');
  push(
    '## How to run',
    '',
    '```sh',
    'npm run bench                # full run, ~10 min on 2 idle cores → docs/benchmarks.{json,md}',
    'npm run bench -- --quick     # a few minutes, smaller data → bench/results-tmp/',
    'npm run bench -- --only=1,7  # some scenarios → bench/results-tmp/ (add --write for docs/)',
    'npm run bench -- --reps=8    # more repetitions',
    '```',
    '',
    'It needs Chromium (`CHROMIUM_PATH`, default `/usr/bin/chromium`). The runner (bench/run.ts, run by `tsx` since Node 20 does not run TypeScript) builds the page, serves it on 127.0.0.1, launches Chromium with a fresh on-disk profile in the temp folder, calls each scenario through `page.evaluate`, and removes the profile at the end. Nothing of it runs in `npm test`.',
    '',
  );
  return `${lines.join('\n')}`;
}

export function writeReports(dir: string, results: Result[], env: Env): string[] {
  const json = results.map(({ scenario, implementation, median, min, max, unit, ratio }) => ({
    scenario,
    implementation,
    median: round(median),
    min: round(min),
    max: round(max),
    unit,
    ratio: round(ratio),
  }));
  const jsonFile = join(dir, 'benchmarks.json');
  const mdFile = join(dir, 'benchmarks.md');
  writeFileSync(jsonFile, `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(mdFile, markdown(results, env));
  return [jsonFile, mdFile];
}
