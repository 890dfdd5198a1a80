/**
 * Reads of the log: a session's events, pages of messages through the message
 * index, summaries, and what was committed after a commit sequence. Every
 * record is validated on its way out; a corrupt one is skipped and reported,
 * never handed on.
 */
import { unwrap } from 'idb';
import { isChain } from '../chain-mark.js';
import { HybridClock } from '../clock.js';
import { EventStoreError, validationError } from '../errors.js';
import { type AnyEvent, isKnownKind, parseEvent, type SessionEvent } from '../event.js';
import { compareCodePoints } from '../json.js';
import { type Message, messageOf } from '../projection.js';
import {
  type EventRecord,
  type MetaRecord,
  sessionRange,
  type TombstoneRecord,
} from '../schema.js';
import { publicSummary, readSummary, type SessionSummary, type StoredSummary } from '../summary.js';
import { normalizeTimestamp } from '../timestamp.js';
import { activePathPage, type LogPosition, type TreeReads } from '../tree-log.js';
import { type Db, toStoreError } from './connection.js';
import type { CorruptRecord, MessagePage, MessageQuery } from './types.js';
import { VerifiedEvents } from './verified.js';

const READ_CLOCK = new HybridClock({ maxSkewMs: 1e15 }); // stored events: no skew bound
const DEFAULT_PAGE = 50;
const MAX_PAGE = 1000;

/** What a read since a commit sequence found: everything committed after it. */
export interface LogRead {
  meta: MetaRecord;
  records: EventRecord[];
  /** The valid events of `records`, in the same order. */
  events: AnyEvent[];
  tombstones: TombstoneRecord[];
  /** [key, summary, or `undefined` when the session is gone or its summary corrupt]. */
  summaries: Array<[string, SessionSummary | undefined]>;
}

/**
 * What a tab message announced, to read faster what it announced (see
 * {@link LogReader.since}); never what is applied.
 */
export interface ReadHint {
  /** Sessions likely to have changed: their summaries are read in the first round. */
  sessions: Iterable<string>;
}

/** Which summaries a read since a commit sequence also reads. */
export type SummaryRead = 'all' | 'changed' | 'none';

/** A position in a session's (timestamp, id) order. */
export interface Position {
  timestamp: string;
  id: string;
}

/**
 * `summaries`, most recent activity first, then by key. Each key is read
 * once: on a freshly loaded page a comparator reading the properties of
 * 1,000 deserialized records took 15 ms (profile of scenario 5).
 */
export function sortByRecentActivity(summaries: readonly SessionSummary[]): SessionSummary[] {
  const activity = summaries.map((s) => s.lastActivity ?? '');
  const order = summaries.map((_, i) => i);
  order.sort((i, j) => {
    const x = activity[i]!;
    const y = activity[j]!;
    if (x !== y) return x < y ? 1 : -1;
    return compareCodePoints(summaries[i]!.sessionKey, summaries[j]!.sessionKey);
  });
  return order.map((i) => summaries[i]!);
}

/** Reads of the log through a connection's `run`; corrupt records go to `report`. */
export class LogReader {
  readonly #run: <T>(work: (db: Db) => Promise<T>) => Promise<T>;
  readonly #report: (corrupt: CorruptRecord) => void;
  /** Ids checked on this connection: a record read again unchanged is not hashed again. */
  readonly #verified = new VerifiedEvents();

  constructor(
    run: <T>(work: (db: Db) => Promise<T>) => Promise<T>,
    report: (corrupt: CorruptRecord) => void,
  ) {
    this.#run = run;
    this.#report = report;
  }

  /** Events this store has just committed (checked on their way in): reads of them need no hash. */
  remember(events: readonly AnyEvent[]): void {
    this.#verified.remember(events);
  }

  /**
   * The event of a record, or `undefined` (reported) when it fails validation.
   * A record that is exactly an event checked before on this connection is
   * not validated again.
   */
  decode(record: EventRecord): AnyEvent | undefined {
    const known = this.#verified.match(record);
    if (known) return known;
    const { seq: _seq, msg: _msg, ...event } = record;
    try {
      const parsed = parseEvent(event, { allowUnknownKinds: true, clock: READ_CLOCK });
      this.#verified.remember([parsed]);
      return parsed;
    } catch (error) {
      const key = typeof record?.id === 'string' ? record.id : String(record?.id);
      this.#report({ store: 'events', key, error: toStoreError(error) });
      return undefined;
    }
  }

  /** The valid events of `records`, in order. */
  decodeAll(records: readonly EventRecord[]): AnyEvent[] {
    const out: AnyEvent[] = [];
    for (const r of records) {
      const e = this.decode(r);
      if (e) out.push(e);
    }
    return out;
  }

  /** The record if it is a valid summary of `key` (chain mark kept); else reports it as corrupt. */
  checkSummary(value: unknown, key: string): StoredSummary | undefined {
    const summary = readSummary(value, key);
    if (summary) return summary;
    const error = new EventStoreError(
      'serialization',
      `session summary of "${key}" has a bad shape`,
    );
    this.#report({ store: 'sessions', key, error });
    return undefined;
  }

  #checkPublic(value: unknown, key: string): SessionSummary | undefined {
    const summary = this.checkSummary(value, key);
    return summary && publicSummary(summary);
  }

  /** All events of a session in (timestamp, id) order. */
  async events(sessionKey: string): Promise<AnyEvent[]> {
    const records = await this.#run((db) =>
      db.getAllFromIndex('events', 'session', sessionRange(sessionKey)),
    );
    return this.decodeAll(records);
  }

  /** The events stored by commit `seq` (the journal writes them again when a crash tore its copy). */
  async commit(seq: number): Promise<AnyEvent[]> {
    const records = await this.#run((db) => db.getAllFromIndex('events', 'seq', seq));
    return this.decodeAll(records);
  }

  /** Events of a session with a timestamp strictly after `since`, in order. */
  async eventsSince(sessionKey: string, since: string): Promise<AnyEvent[]> {
    const from = normalizeTimestamp(since, 'since');
    const range = IDBKeyRange.bound([sessionKey, from, []], [sessionKey, []], true);
    const records = await this.#run((db) => db.getAllFromIndex('events', 'session', range));
    return this.decodeAll(records);
  }

  /** Up to `count` events of a session after `after`; `last` is the last record's position. */
  async eventsAfter(
    sessionKey: string,
    after: Position | undefined,
    count: number,
  ): Promise<{ events: AnyEvent[]; last: Position | undefined }> {
    const range = after
      ? IDBKeyRange.bound([sessionKey, after.timestamp, after.id], [sessionKey, []], true)
      : sessionRange(sessionKey);
    const records = await this.#run((db) => db.getAllFromIndex('events', 'session', range, count));
    const last = records[records.length - 1];
    return {
      events: this.decodeAll(records),
      last: last && { timestamp: last.timestamp, id: last.id },
    };
  }

  /** Session keys in byte (code point) order. */
  async sessionKeys(): Promise<string[]> {
    const keys = await this.#run((db) => db.getAllKeys('sessions'));
    return keys.sort(compareCodePoints);
  }

  /** The summary of a session, or `undefined`. */
  async summary(sessionKey: string): Promise<SessionSummary | undefined> {
    const value = await this.#run((db) => db.get('sessions', sessionKey));
    const summary = value === undefined ? undefined : this.checkSummary(value, sessionKey);
    return summary && publicSummary(summary);
  }

  /** Every valid summary, most recent activity first. */
  async summaries(): Promise<SessionSummary[]> {
    const all = await this.#run((db) => db.getAll('sessions'));
    const out: SessionSummary[] = [];
    for (const value of all) {
      const summary = this.checkSummary(
        value,
        (value as { sessionKey?: string })?.sessionKey ?? '',
      );
      if (summary) out.push(publicSummary(summary));
    }
    return sortByRecentActivity(out);
  }

  /** The reads the conversation tree needs (src/tree-log.ts): by id, and backwards or forwards from a position. */
  readonly tree: TreeReads = {
    get: async (id) => {
      const record = await this.#run((db) => db.get('events', id));
      return record && this.decode(record);
    },
    before: async (sessionKey, before: LogPosition | undefined, count) => {
      const range = before
        ? IDBKeyRange.bound([sessionKey], [sessionKey, before.timestamp, before.id], false, true)
        : sessionRange(sessionKey);
      return this.decodeAll(
        await this.#run((db) => indexRecords(eventsOf(db).index('session'), range, 'prev', count)),
      );
    },
    after: async (sessionKey, after, count) =>
      (await this.eventsAfter(sessionKey, after, count)).events,
  };

  /**
   * A page of messages (see `EventStore.getMessages`): along the active path
   * through src/tree-log.ts, or across all branches through the message index.
   */
  async messages(sessionKey: string, query: MessageQuery = {}): Promise<MessagePage> {
    const limit = query.limit ?? DEFAULT_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw validationError('limit', `must be an integer from 1 to ${MAX_PAGE}`);
    }
    if (query.before && query.after)
      throw validationError('before', 'cannot be combined with after');
    // A cursor is a message or any { timestamp, id }; its timestamp may be in a short form.
    const cursorKey = (side: 'before' | 'after'): [string, string] | undefined => {
      const cursor = query[side];
      if (cursor === undefined || cursor === null) return undefined;
      if (typeof cursor !== 'object' || typeof cursor.id !== 'string')
        throw validationError(side, 'must be a message or a { timestamp, id } cursor');
      return [normalizeTimestamp(cursor.timestamp, `${side}.timestamp`), cursor.id];
    };
    const afterAt = cursorKey('after');
    const beforeAt = cursorKey('before');
    const branch = query.branch ?? 'active';
    if (branch !== 'active' && branch !== 'all')
      throw validationError('branch', "must be 'active' or 'all'");
    const low: unknown[] = afterAt ? [sessionKey, 1, ...afterAt] : [sessionKey, 1];
    const high: unknown[] = beforeAt ? [sessionKey, 1, ...beforeAt] : [sessionKey, 1, []];
    const page: IndexPage = {
      low,
      high,
      forward: Boolean(query.after),
      lowOpen: Boolean(query.after),
      highOpen: Boolean(query.before),
    };
    if (branch === 'all') return this.#indexPage(sessionKey, limit, page);
    // The summary and the index's page in one transaction: when the summary's
    // chain mark says the tree is one chain, that page is the active path's.
    const first = await this.#run((db) => {
      const tx = unwrap(db).transaction(['sessions', 'events'], 'readonly');
      return Promise.all([
        request(tx.objectStore('sessions').get(sessionKey)),
        indexRecords(
          tx.objectStore('events').index('message'),
          IDBKeyRange.bound(low, high, page.lowOpen, page.highOpen),
          page.forward ? 'next' : 'prev',
          limit + 1,
        ),
      ]);
    });
    const summary = first[0] === undefined ? undefined : this.checkSummary(first[0], sessionKey);
    if (summary && isChain(summary.chain, summary.eventCount))
      return this.#indexPage(sessionKey, limit, page, first[1]);
    const at = (key?: [string, string]) => key && { timestamp: key[0], id: key[1] };
    return activePathPage(this.tree, sessionKey, summary?.headTarget ?? null, {
      limit,
      ...(beforeAt ? { before: at(beforeAt) } : {}),
      ...(afterAt ? { after: at(afterAt) } : {}),
    });
  }

  /**
   * A page of the `message` index between `page.low` and `page.high`, read on
   * past corrupt records (skipped, reported) until it is full; `first` is its
   * first read when already made.
   */
  async #indexPage(
    sessionKey: string,
    limit: number,
    page: IndexPage,
    first?: EventRecord[],
  ): Promise<MessagePage> {
    const { low, high, forward } = page;
    let range = IDBKeyRange.bound(low, high, page.lowOpen, page.highOpen);
    const messages: Message[] = [];
    let hasMore: boolean;
    let read = first;
    for (;;) {
      const need = limit - messages.length;
      const records =
        read ??
        (await this.#run((db) =>
          indexRecords(eventsOf(db).index('message'), range, forward ? 'next' : 'prev', need + 1),
        ));
      read = undefined;
      hasMore = records.length > need;
      const taken = records.slice(0, need);
      for (const record of taken) {
        const event = this.decode(record);
        const message = event && isKnownKind(event.kind) ? messageOf(event as SessionEvent) : null;
        if (message) messages.push(message);
      }
      if (!hasMore || messages.length === limit) break;
      const last = taken[taken.length - 1]!;
      const at = [sessionKey, 1, last.timestamp, last.id];
      range = forward
        ? IDBKeyRange.bound(at, high, true, page.highOpen)
        : IDBKeyRange.bound(low, at, page.lowOpen, true);
    }
    if (!forward) messages.reverse();
    return { messages, hasMore };
  }

  /**
   * What was committed after commit `from` (events and deletions), read in one
   * transaction with the sequence, and the summaries `summaries` asks for:
   * all of them, those of the sessions that changed, or none. Every request
   * goes out in one round as a rule: `meta`, the events after `from` by
   * their sequence index, and the summaries of the sessions `hint` names (a
   * tab message's); a second round reads the tombstones when a deletion may
   * have come after `from`, and summaries of changed sessions not named.
   * `hint` only decides when something is read, never what is
   * returned: always what the log holds.
   */
  async since(from: number, summaries: SummaryRead, hint?: ReadHint): Promise<LogRead> {
    const read = await this.#run((db) => {
      const tx = unwrap(db).transaction(['events', 'tombstones', 'sessions', 'meta'], 'readonly');
      return readSince(tx, from, summaries, hint?.sessions ?? []);
    });
    const out: Array<[string, SessionSummary | undefined]> = [];
    for (const [key, value] of read.summaries) {
      const summary = value === undefined ? undefined : this.#checkPublic(value, key);
      out.push([key, summary]);
    }
    return {
      meta: read.meta,
      records: read.records,
      tombstones: read.tombstones,
      summaries: out,
      events: this.decodeAll(read.records),
    };
  }
}

/** A read since a commit sequence as IndexedDB returned it: summaries not yet checked. */
interface RawSince {
  meta: MetaRecord;
  records: EventRecord[];
  tombstones: TombstoneRecord[];
  summaries: Array<[string, unknown]>;
}

/**
 * The requests of {@link LogReader.since} in `tx`, in one round as a rule.
 * The sequence index is read from `from` on without waiting for `meta`. The
 * tombstones are read only when some commit sequence up to `meta.seq` has no
 * event: every sequence number is taken by one commit of events or by one
 * deletion, so when each holds an event no deletion came after `from`.
 */
async function readSince(
  tx: IDBTransaction,
  from: number,
  summaries: SummaryRead,
  expected: Iterable<string>,
): Promise<RawSince> {
  // Numbers only: a record whose seq is not a number is not a commit's.
  const after = IDBKeyRange.bound(from, Number.POSITIVE_INFINITY, true);
  const sessions = tx.objectStore('sessions');
  const guessed = new Map<string, Promise<unknown>>();
  if (summaries === 'changed')
    for (const key of expected) {
      if (guessed.has(key)) continue;
      const value = request(sessions.get(key));
      value.catch(() => {}); // awaited only when the log shows the session changed
      guessed.set(key, value);
    }
  const [meta, stored, all] = await Promise.all([
    request(tx.objectStore('meta').get('state')) as Promise<MetaRecord>,
    request(tx.objectStore('events').index('seq').getAll(after)) as Promise<EventRecord[]>,
    summaries === 'all' ? request(sessions.getAll()) : undefined,
  ]);
  const records = stored.filter((r) => r.seq <= meta.seq);
  const tombstones = everySeqHasEvents(records, from, meta.seq)
    ? []
    : ((await request(
        tx
          .objectStore('tombstones')
          .index('seq')
          .getAll(IDBKeyRange.bound(from, meta.seq, true)),
      )) as TombstoneRecord[]);
  if (all) {
    const keyOf = (s: unknown) => (s as { sessionKey?: string } | null)?.sessionKey ?? '';
    return { meta, records, tombstones, summaries: all.map((s) => [keyOf(s), s]) };
  }
  // Deleted sessions' summaries always: a deletion made elsewhere may keep later events.
  const keys = new Set(tombstones.map((t) => t.sessionKey));
  if (summaries === 'changed') for (const r of records) keys.add(r.session_key);
  if (keys.size === 0) return { meta, records, tombstones, summaries: [] };
  // A summary it did not expect is read now, in a second round of the same transaction.
  for (const key of keys) if (!guessed.has(key)) guessed.set(key, request(sessions.get(key)));
  const values = await Promise.all([...keys].map((key) => guessed.get(key)!));
  return { meta, records, tombstones, summaries: [...keys].map((key, i) => [key, values[i]]) };
}

/** Whether every commit sequence after `from` up to `to` has an event among `records`. */
function everySeqHasEvents(records: readonly EventRecord[], from: number, to: number): boolean {
  if (to - from > records.length) return false;
  const seen = new Set(records.map((r) => r.seq));
  for (let seq = from + 1; seq <= to; seq++) if (!seen.has(seq)) return false;
  return true;
}

/** Bounds of a page of the `message` index, and its direction. */
interface IndexPage {
  low: unknown[];
  high: unknown[];
  lowOpen: boolean;
  highOpen: boolean;
  forward: boolean;
}

/** The `events` store in a readonly transaction of its own (plain IndexedDB: no wrapper per request). */
function eventsOf(db: Db): IDBObjectStore {
  return unwrap(db).transaction('events', 'readonly').objectStore('events');
}

/** The result of a request. */
function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

type RecordsIndex = IDBIndex & {
  getAllRecords?: (options: {
    query: IDBKeyRange;
    count: number;
    direction: IDBCursorDirection;
  }) => IDBRequest<Array<{ value: EventRecord }>>;
};

/** Reads up to `count` records of an events index in one direction. */
function indexRecords(
  index: IDBIndex,
  range: IDBKeyRange,
  direction: 'next' | 'prev',
  count: number,
): Promise<EventRecord[]> {
  if (direction === 'next') return request(index.getAll(range, count) as IDBRequest<EventRecord[]>);
  const records = index as RecordsIndex;
  if (typeof records.getAllRecords === 'function') {
    // One request for a reverse page (Chromium 141+), instead of a cursor step per record.
    return request(records.getAllRecords({ query: range, count, direction })).then((r) =>
      r.map((x) => x.value),
    );
  }
  return new Promise((resolve, reject) => {
    const out: EventRecord[] = [];
    const req = index.openCursor(range, 'prev');
    req.onsuccess = () => {
      const cursor = req.result;
      if (cursor) out.push(cursor.value as EventRecord);
      if (cursor && out.length < count) cursor.continue();
      else resolve(out);
    };
    req.onerror = () => reject(req.error);
  });
}
