/**
 * The sync protocol against a real PostgreSQL and against PGlite: push, pull,
 * paging, deletions, reference ids, conflicts, tenancy, bad requests, long
 * polls and CORS.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HybridClock } from '../../src/clock.js';
import { createEvent, type SessionEvent } from '../../src/event.js';
import { idToBytes } from '../../src/reference.js';
import { createSyncHandler, type SyncHandler } from '../../src/server/index.js';
import type { PullResponse } from '../../src/sync/protocol.js';
import { BACKENDS, type Backend } from './backends.js';

const BASE = 'http://sync.test/api/sync';

function message(session: string, text: string, timestamp?: string): SessionEvent {
  return createEvent(
    session,
    'agent',
    { type: 'message_received', content: text, attachments: [] },
    // A clock of its own for a dated event: the server, not this helper, bounds the skew.
    timestamp ? { timestamp, clock: new HybridClock({ maxSkewMs: 1e15 }) } : {},
  );
}

describe.each(BACKENDS)('sync protocol on $name', ({ open }) => {
  let backend: Backend;
  let handler: SyncHandler;

  // One database per backend (PGlite takes seconds to start); emptied before each test.
  beforeAll(async () => {
    backend = await open();
  });
  afterAll(() => backend.close());
  beforeEach(async () => {
    await backend.db.query('TRUNCATE sessionlog_events, sessionlog_tombstones');
    handler = createSyncHandler({
      db: backend.db,
      tenant: (request) => request.headers.get('x-tenant'),
      cors: { origin: ['https://app.test'] },
      onError: () => {},
    });
  });
  afterEach(() => handler.close());

  const push = (body: unknown, tenant = 'a', headers: Record<string, string> = {}) =>
    handler.fetch(
      new Request(`${BASE}/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tenant': tenant, ...headers },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }),
    );
  const pull = async (query = '', tenant = 'a'): Promise<PullResponse> => {
    const response = await handler.fetch(
      new Request(`${BASE}/pull${query}`, { headers: { 'x-tenant': tenant } }),
    );
    expect(response.status).toBe(200);
    return response.json();
  };
  const pullAll = async (tenant = 'a', session?: string) => {
    const events: Array<{ id: unknown }> = [];
    const tombstones: unknown[] = [];
    let cursor = '';
    for (;;) {
      const q = new URLSearchParams({ limit: '7', ...(cursor ? { cursor } : {}) });
      if (session) q.set('session', session);
      const page = await pull(`?${q}`, tenant);
      events.push(...(page.events as Array<{ id: unknown }>));
      tombstones.push(...page.tombstones);
      cursor = page.cursor;
      if (!page.more) return { events, tombstones, cursor };
    }
  };

  it('stores a batch once and pulls it back in pages, whole', async () => {
    const events = Array.from({ length: 20 }, (_, i) => message(i % 2 ? 's1' : 's2', `m${i}`));
    const first = await push({ events });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ added: 20, duplicates: 0, dropped: 0, tombstones: 0 });
    // The same batch again, plus a repeat inside it: no-ops.
    const again = await push({ events: [...events, events[0]] });
    expect(await again.json()).toEqual({ added: 0, duplicates: 21, dropped: 0, tombstones: 0 });
    const all = await pullAll();
    expect(all.events.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(all.events).toContainEqual(JSON.parse(JSON.stringify(events[3])));
    const one = await pullAll('a', 's1');
    expect(one.events).toHaveLength(10);
    // Nothing new after the cursor; a new event comes alone.
    expect((await pull(`?cursor=${all.cursor}`)).events).toEqual([]);
    const later = message('s1', 'later');
    await push({ events: [later] });
    const next = await pull(`?cursor=${all.cursor}&count=1`);
    expect(next.events.map((e) => (e as { id: string }).id)).toEqual([later.id]);
    expect(next.remaining).toBe(1);
  });

  it('deletes a session: its rows go, the tombstone stays, older events are dropped', async () => {
    const old = [message('s', 'one'), message('s', 'two'), message('t', 'other')];
    await push({ events: old });
    const { cursor } = await pullAll();
    const deletion = { session_key: 's', timestamp: old[1]!.timestamp };
    const deleted = await push({ events: [], tombstones: [deletion] });
    expect(await deleted.json()).toMatchObject({ tombstones: 1 });
    // A device that missed the deletion pushes its old copy: dropped, not resurrected.
    const stale = await push({ events: [old[0]] });
    expect(await stale.json()).toMatchObject({ added: 0, dropped: 1 });
    const fresh = message('s', 'after');
    expect(await (await push({ events: [fresh] })).json()).toMatchObject({ added: 1 });
    const since = await pullAll('a', undefined);
    expect(since.events.map((e) => e.id).sort()).toEqual([old[2]!.id, fresh.id].sort());
    expect(since.tombstones).toEqual([deletion]);
    const tail = await pull(`?cursor=${cursor}`);
    expect(tail.tombstones).toEqual([deletion]);
    // The same deletion again is a no-op.
    expect(await (await push({ events: [], tombstones: [deletion] })).json()).toMatchObject({
      tombstones: 0,
    });
  });

  it('takes reference ids as given, refuses a conflict and never trusts origin "reference"', async () => {
    const event = message('r', 'from the reference');
    const { id, origin: _, ...content } = event;
    const reference = { ...content, id: idToBytes('ab'.repeat(32)) };
    expect((await push({ events: [reference] })).status).toBe(200);
    const pulled = await pullAll();
    expect(pulled.events).toEqual([reference]);
    // Same id, other content: a conflict, and nothing of the batch is written.
    const other = { ...reference, kind: { ...content.kind, content: 'changed' } };
    const fine = message('r', 'innocent');
    const clash = await push({ events: [fine, other] });
    expect(clash.status).toBe(409);
    expect(await clash.json()).toMatchObject({
      error: { code: 'conflict', index: 1, field: 'id' },
    });
    expect(await backend.rowCount()).toBe(1);
    // A hex id claiming the reference origin is still recomputed.
    const forged = { ...event, origin: 'reference', id: 'cd'.repeat(32) };
    const refused = await push({ events: [forged] });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({
      error: { code: 'validation', index: 0, field: 'id' },
    });
    expect(id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps tenants apart, whatever ids or cursors are guessed', async () => {
    const secret = message('shared-key', 'tenant a only');
    await push({ events: [secret] }, 'a');
    const aCursor = (await pullAll('a')).cursor;
    expect((await pullAll('b')).events).toEqual([]);
    expect((await pull(`?session=shared-key`, 'b')).events).toEqual([]);
    // A's cursor means nothing in B; from the start B still has nothing.
    expect((await pull(`?cursor=${aCursor}`, 'b')).events).toEqual([]);
    // B pushing the same id stores B's copy; B's deletion does not touch A.
    await push(
      { events: [], tombstones: [{ session_key: 'shared-key', timestamp: secret.timestamp }] },
      'b',
    );
    expect((await pullAll('a')).events).toHaveLength(1);
    expect((await pullAll('a')).tombstones).toEqual([]);
    const noTenant = await handler.fetch(new Request(`${BASE}/pull`));
    expect(noTenant.status).toBe(401);
    expect(() => createSyncHandler({ db: backend.db } as never)).toThrow(/tenant/);
  });

  it('answers every bad request with a typed 4xx and writes nothing', async () => {
    const good = message('s', 'fine');
    const json = JSON.parse(JSON.stringify(good));
    const huge = 'x'.repeat(17 * 1024 * 1024);
    const cases: Array<[string, () => Promise<Response>, number, string]> = [
      ['malformed JSON', () => push('{"events": ['), 400, 'body'],
      ['not an object', () => push('[1,2]'), 400, 'body'],
      ['no events array', () => push({ events: 'x' }), 400, 'events'],
      ['unknown field', () => push({ events: [], extra: 1 }), 400, 'extra'],
      ['forged id', () => push({ events: [good, { ...json, id: 'ef'.repeat(32) }] }), 400, 'id'],
      ['id not hex', () => push({ events: [{ ...json, id: 'zz' }] }), 400, 'id'],
      ['short byte id', () => push({ events: [{ ...json, id: [1, 2] }] }), 400, 'id'],
      ['changed content', () => push({ events: [{ ...json, agent_id: 'other' }] }), 400, 'id'],
      ['missing kind', () => push({ events: [{ ...json, kind: undefined }] }), 400, 'kind'],
      [
        'bad timestamp',
        () => push({ events: [{ ...json, timestamp: 'yesterday' }] }),
        400,
        'timestamp',
      ],
      [
        'far future',
        () => push({ events: [message('s', 'future', '2999-01-01T00:00:00Z')] }),
        400,
        'timestamp',
      ],
      ['event not an object', () => push({ events: [42] }), 400, 'event'],
      [
        'too many events',
        () => push({ events: Array.from({ length: 1001 }, () => good) }),
        400,
        'events',
      ],
      ['oversized body', () => push(`{"events":[],"pad":"${huge}"}`), 413, 'body'],
      [
        'wrong content type',
        () => push(JSON.stringify({ events: [good] }), 'a', { 'content-type': 'text/plain' }),
        415,
        'content-type',
      ],
      [
        'tombstone without key',
        () => push({ events: [], tombstones: [{ timestamp: good.timestamp }] }),
        400,
        'session_key',
      ],
      [
        'tombstone bad time',
        () => push({ events: [], tombstones: [{ session_key: 's', timestamp: 5 }] }),
        400,
        'timestamp',
      ],
      [
        'tombstone extra field',
        () =>
          push({ events: [], tombstones: [{ session_key: 's', timestamp: good.timestamp, x: 1 }] }),
        400,
        'x',
      ],
      [
        'GET on push',
        () => handler.fetch(new Request(`${BASE}/push`, { headers: { 'x-tenant': 'a' } })),
        405,
        'method',
      ],
      [
        'POST on pull',
        () =>
          handler.fetch(
            new Request(`${BASE}/pull`, {
              method: 'POST',
              headers: { 'x-tenant': 'a' },
              body: '{}',
            }),
          ),
        405,
        'method',
      ],
      [
        'bad cursor',
        () =>
          handler.fetch(
            new Request(`${BASE}/pull?cursor=nonsense!`, { headers: { 'x-tenant': 'a' } }),
          ),
        400,
        'cursor',
      ],
      [
        'forged cursor',
        () =>
          handler.fetch(
            new Request(`${BASE}/pull?cursor=${Buffer.from('v1.x.1').toString('base64url')}`, {
              headers: { 'x-tenant': 'a' },
            }),
          ),
        400,
        'cursor',
      ],
      [
        'bad limit',
        () => handler.fetch(new Request(`${BASE}/pull?limit=0`, { headers: { 'x-tenant': 'a' } })),
        400,
        'limit',
      ],
      [
        'huge limit',
        () =>
          handler.fetch(new Request(`${BASE}/pull?limit=99999`, { headers: { 'x-tenant': 'a' } })),
        400,
        'limit',
      ],
      [
        'bad wait',
        () => handler.fetch(new Request(`${BASE}/pull?wait=-1`, { headers: { 'x-tenant': 'a' } })),
        400,
        'wait',
      ],
      [
        'unknown parameter',
        () => handler.fetch(new Request(`${BASE}/pull?since=0`, { headers: { 'x-tenant': 'a' } })),
        400,
        'since',
      ],
      ['no tenant', () => push({ events: [good] }, ''), 401, ''],
      [
        'unknown path',
        () => handler.fetch(new Request(`${BASE}/drop`, { headers: { 'x-tenant': 'a' } })),
        404,
        '',
      ],
    ];
    expect(cases.length).toBeGreaterThanOrEqual(20);
    for (const [name, send, status, field] of cases) {
      const response = await send();
      const body = await response.json();
      expect([name, response.status]).toEqual([name, status]);
      expect(body.error.code, name).toMatch(/^(validation|unauthorized|not_found)$/);
      if (field) expect([name, body.error.field]).toEqual([name, field]);
    }
    expect(await backend.rowCount()).toBe(0);
  });

  it('wakes a long poll when a push commits', async () => {
    const { cursor } = await pullAll();
    const waiting = pull(`?cursor=${cursor}&wait=20`);
    const event = message('live', 'hello');
    // The poll is parked until the push: its answer carries the pushed event.
    await push({ events: [event] });
    const page = await waiting;
    expect(page.events.map((e) => (e as { id: string }).id)).toEqual([event.id]);
  });

  it('answers CORS preflights for allowed origins only', async () => {
    const preflight = (origin: string) =>
      handler.fetch(
        new Request(`${BASE}/push`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-headers': 'content-type, authorization' },
        }),
      );
    const ok = await preflight('https://app.test');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.test');
    expect(ok.headers.get('access-control-allow-headers')).toBe('content-type, authorization');
    const other = await preflight('https://evil.test');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
