/**
 * Hazard: another tab opens the database at a higher version (a newer
 * release of the app), or an upgrade cannot proceed because some connection
 * will not close.
 *
 * About `blocked`: IndexedDB fires `blocked` only on an open request that
 * needs an upgrade while other connections stay open. The store asks for
 * SCHEMA_VERSION (V), and a database the current store has opened is at V, so
 * the store's own open never needs an upgrade next to an open connection (a
 * database that does not exist has no connection to wait for). `blocked` is
 * what a FUTURE release (schema V + 1) meets when an old connection ignores
 * `versionchange`. The test produces exactly that: the store opens through
 * its `indexedDB` option with a factory that asks for version + 1 (the
 * upgrade step of version V + 1 is empty), against a real connection at
 * version V that ignores `versionchange`; `blocked` is Chromium's own event. The same
 * future-version store opened next to a current store (which closes on
 * `versionchange`) is the clean upgrade path and must not be blocked.
 */
import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import { SCHEMA_VERSION as V } from '../../src/schema.js';
import { muteViteClient, openPage, uniqueDb } from './kit.js';

const KEY = 'agent:version:main';

async function pages(context: BrowserContext, n: number): Promise<Page[]> {
  await muteViteClient(context);
  const out: Page[] = [];
  for (let i = 0; i < n; i++) out.push(await openPage(context));
  return out;
}

/** Runs in a page: opens `name` at `version` with a raw request and reports its events. */
function rawOpen(args: { name: string; version: number; ignoreVersionChange?: boolean }) {
  return new Promise<string[]>((resolve) => {
    const seen: string[] = [];
    const request = indexedDB.open(args.name, args.version);
    request.onblocked = (e) => seen.push(`blocked ${e.oldVersion}→${e.newVersion}`);
    request.onupgradeneeded = (e) => seen.push(`upgrade ${e.oldVersion}→${e.newVersion}`);
    request.onerror = () => resolve([...seen, `error ${request.error?.name}`]);
    request.onsuccess = () => {
      const db = request.result;
      (window as unknown as { raw: IDBDatabase }).raw = db;
      if (!args.ignoreVersionChange) db.onversionchange = () => db.close();
      resolve([...seen, `success v${db.version}`]);
    };
  });
}

test('a newer version opened in another tab: the store closes cleanly, nothing hangs, later calls reject version_change', async ({
  context,
}) => {
  const [a, b, c] = await pages(context, 3);
  const name = uniqueDb('version');
  const pageErrors: string[] = [];
  for (const p of [a!, b!, c!]) p.on('pageerror', (e) => pageErrors.push(e.message));

  // A appends continuously from three writers until its calls start failing.
  await a!.evaluate(
    async ({ name, key }) => {
      const store = await window.sessionlog.openEventStore({ name });
      const w = window as unknown as Record<string, unknown>;
      const log: string[] = [];
      store.on('versionchange', () => log.push('versionchange'));
      store.on('close', () => log.push('close'));
      store.subscribe(key, () => {});
      const acked: string[] = [];
      const rejected: Array<{ code: string; ids: string[] }> = [];
      const writers = Array.from({ length: 3 }, async (_, wi) => {
        for (let i = 0; ; i++) {
          const n = 1 + (i % 5);
          const events = Array.from({ length: n }, (_, j) =>
            window.kit.event(store, key, `w${wi}`, i + j),
          );
          try {
            await store.append(n === 1 ? events[0]! : events);
            acked.push(...events.map((e) => e.id));
          } catch (error) {
            rejected.push({ code: (error as { code: string }).code, ids: events.map((e) => e.id) });
            return;
          }
        }
      });
      Object.assign(w, { store, log, acked, rejected, writers });
    },
    { name, key: KEY },
  );
  await a!.waitForFunction(() => (window as unknown as { acked: string[] }).acked.length >= 50);

  // B opens version V + 1 with a plain request: A must let go at once (no `blocked`).
  const upgrade = await b!.evaluate(rawOpen, { name, version: V + 1 });
  expect(upgrade).toEqual([`upgrade ${V}→${V + 1}`, `success v${V + 1}`]);

  const afterward = await a!.evaluate(async (key) => {
    const w = window as unknown as {
      store: import('../../src/index.js').EventStore;
      log: string[];
      acked: string[];
      rejected: Array<{ code: string; ids: string[] }>;
      writers: Promise<void>[];
    };
    const settle = <T>(p: Promise<T>) =>
      Promise.race([
        p.then(
          () => 'resolved',
          (e: { code?: string; name?: string }) => e.code ?? `untyped ${e.name}`,
        ),
        new Promise<string>((r) => setTimeout(() => r('HANGS'), 5000)),
      ]);
    const writers = await settle(Promise.all(w.writers));
    const { store } = w;
    const event = window.kit.event(store, key, 'late', 1);
    const calls: Record<string, string> = {
      append: await settle(store.append(event)),
      appendBatch: await settle(store.append([event, window.kit.event(store, key, 'late', 2)])),
      record: await settle(store.record(key, 'late', { type: 'message_received', content: 'x' })),
      getEvents: await settle(store.getEvents(key)),
      getProjection: await settle(store.getProjection(key)),
      listSessions: await settle(store.listSessions()),
      listSummaries: await settle(store.listSummaries()),
      getMessages: await settle(store.getMessages(key)),
      deleteSession: await settle(store.deleteSession(key)),
      flush: await settle(store.flush()),
      importEvents: await settle(
        window.sessionlog.importEvents(store, `${JSON.stringify(event)}\n`),
      ),
      exportEvents: await settle(window.sessionlog.exportEvents(store).getReader().read()),
      stream: await settle((async () => store.stream(key, { agentId: 'late', model: 'm' }))()),
      close: await settle(store.close()),
    };
    return {
      writers,
      log: w.log,
      closed: store.closed,
      acked: w.acked,
      rejected: w.rejected,
      calls,
      snapshot: store.getSnapshot(key)?.messageCount,
    };
  }, KEY);
  expect(afterward.writers, 'every pending append settled').toBe('resolved');
  expect(afterward.log).toEqual(['versionchange', 'close']);
  expect(afterward.closed).toBe(true);
  expect(afterward.rejected.length, 'each writer stopped on a rejection').toBe(3);
  for (const r of afterward.rejected) expect(r.code).toBe('version_change');
  const { close, ...rejectedCalls } = afterward.calls;
  for (const [call, outcome] of Object.entries(rejectedCalls))
    expect(outcome, `${call} after the version change`).toBe('version_change');
  expect(close, 'close() on a store closed by a version change').toBe('resolved');

  // What was acknowledged is in the upgraded database; what was rejected is not.
  const stored = await b!.evaluate(async () => {
    const db = (window as unknown as { raw: IDBDatabase }).raw;
    const ids = await new Promise<string[]>((resolve) => {
      const request = db.transaction('events').objectStore('events').getAllKeys();
      request.onsuccess = () => resolve(request.result as string[]);
    });
    db.close();
    return ids;
  });
  expect(new Set(stored)).toEqual(new Set(afterward.acked));
  for (const r of afterward.rejected)
    for (const id of r.ids) expect(stored, 'a rejected append wrote nothing').not.toContain(id);

  // A new store cannot open the newer database: typed, not a hang.
  const reopen = await c!.evaluate(
    (name) =>
      window.sessionlog.openEventStore({ name }).then(
        () => 'opened',
        (e: { code?: string; name?: string }) => e.code ?? `untyped ${e.name}`,
      ),
    name,
  );
  expect(reopen).toBe('version_change');
  expect(pageErrors).toEqual([]);
  test.info().annotations.push({
    type: 'figures',
    description: `acknowledged ${afterward.acked.length} events before the upgrade; ${afterward.rejected.length} appends rejected with version_change`,
  });
});

test('a future schema version: blocked by a connection that ignores versionchange, clean next to a current store', async ({
  context,
}) => {
  const [a, b] = await pages(context, 2);
  const name = uniqueDb('blocked');

  // The current store creates the database, then an old connection holds it and ignores versionchange.
  await a!.evaluate(async (name) => {
    const store = await window.sessionlog.openEventStore({ name });
    await store.record('agent:v:main', 'v', { type: 'message_received', content: 'kept' });
    await store.close();
  }, name);
  expect(await a!.evaluate(rawOpen, { name, version: V, ignoreVersionChange: true })).toEqual([
    `success v${V}`,
  ]);

  const future = await b!.evaluate(async (name) => {
    const real = indexedDB;
    // What the next schema version of sessionlog would ask for.
    const factory = {
      open: (n: string, v?: number) => real.open(n, (v ?? 1) + 1),
      deleteDatabase: (n: string) => real.deleteDatabase(n),
      cmp: (x: unknown, y: unknown) => real.cmp(x, y),
      databases: () => real.databases(),
    } as IDBFactory;
    (window as unknown as { future: IDBFactory }).future = factory;
    const t0 = performance.now();
    const outcome = await Promise.race([
      window.sessionlog.openEventStore({ name, indexedDB: factory }).then(
        () => 'opened',
        (e: { code?: string; name?: string }) => e.code ?? `untyped ${e.name}`,
      ),
      new Promise<string>((r) => setTimeout(() => r('HANGS'), 5000)),
    ]);
    return { outcome, ms: Math.round(performance.now() - t0) };
  }, name);
  expect(future.outcome).toBe('blocked');

  // Once the old connection goes, the queued upgrade completes and its connection is closed
  // (a further upgrade is not blocked by it), and the data is intact.
  await a!.evaluate(() => (window as unknown as { raw: IDBDatabase }).raw.close());
  const after = await b!.evaluate(
    async ({ name, next }) => {
      let version = 0;
      for (let i = 0; i < 100 && version < next; i++) {
        await new Promise((r) => setTimeout(r, 20));
        version = (await indexedDB.databases()).find((d) => d.name === name)?.version ?? 0;
      }
      return version;
    },
    { name, next: V + 1 },
  );
  expect(after).toBe(V + 1);
  expect(await b!.evaluate(rawOpen, { name, version: V + 2 })).toEqual([
    `upgrade ${V + 1}→${V + 2}`,
    `success v${V + 2}`,
  ]);
  await b!.evaluate(() => (window as unknown as { raw: IDBDatabase }).raw.close());

  // The clean path: a current store (version V + 2 here) in A, the future version (V + 3) in B.
  const clean = await a!.evaluate(
    async ({ name, V }) => {
      const real = indexedDB;
      const at = (version: number) =>
        ({
          open: (n: string) => real.open(n, version),
          deleteDatabase: (n: string) => real.deleteDatabase(n),
          cmp: (x: unknown, y: unknown) => real.cmp(x, y),
          databases: () => real.databases(),
        }) as IDBFactory;
      const log: string[] = [];
      const current = await window.sessionlog.openEventStore({ name, indexedDB: at(V + 2) });
      current.on('versionchange', () => log.push('versionchange'));
      const next = await Promise.race([
        window.sessionlog.openEventStore({ name, indexedDB: at(V + 3) }),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('HANGS')), 5000)),
      ]);
      const events = await next.getEvents('agent:v:main');
      const appended = await next
        .record('agent:v:main', 'v', { type: 'message_received', content: 'new' })
        .then(() => 'ok');
      const old = await current.getEvents('agent:v:main').then(
        () => 'resolved',
        (e: { code?: string }) => e.code,
      );
      await next.close();
      return {
        log,
        kept: events.map((e) => (e.kind as { content?: string }).content),
        appended,
        old,
      };
    },
    { name, V },
  );
  expect(clean).toEqual({
    log: ['versionchange'],
    kept: ['kept'],
    appended: 'ok',
    old: 'version_change',
  });
  test.info().annotations.push({
    type: 'figures',
    description: `blocked reported after ${future.ms} ms`,
  });
});

test('an open queued behind a deletion that another connection blocks waits for it, then completes', async ({
  context,
}) => {
  // No event reaches a request queued behind another: the store cannot report
  // `blocked` here, it waits (documented). This checks that it is a wait, not a deadlock.
  const [x, y, z] = await pages(context, 3);
  const name = uniqueDb('queued');
  // A plain deleteDatabase is what this checks, so no journal would give the event back.
  await x!.evaluate(async (name) => {
    const store = await window.sessionlog.openEventStore({ name, journal: false });
    await store.record('agent:q:main', 'q', { type: 'message_received', content: 'x' });
    await store.close();
  }, name);
  await x!.evaluate(rawOpen, { name, version: V, ignoreVersionChange: true });
  const deletion = await y!.evaluate(
    (name) =>
      new Promise<string>((resolve) => {
        const request = indexedDB.deleteDatabase(name);
        request.onblocked = () => resolve('blocked');
        request.onsuccess = () => resolve('deleted');
      }),
    name,
  );
  expect(deletion).toBe('blocked');
  const waiting = await z!.evaluate((name) => {
    const w = window as unknown as { opening: Promise<string> };
    w.opening = window.sessionlog.openEventStore({ name, journal: false }).then(
      async (store) => `opened with ${(await store.getEvents('agent:q:main')).length} events`,
      (e: { code?: string }) => `rejected ${e.code}`,
    );
    return Promise.race([w.opening, new Promise((r) => setTimeout(() => r('waiting'), 1000))]);
  }, name);
  expect(waiting).toBe('waiting');
  await x!.evaluate(() => (window as unknown as { raw: IDBDatabase }).raw.close());
  expect(await z!.evaluate(() => (window as unknown as { opening: Promise<string> }).opening)).toBe(
    'opened with 0 events',
  );
});
