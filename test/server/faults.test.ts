/**
 * What needs a real PostgreSQL server: a transaction committing late behind
 * the cursor, the database restarting, the sync server killed mid-push, and
 * pulls served by a streaming replica while the primary takes pushes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEvent, type SessionEvent } from '../../src/event.js';
import { createSyncHandler, fromPgPool, migrate } from '../../src/server/index.js';
import type { PullResponse } from '../../src/sync/protocol.js';
import { postgresBackend } from './backends.js';
import { type Cluster, PG_BASE_PORT, startCluster, startReplica } from './pg-cluster.js';

const BASE = 'http://sync.test/sync';
const message = (session: string, text: string): SessionEvent =>
  createEvent(session, 'agent', { type: 'message_received', content: text, attachments: [] });
const pushRequest = (events: unknown[], tenant = 'a') =>
  new Request(`${BASE}/push`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant': tenant },
    body: JSON.stringify({ events }),
  });
const ids = (page: PullResponse) => page.events.map((e) => (e as { id: string }).id);

describe('the pull cursor and concurrent commits', () => {
  it('never passes a row whose transaction took a lower seq and commits later', async () => {
    const backend = await postgresBackend();
    const handler = createSyncHandler({ db: backend.db, tenant: () => 'a' });
    const pull = async (cursor = ''): Promise<PullResponse> =>
      (await handler.fetch(new Request(`${BASE}/pull?cursor=${cursor}`))).json();
    try {
      // A transaction that inserted (and so took its seq) but has not committed.
      const slow = await backend.pool.connect();
      const early = message('s', 'early');
      await slow.query('BEGIN');
      const held = await slow.query<{ seq: string }>(
        `INSERT INTO sessionlog_events (tenant, id, session_key, ts, event)
         VALUES ('a', $1, 's', $2, $3) RETURNING seq::text`,
        [early.id, early.timestamp, JSON.stringify(early)],
      );
      // A later push commits first, with a higher seq.
      const late = message('s', 'late');
      expect((await handler.fetch(pushRequest([late]))).status).toBe(200);
      const { rows } = await backend.db.query<{ seq: string }>(
        'SELECT seq::text FROM sessionlog_events WHERE id = $1',
        [late.id],
      );
      // The hazard: a plain `seq > cursor` pull would return `late` now and never `early`.
      expect(BigInt(rows[0]!.seq)).toBeGreaterThan(BigInt(held.rows[0]!.seq));
      const during = await pull();
      expect(ids(during)).toEqual([]);
      await slow.query('COMMIT');
      slow.release();
      const after = await pull(during.cursor);
      expect(ids(after).sort()).toEqual([early.id, late.id].sort());
      expect(ids(await pull(after.cursor))).toEqual([]);
    } finally {
      await handler.close();
      await backend.close();
    }
  });
});

describe('faults of a real server', () => {
  let cluster: Cluster;
  let pool: pg.Pool;

  beforeAll(async () => {
    cluster = await startCluster(PG_BASE_PORT + 1);
    pool = new pg.Pool({ connectionString: cluster.url, max: 4 });
    pool.on('error', () => {}); // idle clients of the restarted server
    await migrate(fromPgPool(pool));
  });
  afterAll(async () => {
    await pool.end();
    await cluster.destroy();
  });

  /** Sends until the server answers (a client's retry), returning the answer. */
  async function untilAnswered(send: () => Promise<Response>): Promise<Response> {
    for (;;) {
      const response = await send().catch(() => undefined);
      if (response && response.status < 500) return response;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('answers 503 while the database restarts, then serves pushes and wakes long polls again', async () => {
    const handler = createSyncHandler({
      db: fromPgPool(pool),
      tenant: () => 'restart',
      onError: () => {},
    });
    try {
      await handler.fetch(pushRequest([message('r', 'before')], 'restart'));
      const first = (await (
        await handler.fetch(new Request(`${BASE}/pull`))
      ).json()) as PullResponse;
      await cluster.stop('fast');
      const down = await handler.fetch(pushRequest([message('r', 'during')], 'restart'));
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ error: { code: 'storage' } });
      expect(await backendCount()).toBe(-1);
      await cluster.start();
      const during = message('r', 'retried');
      expect(
        (await untilAnswered(() => handler.fetch(pushRequest([during], 'restart')))).status,
      ).toBe(200);
      // A long poll parked after the restart is woken by the next push (LISTEN reconnected).
      const second = (await (
        await untilAnswered(() => handler.fetch(new Request(`${BASE}/pull?cursor=${first.cursor}`)))
      ).json()) as PullResponse;
      expect(ids(second)).toEqual([during.id]);
      const waiting = untilAnswered(() =>
        handler.fetch(new Request(`${BASE}/pull?cursor=${second.cursor}&wait=30`)),
      );
      const next = message('r', 'live again');
      await untilAnswered(() => handler.fetch(pushRequest([next], 'restart')));
      expect(ids((await (await waiting).json()) as PullResponse)).toEqual([next.id]);
    } finally {
      await handler.close();
    }
  });

  async function backendCount(): Promise<number> {
    return pool.query('SELECT count(*)::int AS n FROM sessionlog_events').then(
      (r) => r.rows[0].n as number,
      () => -1,
    );
  }

  it('loses nothing and doubles nothing when the sync server is killed mid-push', async () => {
    const port = PG_BASE_PORT + 10;
    const start = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'demo/sync/server.ts'], {
        env: { ...process.env, DATABASE_URL: cluster.url, SYNC_PORT: String(port) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      await once(child.stdout!, 'data'); // its "listening" line
      return child;
    };
    const url = `http://127.0.0.1:${port}`;
    const batch = Array.from({ length: 500 }, (_, i) => message(`k${i % 5}`, `m${i}`));
    const send = () =>
      fetch(`${url}/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sessionlog-tenant': 'kill' },
        body: JSON.stringify({ events: batch }),
      });
    // Hold one session's lock so the push stops inside its transaction.
    const blocker = await pool.connect();
    await blocker.query('BEGIN');
    await blocker.query(
      `SELECT pg_advisory_xact_lock(hashtextextended('kill' || chr(10) || 'k0', 0))`,
    );
    let server = await start();
    const inFlight = send().catch((error: unknown) => error);
    await waitFor(async () => {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      return rows[0].n > 0;
    });
    server.kill('SIGKILL');
    expect(await inFlight).toBeInstanceOf(Error); // the client saw no answer
    await blocker.query('COMMIT');
    blocker.release();
    server = await start();
    try {
      const retried = await untilAnswered(send);
      expect(await retried.json()).toMatchObject({ added: 500, duplicates: 0 });
      const again = await untilAnswered(send); // a retry after a lost answer
      expect(await again.json()).toMatchObject({ added: 0, duplicates: 500 });
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n, count(DISTINCT id)::int AS d FROM sessionlog_events WHERE tenant = 'kill'`,
      );
      expect(rows[0]).toEqual({ n: 500, d: 500 });
    } finally {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  }, 180_000); // two starts of a Node child process: slow on a busy machine

  it('serves pulls from a streaming replica while the primary takes pushes', async () => {
    const replica = await startReplica(cluster, PG_BASE_PORT + 2);
    const readPool = new pg.Pool({ connectionString: replica.url, max: 2 });
    readPool.on('error', () => {});
    const handler = createSyncHandler({
      db: fromPgPool(pool),
      readDb: fromPgPool(readPool),
      tenant: () => 'replica',
    });
    try {
      const { rows } = await readPool.query('SELECT pg_is_in_recovery() AS standby');
      expect(rows[0].standby).toBe(true);
      const pushed: string[] = [];
      const seen = new Set<string>();
      let cursor = '';
      const writer = (async () => {
        for (let i = 0; i < 20; i++) {
          const events = Array.from({ length: 25 }, (_, j) => message(`s${j % 3}`, `b${i}-${j}`));
          expect((await handler.fetch(pushRequest(events, 'replica'))).status).toBe(200);
          pushed.push(...events.map((e) => e.id));
        }
      })();
      // Pull (long poll) from the replica while the writer runs, until it has everything.
      let done = false;
      void writer.then(() => {
        done = true;
      });
      while (!done || seen.size < pushed.length) {
        const page = (await (
          await handler.fetch(new Request(`${BASE}/pull?cursor=${cursor}&wait=2`))
        ).json()) as PullResponse;
        for (const id of ids(page)) {
          expect(seen.has(id)).toBe(false);
          seen.add(id);
        }
        cursor = page.cursor;
      }
      await writer;
      expect([...seen].sort()).toEqual([...pushed].sort());
    } finally {
      await handler.close();
      await readPool.end();
      await replica.destroy();
    }
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}
