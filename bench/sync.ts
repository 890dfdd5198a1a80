/**
 * `npm run bench:sync`: the sync server on a throwaway PostgreSQL cluster.
 *
 *   npm run bench:sync                 100,000 events, 50 clients → docs/sync-bench.json
 *   npm run bench:sync -- --events=20000 --clients=10   a smaller run (not written)
 *
 * Measures, over HTTP on loopback against the real handlers: push and pull
 * throughput, a new device pulling a 10,000-event history, push-to-other-
 * device latency with many Node clients long-polling while they push, and
 * the server process's memory; and, on the same database, raw
 * `INSERT … ON CONFLICT DO NOTHING` and `COPY` of the same rows.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createEvent, type SessionEvent } from '../src/event.js';
import { canonicalJson } from '../src/json.js';
import { createSyncHandler, fromPgPool, migrate } from '../src/server/index.js';
import type { PullResponse } from '../src/sync/protocol.js';
import { binDir, PG_BASE_PORT, startCluster } from '../test/server/pg-cluster.js';
import { quantile } from './stats.js';

const arg = (name: string, fallback: number) => {
  const found = process.argv.find((a) => a.startsWith(`--${name}=`));
  return found ? Number(found.split('=')[1]) : fallback;
};
const EVENTS = arg('events', 100_000);
const HISTORY = arg('history', 10_000);
const CLIENTS = arg('clients', 50);
const PER_CLIENT = arg('per-client', 20);
const full = EVENTS === 100_000 && CLIENTS === 50;

const log = (text: string) =>
  process.stderr.write(`bench:sync ${new Date().toISOString()} ${text}\n`);
const cluster = await startCluster(PG_BASE_PORT + 40);
// Interrupted: stop the cluster all the same.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cluster.destroy().then(() => process.exit(1)));
}
const pool = new pg.Pool({ connectionString: cluster.url, max: 10 });
const db = fromPgPool(pool);
await migrate(db);
const handler = createSyncHandler({
  db,
  tenant: (request) => request.headers.get('x-tenant'),
});
const server = createServer((req, res) => void handler.node(req, res));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

const messages = (n: number, sessions: number, tag: string): SessionEvent[] =>
  Array.from({ length: n }, (_, i) =>
    createEvent(`agent:bench:session-${i % sessions}`, 'bench', {
      type: 'message_received',
      content: `${tag} message ${i} with a little text, like a chat line`,
      attachments: [],
    }),
  );

async function push(tenant: string, events: unknown[]): Promise<void> {
  const response = await fetch(`${base}/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant': tenant },
    body: JSON.stringify({ events }),
  });
  if (!response.ok) throw new Error(`push: ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
}

async function pullAll(tenant: string, limit: number): Promise<number> {
  let cursor = '';
  let n = 0;
  for (;;) {
    const response = await fetch(
      `${base}/pull?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`,
      {
        headers: { 'x-tenant': tenant },
      },
    );
    const page = (await response.json()) as PullResponse;
    n += page.events.length;
    cursor = page.cursor;
    if (!page.more) return n;
  }
}

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const results: Record<string, unknown> = {};

// 1. Push, then pull, EVENTS events (batches of 1000, 100 sessions).
log(`making ${EVENTS} events`);
const events = messages(EVENTS, 100, 'push');
log('push');
let t = process.hrtime.bigint();
for (let i = 0; i < events.length; i += 1000) await push('throughput', events.slice(i, i + 1000));
const pushS = seconds(t);
t = process.hrtime.bigint();
const pulled = await pullAll('throughput', 5000);
const pullS = seconds(t);
if (pulled !== EVENTS) throw new Error(`pulled ${pulled} of ${EVENTS}`);
results.push = { events: EVENTS, seconds: pushS, perSecond: EVENTS / pushS };
results.pull = { events: EVENTS, seconds: pullS, perSecond: EVENTS / pullS };

log('raw insert and copy');
// 2. The same rows, raw, on the same database: INSERT … ON CONFLICT DO NOTHING, and COPY.
await pool.query('CREATE TABLE raw_insert (LIKE sessionlog_events INCLUDING ALL)');
await pool.query('CREATE TABLE raw_copy (LIKE sessionlog_events INCLUDING ALL)');
const rows = events.map((e) => [e.id, e.session_key, e.timestamp, canonicalJson(e)]);
t = process.hrtime.bigint();
for (let i = 0; i < rows.length; i += 1000) {
  const chunk = rows.slice(i, i + 1000);
  await pool.query(
    `INSERT INTO raw_insert (tenant, id, session_key, ts, event)
     SELECT 'raw', * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
    [0, 1, 2, 3].map((c) => chunk.map((r) => r[c])),
  );
}
const insertS = seconds(t);
const dir = mkdtempSync(join(tmpdir(), 'sessionlog-bench-'));
const file = join(dir, 'rows.tsv');
const tsvField = (s: string) =>
  s.replaceAll('\\', '\\\\').replaceAll('\t', '\\t').replaceAll('\n', '\\n');
writeFileSync(file, rows.map((r) => ['raw', ...r].map(tsvField).join('\t')).join('\n'));
t = process.hrtime.bigint();
execFileSync(join(binDir(), 'psql'), [
  cluster.url,
  '-c',
  `\\copy raw_copy (tenant, id, session_key, ts, event) FROM '${file}'`,
]);
const copyS = seconds(t);
rmSync(dir, { recursive: true, force: true });
results.rawInsert = { events: EVENTS, seconds: insertS, perSecond: EVENTS / insertS };
results.copy = { events: EVENTS, seconds: copyS, perSecond: EVENTS / copyS };

log('new device');
// 3. A new device pulls a HISTORY-event history in the client's page size (1000).
await (async () => {
  const history = messages(HISTORY, 20, 'history');
  for (let i = 0; i < history.length; i += 1000) await push('history', history.slice(i, i + 1000));
  const start = process.hrtime.bigint();
  const n = await pullAll('history', 1000);
  results.newDevice = { events: n, seconds: seconds(start) };
})();

log('latency');
// 4. CLIENTS clients of one tenant, each long-polling and pushing PER_CLIENT events:
// latency from a push being sent to each other client receiving it.
await (async () => {
  const tenant = 'latency';
  const latencies: number[] = [];
  let stop = false;
  const sentAt = new Map<string, number>();
  const expected = CLIENTS * PER_CLIENT;
  const received = Array.from({ length: CLIENTS }, () => new Set<string>());
  const start = await pullAll(tenant, 1000).then(async () => {
    const r = await fetch(`${base}/pull`, { headers: { 'x-tenant': tenant } });
    return ((await r.json()) as PullResponse).cursor;
  });
  const listen = async (client: number) => {
    let cursor = start;
    while (!stop && received[client]!.size < expected) {
      const r = await fetch(`${base}/pull?wait=5&limit=1000&cursor=${cursor}`, {
        headers: { 'x-tenant': tenant },
      });
      const page = (await r.json()) as PullResponse;
      const now = performance.now();
      for (const e of page.events as SessionEvent[]) {
        received[client]!.add(e.id);
        const at = sentAt.get(e.id);
        if (at !== undefined && !e.session_key.endsWith(`-${client}`)) latencies.push(now - at);
      }
      cursor = page.cursor;
    }
  };
  const write = async (client: number) => {
    for (let i = 0; i < PER_CLIENT; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 200));
      const event = createEvent(`agent:bench:client-${client}`, 'bench', {
        type: 'message_received',
        content: `client ${client} message ${i}`,
        attachments: [],
      });
      sentAt.set(event.id, performance.now());
      await push(tenant, [event]);
    }
  };
  const listeners = Array.from({ length: CLIENTS }, (_, c) => listen(c));
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => write(c)));
  await Promise.race([Promise.all(listeners), new Promise((r) => setTimeout(r, 60_000))]);
  stop = true;
  latencies.sort((a, b) => a - b);
  results.latency = {
    clients: CLIENTS,
    pushes: expected,
    deliveries: latencies.length,
    p50ms: quantile(latencies, 0.5),
    p99ms: quantile(latencies, 0.99),
  };
})();

clearInterval(sampler);
results.memory = {
  peakRssMB: peakRss / 2 ** 20,
  heapUsedMB: process.memoryUsage().heapUsed / 2 ** 20,
};
results.machine = { cpus: cpus().length, loadavg: loadavg().map((x) => Math.round(x * 10) / 10) };
results.date = new Date().toISOString();

server.closeAllConnections();
server.close();
await handler.close();
await pool.end();
await cluster.destroy();

console.log(JSON.stringify(results, null, 2));
if (full) writeFileSync('docs/sync-bench.json', `${JSON.stringify(results, null, 2)}\n`);
