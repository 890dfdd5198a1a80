/**
 * A sync server for the demo and the tests: sessionlog/server's handlers on a
 * plain Node http server. With DATABASE_URL it uses that PostgreSQL (through
 * `pg`); without, an embedded PGlite (in SYNC_DATA_DIR, or in memory), so
 * `npm run demo:sync` needs no setup. The tenant is the `x-sessionlog-tenant`
 * header, "demo" when absent: a real app takes it from its own auth.
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import {
  createSyncHandler,
  fromPGlite,
  fromPgPool,
  migrate,
  type SqlDatabase,
} from '../../src/server/index.js';

/** The server's database, a label for its log line, and how to let go of it (the handler does not own it). */
async function database(): Promise<{ db: SqlDatabase; label: string; close: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: url });
    pool.on('error', (error) => console.error('sync server: idle connection lost:', error.message));
    return {
      db: fromPgPool(pool),
      label: `PostgreSQL ${new URL(url).host}`,
      close: () => pool.end(),
    };
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = process.env.SYNC_DATA_DIR;
  const lite = await PGlite.create(dir ? { dataDir: dir } : {});
  return {
    db: fromPGlite(lite),
    label: `PGlite ${dir ?? '(in memory)'}`,
    close: () => lite.close(),
  };
}

/** Starts the sync server on 127.0.0.1:`port`; resolves to a function that stops it. */
export async function startSyncServer(port: number): Promise<() => Promise<void>> {
  const { db, label, close } = await database();
  await migrate(db);
  const handler = createSyncHandler({
    db,
    tenant: (request) => request.headers.get('x-sessionlog-tenant') || 'demo',
    cors: { origin: '*' },
  });
  // Requests the handler is still answering: stopping waits for them before it ends the pool.
  const inflight = new Set<Promise<void>>();
  const server = createServer((req, res) => {
    const answered: Promise<void> = handler.node(req, res).finally(() => inflight.delete(answered));
    inflight.add(answered);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  console.log(`sessionlog sync server on http://127.0.0.1:${port} (${label})`);
  return async () => {
    server.close();
    server.closeAllConnections();
    await handler.close();
    // A pull already reading when the connections closed would meet an ended
    // pool ("Cannot use a pool after calling end on the pool", in a fresh-clone run).
    await Promise.allSettled(inflight);
    // Its pool's idle connections too: a database stopped after this (the e2e
    // cluster) would otherwise end them under the pool ("idle connection lost").
    await close();
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stop = await startSyncServer(Number(process.env.SYNC_PORT ?? 8787));
  const exit = () => void stop().then(() => process.exit(0));
  process.once('SIGINT', exit);
  process.once('SIGTERM', exit);
}
