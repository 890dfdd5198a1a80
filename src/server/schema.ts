/**
 * The PostgreSQL schema of the sync server, and its migration. Every row
 * carries the id of the transaction that wrote it (`xid`, a 64-bit xid8 that
 * never wraps): pulls read in (xid, seq) order and only below the oldest
 * transaction still in flight, so a cursor never passes a row that commits
 * later (docs/sync.md, "The cursor").
 */
import type { SqlDatabase } from './database.js';

/** Version of the schema {@link migrate} creates. */
export const SERVER_SCHEMA_VERSION = 1;

/** Channel of the NOTIFY a push sends on commit (payload: the tenant). */
export const NOTIFY_CHANNEL = 'sessionlog_sync';

// Timestamps are normalized (9 fraction digits) and compared as text, so
// they use the "C" collation: a locale collation may order punctuation apart.
// One list of statements per version (PGlite runs one statement per query).
const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE SEQUENCE IF NOT EXISTS sessionlog_seq`,
    // One row per event and tenant; never updated. A deletion removes the rows
    // of its session at or before its time, keeping its tombstone.
    `CREATE TABLE IF NOT EXISTS sessionlog_events (
  tenant      text   NOT NULL,
  id          text   NOT NULL,
  session_key text   NOT NULL,
  ts          text   COLLATE "C" NOT NULL,
  event       text   NOT NULL,
  xid         xid8   NOT NULL DEFAULT pg_current_xact_id(),
  seq         bigint NOT NULL DEFAULT nextval('sessionlog_seq'),
  PRIMARY KEY (tenant, id)
)`,
    `CREATE INDEX IF NOT EXISTS sessionlog_events_since ON sessionlog_events (tenant, xid, seq)`,
    `CREATE INDEX IF NOT EXISTS sessionlog_events_session ON sessionlog_events (tenant, session_key, xid, seq)`,
    // Deletions: rows of their own, never updated or deleted.
    `CREATE TABLE IF NOT EXISTS sessionlog_tombstones (
  tenant      text   NOT NULL,
  session_key text   NOT NULL,
  ts          text   COLLATE "C" NOT NULL,
  xid         xid8   NOT NULL DEFAULT pg_current_xact_id(),
  seq         bigint NOT NULL DEFAULT nextval('sessionlog_seq'),
  PRIMARY KEY (tenant, session_key, ts)
)`,
    `CREATE INDEX IF NOT EXISTS sessionlog_tombstones_since ON sessionlog_tombstones (tenant, xid, seq)`,
  ],
];

/**
 * Creates or upgrades the schema; safe to run from several processes at once
 * (an advisory lock serializes them) and on every start.
 */
export async function migrate(db: SqlDatabase): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtextextended('sessionlog_migrate', 0))`);
    await tx.query('CREATE TABLE IF NOT EXISTS sessionlog_schema (version int NOT NULL)');
    const { rows } = await tx.query<{ version: number }>('SELECT version FROM sessionlog_schema');
    const current = rows[0]?.version ?? 0;
    if (current > SERVER_SCHEMA_VERSION) {
      throw new Error(
        `sessionlog: the database has schema ${current}, newer than this version's ${SERVER_SCHEMA_VERSION}`,
      );
    }
    for (let v = current; v < MIGRATIONS.length; v++) {
      for (const statement of MIGRATIONS[v]!) await tx.query(statement);
    }
    if (rows.length === 0)
      await tx.query('INSERT INTO sessionlog_schema (version) VALUES ($1)', [
        SERVER_SCHEMA_VERSION,
      ]);
    else await tx.query('UPDATE sessionlog_schema SET version = $1', [SERVER_SCHEMA_VERSION]);
  });
}
