/**
 * The two databases the protocol tests run against: a fresh database on the
 * run's PostgreSQL cluster (through `pg`), and an in-memory PGlite shared by
 * the whole run (the `server` project runs its files one after another in one
 * worker without isolation, so this module, and the PGlite, exist once).
 */
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject } from 'vitest';
import { fromPGlite, fromPgPool, migrate, type SqlDatabase } from '../../src/server/index.js';

/** A migrated, empty database and how to dispose of it. */
export interface Backend {
  db: SqlDatabase;
  /** Rows stored in both tables, any tenant. */
  rowCount(): Promise<number>;
  close(): Promise<void>;
}

let counter = 0;

/** A new database on the test cluster, migrated. */
export async function postgresBackend(): Promise<Backend & { pool: pg.Pool; url: string }> {
  const admin = new pg.Client(inject('pgUrl'));
  await admin.connect();
  const name = `t_${process.pid}_${Date.now()}_${counter++}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = inject('pgUrl').replace(/\/postgres$/, `/${name}`);
  const pool = new pg.Pool({ connectionString: url, max: 8 });
  pool.on('error', () => {}); // idle clients of a restarted server
  const db = fromPgPool(pool);
  await migrate(db);
  return { db, pool, url, rowCount: () => countRows(db), close: () => pool.end() };
}

let sharedLite: Promise<SqlDatabase> | undefined;

/**
 * The run's one in-memory PGlite, migrated, emptied. PGlite takes seconds (on
 * a loaded machine minutes) to start, so it starts once and every caller gets
 * it empty: earlier files' rows are truncated away. `close` leaves it open for
 * the next file; it ends with the worker.
 */
export async function pgliteBackend(): Promise<Backend> {
  sharedLite ??= (async () => {
    const db = fromPGlite(await PGlite.create());
    await migrate(db);
    return db;
  })();
  const db = await sharedLite;
  await db.query('TRUNCATE sessionlog_events, sessionlog_tombstones');
  return { db, rowCount: () => countRows(db), close: async () => {} };
}

async function countRows(db: SqlDatabase): Promise<number> {
  const { rows } = await db.query<{ n: number }>(
    'SELECT ((SELECT count(*) FROM sessionlog_events) + (SELECT count(*) FROM sessionlog_tombstones))::int AS n',
  );
  return rows[0]!.n;
}

/** Both backends, for `describe.each`. */
export const BACKENDS = [
  { name: 'PostgreSQL', open: postgresBackend },
  { name: 'PGlite', open: pgliteBackend },
] as const;
