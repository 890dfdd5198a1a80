/**
 * Hazard: damaged records on disk (other code writing into the database, a
 * buggy older version, a damaged disk). Records are written raw into the
 * stores, inside a commit of their own (meta.seq bumped) so that other tabs
 * meet them through catch-up as well as through reads, and they stay on disk
 * across reloads. Bad records are skipped and reported (`corrupt`), the rest
 * stays readable in every tab; events of a kind this version does not know
 * are valid: kept, exported, and ignored by projections.
 *
 * (test/store-corrupt*.test.ts covers single-store reads in vitest; this is
 * the cross-tab, reload and export/import path in Chromium.)
 */
import { type BrowserContext, expect, type Page, test } from '@playwright/test';
import type { CorruptRecord, EventStore } from '../../src/index.js';
import { installKit, muteViteClient, openPage, uniqueDb } from './kit.js';

const S1 = 'agent:corrupt:one';
const S2 = 'agent:corrupt:two';

declare global {
  interface Window {
    damaged: { store: EventStore; corrupt: Array<[string, string, string]>; errors: string[] };
  }
}

async function openStore(page: Page, name: string): Promise<void> {
  await page.evaluate(
    async ({ name, keys }) => {
      const store = await window.sessionlog.openEventStore({ name });
      const corrupt: Array<[string, string, string]> = [];
      const errors: string[] = [];
      store.on('corrupt', (r: CorruptRecord) => corrupt.push([r.store, r.key, r.error.code]));
      store.on('error', (e) => errors.push(e.message));
      window.damaged = { store, corrupt, errors };
      await window.kit.live(store, keys);
    },
    { name, keys: [S1, S2] },
  );
}

async function pages(context: BrowserContext, n: number) {
  await muteViteClient(context);
  const out: Page[] = [];
  const errors: string[] = [];
  for (let i = 0; i < n; i++) {
    const page = await openPage(context);
    page.on('pageerror', (e) => errors.push(e.message));
    out.push(page);
  }
  return { pages: out, errors };
}

test('corrupt records are skipped and reported in every tab, after a reload and on export; unknown kinds are kept', async ({
  context,
}) => {
  const {
    pages: [a, b, c],
    errors: pageErrors,
  } = await pages(context, 3);
  const name = uniqueDb('corrupt');
  await openStore(a!, name);
  await openStore(b!, name);

  // Valid history, including an event of a kind this version does not know (from a newer tab).
  const valid = await a!.evaluate(
    async ({ s1, s2 }) => {
      const { store } = window.damaged;
      const events = Array.from({ length: window.kit.kinds * 2 }, (_, k) =>
        window.kit.event(store, k % 2 ? s1 : s2, 'ok', k),
      );
      await store.append(events);
      return {
        s1: events.filter((e) => e.session_key === s1).map((e) => e.id),
        s2: events.filter((e) => e.session_key === s2).map((e) => e.id),
        unknown: events.filter((e) => e.kind.type === 'x_reaction').map((e) => e.id),
      };
    },
    { s1: S1, s2: S2 },
  );
  expect(valid.unknown.length).toBe(2);

  // Damage: raw records in one transaction that also advances the commit sequence.
  const bad = await a!.evaluate(
    async ({ name, s1, s2 }) => {
      const good = (await window.damaged.store.getEvents(s1))[1]!;
      const hex = (c: string) => c.repeat(64);
      const db = await new Promise<IDBDatabase>((resolve) => {
        const request = indexedDB.open(name);
        request.onsuccess = () => resolve(request.result);
      });
      const meta = await new Promise<{ seq: number; instance: string }>((resolve) => {
        const request = db.transaction('meta').objectStore('meta').get('state');
        request.onsuccess = () => resolve(request.result);
      });
      const seq = meta.seq + 1;
      const records: Record<string, unknown>[] = [
        // no kind at all
        {
          id: hex('a'),
          session_key: s1,
          agent_id: 'x',
          timestamp: good.timestamp,
          origin: 'o',
          seq,
        },
        // kind is not an object
        { ...good, id: hex('b'), kind: 'message_received', seq },
        // content tampered: the id no longer matches (and it sits in the message index)
        {
          ...good,
          id: hex('c'),
          kind: { type: 'message_sent', content: 'forged', message_id: 'f' },
          seq,
          msg: 1,
        },
        // timestamp that is not RFC 3339
        { ...good, id: hex('d'), timestamp: 'yesterday', seq },
        // a field no event has
        { ...good, id: hex('e'), evil: true, seq },
        // session key of the wrong type: outside every session's range, met by catch-up only
        { ...good, id: hex('f'), session_key: 42, seq },
        // a broken record in the other session, whose summary is damaged too (below)
        { ...good, id: hex('9'), session_key: s2, kind: null, seq },
      ];
      await new Promise<void>((resolve, reject) => {
        const tx = db.transaction(['events', 'sessions', 'meta'], 'readwrite');
        for (const r of records) tx.objectStore('events').put(r);
        // a summary of the wrong shape
        tx.objectStore('sessions').put({ sessionKey: s2, messageCount: 'many', state: 42 });
        tx.objectStore('meta').put({ ...meta, seq }, 'state');
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
      });
      db.close();
      return records.map((r) => r.id as string);
    },
    { name, s1: S1, s2: S2 },
  );

  // A commits normally after the damage: B sees a gap in the sequence and catches up from the log.
  const later = await a!.evaluate(
    async (s1) =>
      (await window.damaged.store.record(s1, 'ok', { type: 'message_received', content: 'after' }))
        .id,
    S1,
  );

  /** What a tab reads now; every read must succeed. */
  const inspect = (page: Page) =>
    page.evaluate(
      async ({ s1, s2 }) => {
        const { store, corrupt, errors } = window.damaged;
        const differ = await window.kit.live(store, [s1, s2]);
        const events = await store.getEvents(s1);
        const projection = await store.getProjection(s1);
        const page = await store.getMessages(s1, { limit: 100 });
        const lines: string[] = [];
        const reader = window.sessionlog.exportEvents(store).getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          lines.push(value);
        }
        return {
          differ,
          ids: events.map((e) => e.id),
          kinds: events.map((e) => e.kind.type),
          messageIds: projection.messages.map((m) => m.id),
          pageIds: page.messages.map((m) => m.id),
          listed: await store.listSessions(),
          summaries: (await store.listSummaries()).map((s) => s.sessionKey),
          summaryS1: await store.getSummary(s1),
          s2Events: (await store.getEvents(s2)).length,
          exported: lines,
          corrupt: [...corrupt],
          errors,
        };
      },
      { s1: S1, s2: S2 },
    );

  for (const [label, page] of [
    ['writer', a!],
    ['other tab', b!],
  ] as const) {
    const seen = await inspect(page);
    expect(seen.differ, `${label}: live state equals the log`).toEqual([]);
    expect(seen.ids, `${label}: S1 reads the valid events only`).toEqual(
      expect.arrayContaining([...valid.s1, later]),
    );
    expect(seen.ids.length).toBe(valid.s1.length + 1);
    expect(seen.kinds).toContain('x_reaction');
    for (const id of valid.unknown)
      expect(seen.messageIds, `${label}: projections ignore the unknown kind`).not.toContain(id);
    expect(seen.pageIds, `${label}: the message index skips the forged message`).toEqual(
      seen.messageIds.slice(-100),
    );
    expect(seen.listed).toEqual([S1, S2]);
    expect(seen.summaries, `${label}: the damaged summary is skipped`).toEqual([S1]);
    expect(seen.summaryS1?.eventCount, 'the unknown kind counts as a stored event').toBe(
      valid.s1.length + 1,
    );
    expect(seen.s2Events).toBe(valid.s2.length);
    expect(seen.exported.length, `${label}: export writes every valid event`).toBe(
      valid.s1.length + 1 + valid.s2.length,
    );
    const reported = new Set(seen.corrupt.filter((c) => c[0] === 'events').map((c) => c[1]));
    // Reads meet the records in a session; the one outside every session (f) is met by catch-up.
    for (const id of [...bad.slice(0, 5), bad[6]!])
      expect(reported, `${label}: ${id} reported`).toContain(id);
    if (label === 'other tab') expect(reported).toContain(bad[5]);
    expect(seen.corrupt.some((c) => c[0] === 'sessions' && c[1] === S2)).toBe(true);
    for (const [, key, code] of seen.corrupt)
      expect(['serialization', 'validation'], `${key} reported with a typed code`).toContain(code);
    expect(seen.errors).toEqual([]);

    if (label === 'other tab') {
      // The same after a reload, and the export imports into a fresh database as the same sessions.
      await page.reload();
      await page.waitForFunction(() => window.harnessReady === true);
      await installKit(page);
      await openStore(page, name);
      const reloaded = await inspect(page);
      expect(reloaded.differ).toEqual([]);
      expect(reloaded.ids).toEqual(seen.ids);
      const copy = await c!.evaluate(
        async ({ lines, keys, copy }) => {
          const store = await window.sessionlog.openEventStore({ name: copy });
          const result = await window.sessionlog.importEvents(store, lines.join(''));
          const out = await Promise.all(
            keys.map(async (k) => window.kit.stable(await store.getProjection(k))),
          );
          return { added: result.added, invalid: result.invalid, projections: out };
        },
        { lines: seen.exported, keys: [S1, S2], copy: uniqueDb('corrupt-copy') },
      );
      expect(copy.invalid).toBe(0);
      expect(copy.added).toBe(seen.exported.length);
      const original = await a!.evaluate(
        async (keys) =>
          Promise.all(
            keys.map(async (k) => window.kit.stable(await window.damaged.store.getProjection(k))),
          ),
        [S1, S2],
      );
      expect(copy.projections).toEqual(original);
    }
  }
  expect(pageErrors).toEqual([]);
});

test('a database of the same name made by other code, or with its meta state damaged: open rejects typed and lets go', async ({
  context,
}) => {
  const {
    pages: [a],
  } = await pages(context, 1);
  const result = await a!.evaluate(
    async ({ foreign, damaged }) => {
      const outcome = (p: Promise<unknown>) =>
        p.then(
          () => 'opened',
          (e: { code?: string; name?: string; constructor?: { name: string } }) =>
            e.constructor?.name === 'EventStoreError' ? e.code! : `untyped ${e.name}`,
        );
      // Resolves 'ok' once the open succeeds: a connection the store left open would hold an
      // upgrade forever ('stuck'); one that is still closing may delay it (and fire `blocked`).
      const raw = (name: string, version?: number) =>
        new Promise<string>((resolve) => {
          const request = version ? indexedDB.open(name, version) : indexedDB.open(name);
          request.onsuccess = () => {
            request.result.close();
            resolve('ok');
          };
          setTimeout(() => resolve('stuck'), 5000);
        });
      // Other code's database, version 1, none of our stores.
      await raw(foreign);
      const foreignOpen = await outcome(window.sessionlog.openEventStore({ name: foreign }));
      // The store let go of its connection: an upgrade goes through.
      const foreignAfter = await raw(foreign, 2);
      // Ours, with the meta record removed.
      const store = await window.sessionlog.openEventStore({ name: damaged });
      await store.record('agent:m:main', 'm', { type: 'message_received', content: 'x' });
      await store.close();
      await new Promise<void>((resolve) => {
        const request = indexedDB.open(damaged);
        request.onsuccess = () => {
          const tx = request.result.transaction('meta', 'readwrite');
          tx.objectStore('meta').put({ seq: 'broken' }, 'state');
          tx.oncomplete = () => {
            request.result.close();
            resolve();
          };
        };
      });
      const damagedOpen = await outcome(window.sessionlog.openEventStore({ name: damaged }));
      const damagedAfter = await raw(damaged, 2);
      return { foreignOpen, foreignAfter, damagedOpen, damagedAfter };
    },
    { foreign: uniqueDb('foreign'), damaged: uniqueDb('meta') },
  );
  expect(result).toEqual({
    foreignOpen: 'storage',
    foreignAfter: 'ok',
    damagedOpen: 'storage',
    damagedAfter: 'ok',
  });
});
