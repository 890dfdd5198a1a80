/**
 * Push: validate a batch completely (every id re-verified from its canonical
 * JSON), then store it in one transaction: duplicates are no-ops, events at or
 * before a deletion of their session are dropped, an id stored under other
 * content is a conflict (nothing of the batch is written).
 */
import type { HybridClock } from '../clock.js';
import { EventStoreError, validationError } from '../errors.js';
import { type AnyEvent, MAX_SESSION_KEY_LENGTH, parseEvent } from '../event.js';
import { computeEventId } from '../ids.js';
import { canonicalJson } from '../json.js';
import {
  MAX_PUSH_EVENTS,
  MAX_PUSH_TOMBSTONES,
  type PushResponse,
  toWireEvent,
  type WireTombstone,
} from '../sync/protocol.js';
import { normalizeTimestamp } from '../timestamp.js';
import type { SqlClient, SqlDatabase } from './database.js';
import { NOTIFY_CHANNEL } from './schema.js';

/** A validated push: events in normal form with their stored text, and deletions. */
export interface ParsedPush {
  events: Array<{ event: AnyEvent; text: string }>;
  tombstones: WireTombstone[];
}

/** Raised by a push whose id is already stored under other content (HTTP 409). */
function conflict(index: number): EventStoreError {
  return new EventStoreError(
    'conflict',
    `events[${index}].id: already stored with other content (never overwritten)`,
    { field: 'id', index },
  );
}

function atIndex(list: string, index: number, error: unknown): EventStoreError {
  if (!(error instanceof EventStoreError)) throw error;
  return new EventStoreError('validation', `${list}[${index}].${error.message}`, {
    field: error.field,
    index,
  });
}

/**
 * Validates a push body. Ids in this library's form are recomputed whatever
 * the `origin` says (`"reference"` included); only an id given as the
 * reference's 32 numbers, which no one can recompute, is taken as given.
 * Throws a `validation` error naming the list, index and field.
 */
export function parsePush(body: unknown, clock: HybridClock): ParsedPush {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw validationError('body', 'must be a JSON object with an events array');
  const { events, tombstones = [], ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw validationError(extra, 'is not a field of a push');
  if (!Array.isArray(events)) throw validationError('events', 'must be an array');
  if (!Array.isArray(tombstones)) throw validationError('tombstones', 'must be an array');
  if (events.length > MAX_PUSH_EVENTS)
    throw validationError('events', `at most ${MAX_PUSH_EVENTS} events per push`);
  if (tombstones.length > MAX_PUSH_TOMBSTONES)
    throw validationError('tombstones', `at most ${MAX_PUSH_TOMBSTONES} per push`);
  const parsed = events.map((raw, index) => {
    try {
      const event = parseEvent(raw, { allowUnknownKinds: true, clock });
      const claimed = (raw as { id: unknown }).id;
      if (typeof claimed === 'string' && computeEventId(event) !== event.id) {
        // parseEvent trusts a hex id whose origin says "reference": the server does not.
        throw validationError('id', 'does not match the event content (corrupt or forged event)');
      }
      return { event, text: canonicalJson(toWireEvent(event)) };
    } catch (error) {
      throw atIndex('events', index, error);
    }
  });
  const deletions = tombstones.map((raw, index): WireTombstone => {
    try {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        throw validationError('', 'must be an object');
      const { session_key, timestamp, ...more } = raw as Record<string, unknown>;
      const unknown = Object.keys(more)[0];
      if (unknown !== undefined) throw validationError(unknown, 'is not a field of a tombstone');
      if (typeof session_key !== 'string' || session_key === '')
        throw validationError('session_key', 'must be a non-empty string');
      if (session_key.length > MAX_SESSION_KEY_LENGTH)
        throw validationError('session_key', `longer than ${MAX_SESSION_KEY_LENGTH}`);
      const ts = normalizeTimestamp(timestamp, 'timestamp');
      clock.check(ts);
      return { session_key, timestamp: ts };
    } catch (error) {
      throw atIndex('tombstones', index, error);
    }
  });
  return { events: parsed, tombstones: deletions };
}

/** Stores a validated push for `tenant` in one transaction and wakes the tenant's pullers. */
export async function writePush(
  db: SqlDatabase,
  tenant: string,
  push: ParsedPush,
): Promise<PushResponse> {
  return db.transaction(async (tx) => {
    await lockSessions(tx, tenant, push);
    let tombstones = 0;
    for (const t of push.tombstones) {
      const { rows } = await tx.query(
        `INSERT INTO sessionlog_tombstones (tenant, session_key, ts) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING RETURNING 1`,
        [tenant, t.session_key, t.timestamp],
      );
      if (rows.length === 0) continue;
      tombstones++;
      await tx.query(
        'DELETE FROM sessionlog_events WHERE tenant = $1 AND session_key = $2 AND ts <= $3',
        [tenant, t.session_key, t.timestamp],
      );
    }
    const { kept, dropped } = await dropDeleted(tx, tenant, push.events);
    const unique = new Map<string, { event: AnyEvent; text: string; index: number }>();
    for (const [index, e] of push.events.entries()) {
      const seen = unique.get(e.event.id);
      if (seen && seen.text !== e.text) throw conflict(index);
      if (!seen && kept.has(index)) unique.set(e.event.id, { ...e, index });
    }
    const rows = [...unique.values()];
    let added = 0;
    if (rows.length > 0) {
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO sessionlog_events (tenant, id, session_key, ts, event)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
         ON CONFLICT DO NOTHING RETURNING id`,
        [
          tenant,
          rows.map((r) => r.event.id),
          rows.map((r) => r.event.session_key),
          rows.map((r) => r.event.timestamp),
          rows.map((r) => r.text),
        ],
      );
      added = inserted.rows.length;
      if (added < rows.length) await checkConflicts(tx, tenant, rows, inserted.rows);
    }
    if (added > 0 || tombstones > 0) {
      await tx.query('SELECT pg_notify($1, $2)', [NOTIFY_CHANNEL, notifyPayload(tenant)]);
    }
    return { added, duplicates: push.events.length - added - dropped, dropped, tombstones };
  });
}

/** NOTIFY payloads are limited to 8000 bytes: a longer tenant wakes every waiter. */
export function notifyPayload(tenant: string): string {
  return tenant.length <= 1000 ? tenant : '*';
}

/**
 * Serializes a push with deletions of the same sessions: events take a shared
 * lock per session, deletions an exclusive one, always in the same order (no
 * deadlock). So a deletion never misses an event committed beside it.
 */
async function lockSessions(tx: SqlClient, tenant: string, push: ParsedPush): Promise<void> {
  const modes = new Map<string, boolean>();
  for (const e of push.events) modes.set(e.event.session_key, false);
  for (const t of push.tombstones) modes.set(t.session_key, true);
  if (modes.size === 0) return;
  const keys = [...modes.keys()].sort();
  await tx.query(
    `SELECT CASE WHEN x THEN pg_advisory_xact_lock(h) ELSE pg_advisory_xact_lock_shared(h) END
     FROM (SELECT hashtextextended($1 || chr(10) || k, 0) AS h, x
           FROM unnest($2::text[], $3::bool[]) WITH ORDINALITY AS u(k, x, n) ORDER BY n) l`,
    [tenant, keys, keys.map((k) => modes.get(k))],
  );
}

/** Which events of the batch survive the stored deletions of their sessions. */
async function dropDeleted(
  tx: SqlClient,
  tenant: string,
  events: ParsedPush['events'],
): Promise<{ kept: Set<number>; dropped: number }> {
  const keys = [...new Set(events.map((e) => e.event.session_key))];
  const kept = new Set(events.keys());
  if (keys.length === 0) return { kept, dropped: 0 };
  const { rows } = await tx.query<{ session_key: string; ts: string }>(
    `SELECT session_key, max(ts) AS ts FROM sessionlog_tombstones
     WHERE tenant = $1 AND session_key = ANY($2::text[]) GROUP BY session_key`,
    [tenant, keys],
  );
  const deletedAt = new Map(rows.map((r) => [r.session_key, r.ts]));
  let dropped = 0;
  for (const [index, { event }] of events.entries()) {
    const at = deletedAt.get(event.session_key);
    if (at !== undefined && event.timestamp <= at) {
      kept.delete(index);
      dropped++;
    }
  }
  return { kept, dropped };
}

/** Every id not inserted must be stored with exactly this content; else the batch is a conflict. */
async function checkConflicts(
  tx: SqlClient,
  tenant: string,
  rows: Array<{ event: AnyEvent; text: string; index: number }>,
  inserted: Array<{ id: string }>,
): Promise<void> {
  const fresh = new Set(inserted.map((r) => r.id));
  const old = rows.filter((r) => !fresh.has(r.event.id));
  const { rows: stored } = await tx.query<{ id: string; event: string }>(
    'SELECT id, event FROM sessionlog_events WHERE tenant = $1 AND id = ANY($2::text[])',
    [tenant, old.map((r) => r.event.id)],
  );
  const text = new Map(stored.map((r) => [r.id, r.event]));
  for (const r of old) {
    const have = text.get(r.event.id);
    if (have !== undefined && have !== r.text) throw conflict(r.index);
  }
}
