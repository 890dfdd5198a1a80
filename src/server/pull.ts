/**
 * Pull: events and deletions after an opaque cursor, in (xid, seq) order, and
 * only rows of transactions older than every transaction still in flight.
 * Why that never skips a row: a row's xid is its transaction's, fixed before
 * it commits; every transaction below the snapshot's xmin has ended, so all
 * rows with an xid below it are already visible and none can appear later.
 * Rows are read in (xid, seq) order up to that bound, so once the cursor
 * passes (x, s) no row at or before (x, s) can still commit. A plain
 * `seq > cursor` would skip a row whose transaction took its seq earlier but
 * committed after a later seq was read.
 */
import { validationError } from '../errors.js';
import { DEFAULT_PULL_LIMIT, MAX_PULL_LIMIT } from '../sync/protocol.js';
import type { SqlClient } from './database.js';

/** A position in the (xid, seq) order of one tenant's rows. */
export interface PullPosition {
  xid: string;
  seq: string;
}

/** What a pull asks for, validated. */
export interface PullQuery {
  after: PullPosition;
  session: string | undefined;
  limit: number;
  count: boolean;
}

const START: PullPosition = { xid: '0', seq: '0' };
const CURSOR_TEXT = /^v1\.(0|[1-9][0-9]{0,19})\.(0|[1-9][0-9]{0,18})$/;

/** The opaque cursor of a position (base64url, versioned). */
export function encodeCursor(position: PullPosition): string {
  return btoa(`v1.${position.xid}.${position.seq}`)
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}

/** The position of a cursor; throws a `validation` error naming `cursor` if it is not one. */
export function decodeCursor(cursor: string | null | undefined): PullPosition {
  if (cursor === null || cursor === undefined || cursor === '') return START;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) throw validationError('cursor', 'is not a cursor');
  let text: string;
  try {
    text = atob(cursor.replaceAll('-', '+').replaceAll('_', '/'));
  } catch {
    throw validationError('cursor', 'is not a cursor');
  }
  const match = CURSOR_TEXT.exec(text);
  if (!match) throw validationError('cursor', 'is not a cursor');
  return { xid: match[1]!, seq: match[2]! };
}

/** Validates the query string of a pull: `cursor`, `session`, `limit`, `count`. */
export function parsePullQuery(params: URLSearchParams): PullQuery {
  for (const name of params.keys()) {
    if (!['cursor', 'session', 'limit', 'wait', 'count'].includes(name))
      throw validationError(name, 'is not a parameter of pull');
  }
  const limitText = params.get('limit');
  const limit = limitText === null ? DEFAULT_PULL_LIMIT : Number(limitText);
  if (!/^[0-9]{1,5}$/.test(limitText ?? '1') || limit < 1 || limit > MAX_PULL_LIMIT)
    throw validationError('limit', `must be an integer from 1 to ${MAX_PULL_LIMIT}`);
  const session = params.get('session') ?? undefined;
  if (session === '') throw validationError('session', 'must not be empty');
  const count = params.get('count');
  if (count !== null && count !== '1') throw validationError('count', 'must be 1 when given');
  return { after: decodeCursor(params.get('cursor')), session, limit, count: count === '1' };
}

interface Row {
  t: boolean;
  xid: string;
  seq: string;
  body: string;
}

/**
 * Reads one page for `tenant`. One statement, so the rows and the bound come
 * from the same snapshot. Returns the response as JSON text: stored events
 * are already JSON and are not parsed again.
 */
export async function readPull(
  db: SqlClient,
  tenant: string,
  query: PullQuery,
): Promise<{ json: string; rows: number }> {
  const params: unknown[] = [tenant, query.after.xid, query.after.seq];
  if (query.session !== undefined) params.push(query.session);
  const since = `tenant = $1 AND (xid, seq) > ($2::xid8, $3::bigint)
      ${query.session === undefined ? '' : 'AND session_key = $4'}
      AND xid < pg_snapshot_xmin(pg_current_snapshot())`;
  const limit = `$${params.length + 1}::int`;
  const { rows } = await db.query<Row>(
    `SELECT t, xid::text AS xid, seq::text AS seq, body FROM (
       (SELECT false AS t, xid, seq, event AS body
          FROM sessionlog_events WHERE ${since} ORDER BY xid, seq LIMIT ${limit})
       UNION ALL
       (SELECT true, xid, seq, json_build_object('session_key', session_key, 'timestamp', ts)::text
          FROM sessionlog_tombstones WHERE ${since} ORDER BY xid, seq LIMIT ${limit})
     ) u ORDER BY u.xid, u.seq LIMIT ${limit}`,
    [...params, query.limit + 1],
  );
  const more = rows.length > query.limit;
  const page = more ? rows.slice(0, query.limit) : rows;
  const last = page.at(-1);
  const cursor = encodeCursor(last ? { xid: last.xid, seq: last.seq } : query.after);
  const events = page.filter((r) => !r.t).map((r) => r.body);
  const tombstones = page.filter((r) => r.t).map((r) => r.body);
  let remaining = '';
  if (query.count) {
    const counted = await db.query<{ n: string }>(
      `SELECT (SELECT count(*) FROM sessionlog_events WHERE ${since})
            + (SELECT count(*) FROM sessionlog_tombstones WHERE ${since}) AS n`,
      params,
    );
    remaining = `,"remaining":${Number(counted.rows[0]?.n ?? 0)}`;
  }
  const json = `{"events":[${events.join(',')}],"tombstones":[${tombstones.join(',')}],"cursor":${JSON.stringify(cursor)},"more":${more}${remaining}}`;
  return { json, rows: page.length };
}
