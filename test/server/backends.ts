/**
 * The two databases the protocol tests run against: a fresh database on the
 * run's PostgreSQL cluster (through `pg`), and an in-memory PGlite.
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

/** An in-memory PGlite, migrated. */
export async function pgliteBackend(): Promise<Backend> {
  const lite = await PGlite.create();
  const db = fromPGlite(lite);
  await migrate(db);
  return { db, rowCount: () => countRows(db), close: () => lite.close() };
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
