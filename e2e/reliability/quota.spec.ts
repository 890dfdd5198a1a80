/**
 * Hazard: the origin's storage quota runs out (CDP Storage.overrideQuotaForOrigin
 * sets a small quota before the database is first opened).
 *
 * Appends, group commits, strict commits, record() and imports then fail with
 * a typed `quota` error, every promise settles, a rejected batch leaves
 * nothing, reads and live state stay consistent, deleting a session frees space
 * so writes work again, and so does raising the quota. With the journal on (it
 * counts against the same quota), a deletion also shrinks the journal, and a
 * reset of the database after it brings back every acknowledged event, no
 * refused batch and not the deleted session.
 */
import { expect, test } from '@playwright/test';
import type { AnyEvent, EventStore } from '../../src/index.js';
import { BASE_URL, muteViteClient, openPage, uniqueDb } from './kit.js';

const KEYS = ['agent:quota:s0', 'agent:quota:s1', 'agent:quota:s2'];

declare global {
  interface Window {
    quota: {
      store: EventStore;
      /** Acknowledged event ids, with their session. */
      acked: Map<string, string>;
      rejected: Array<{ code: string; ids: string[] }>;
      /** Ids of the events a deletion removed. */
      deleted: string[];
      /** Appends batches of 3 large events until one fails with `quota`; returns how many succeeded. */
      fill(): Promise<number>;
      /** A batch of 3 events of ~10 kB each. */
      batch(tag: string): AnyEvent[];
      settle(p: Promise<unknown>): Promise<string>;
    };
  }
}

// With the journal (the default) and without: without it IndexedDB alone fills
// the quota, and overshoots it, so a deletion takes the store's free-first path.
for (const journal of [true, false])
  test(`a full quota, journal ${journal ? 'on' : 'off'}: typed quota errors, nothing hangs or half-written, reads work, deleting a session or raising the quota lets writes resume`, async ({
    context,
  }) => {
    test.setTimeout(120_000);
    await muteViteClient(context);
    const page = await openPage(context);
    const cdp = await context.newCDPSession(page);
    const quotaSize = 1_500_000;
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: BASE_URL, quotaSize });
    const name = uniqueDb('quota');

    await page.evaluate(
      async ({ name, keys, journal }) => {
        const store = await window.sessionlog.openEventStore({ name, journal });
        const random = (bytes: number) =>
          Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) =>
            b.toString(16).padStart(2, '0'),
          ).join('');
        const state: Window['quota'] = {
          store,
          acked: new Map(),
          rejected: [],
          deleted: [],
          // Messages with incompressible content, so the quota fills at a known pace.
          batch: (tag) =>
            keys.map((key, i) =>
              window.sessionlog.createEvent(
                key,
                tag,
                { type: 'message_received', content: `${i}:${random(5000)}` },
                { clock: state.store.clock, origin: state.store.origin },
              ),
            ),
          settle: (p) =>
            Promise.race([
              p.then(
                () => 'resolved',
                (e: { code?: string; name?: string; constructor?: { name: string } }) =>
                  e.constructor?.name === 'EventStoreError' ? e.code! : `untyped ${e.name}`,
              ),
              new Promise<string>((r) => setTimeout(() => r('HANGS'), 10_000)),
            ]),
          fill: async () => {
            for (let i = 0; ; i++) {
              const events = state.batch(`fill${state.acked.size}-${i}`);
              try {
                await state.store.append(events);
                for (const e of events) state.acked.set(e.id, e.session_key);
              } catch (error) {
                const code = (error as { code?: string }).code ?? 'untyped';
                state.rejected.push({ code, ids: events.map((e) => e.id) });
                if (code !== 'quota') throw error;
                return i;
              }
            }
          },
        };
        window.quota = state;
        await window.kit.live(store, keys);
      },
      { name, keys: KEYS, journal },
    );

    // ---- fill it up
    const filled = await page.evaluate(() => window.quota.fill());
    expect(filled).toBeGreaterThan(5);

    // ---- everything that writes now fails, typed, and settles
    const full = await page.evaluate(async (keys) => {
      const { store, batch, settle, rejected } = window.quota;
      // 20 appends in one tick: one group commit, one failed transaction, every caller rejected.
      const group = Array.from({ length: 20 }, (_, i) => batch(`group${i}`));
      const groupOutcomes = await Promise.all(
        group.map(async (events) => {
          const outcome = await settle(store.append(events));
          if (outcome !== 'resolved')
            rejected.push({ code: outcome, ids: events.map((e) => e.id) });
          return outcome;
        }),
      );
      const strictBatch = batch('strict');
      const strict = await settle(store.append(strictBatch, { durability: 'strict' }));
      if (strict !== 'resolved') rejected.push({ code: strict, ids: strictBatch.map((e) => e.id) });
      const record = await settle(
        store.record(keys[0]!, 'r', { type: 'message_received', content: 'x'.repeat(20_000) }),
      );
      const importBatch = batch('import');
      const imported = await settle(
        window.sessionlog.importEvents(
          store,
          importBatch.map((e) => `${JSON.stringify(e)}\n`).join(''),
        ),
      );
      if (imported !== 'resolved')
        rejected.push({ code: imported, ids: importBatch.map((e) => e.id) });
      const flush = await settle(store.flush());
      return { groupOutcomes, strict, record, imported, flush };
    }, KEYS);
    expect(new Set(full.groupOutcomes)).toEqual(new Set(['quota']));
    expect(full.strict).toBe('quota');
    expect(full.record).toBe('quota');
    expect(full.imported).toBe('quota');
    // flush() rewrites one small record: refused as well while the quota is full, but typed.
    expect(['resolved', 'quota']).toContain(full.flush);

    // ---- nothing half-written, reads work, live state equals the log
    const check = async (label: string) => {
      const result = await page.evaluate(async (keys) => {
        const { store, acked, rejected, settle } = window.quota;
        const audit = await window.kit.audit(store, keys);
        const live = await window.kit.live(store, keys);
        const stored = new Set(Object.values(audit.sessions).flatMap((s) => s.ids));
        const lostAcked = [...acked.keys()].filter((id) => !stored.has(id));
        const writtenRejected = rejected.flatMap((r) => r.ids).filter((id) => stored.has(id));
        const reads = {
          getEvents: await settle(store.getEvents(keys[2]!)),
          getProjection: await settle(store.getProjection(keys[2]!)),
          listSummaries: await settle(store.listSummaries()),
          getMessages: await settle(store.getMessages(keys[2]!, { limit: 10 })),
          export: await settle(
            (async () => {
              const reader = window.sessionlog.exportEvents(store).getReader();
              while (!(await reader.read()).done) {
                // drain
              }
            })(),
          ),
        };
        return {
          problems: audit.problems,
          live,
          lostAcked,
          writtenRejected,
          reads,
          stored: stored.size,
          rejectedCodes: [...new Set(rejected.map((r) => r.code))],
        };
      }, KEYS);
      expect(result.problems, `${label}: log consistency`).toEqual([]);
      expect(result.live, `${label}: live state equals the log`).toEqual([]);
      expect(result.lostAcked, `${label}: acknowledged events are stored`).toEqual([]);
      expect(result.writtenRejected, `${label}: rejected batches wrote nothing`).toEqual([]);
      expect(result.rejectedCodes, `${label}: every rejection was quota`).toEqual(['quota']);
      for (const [read, outcome] of Object.entries(result.reads))
        expect(outcome, `${label}: ${read}`).toBe('resolved');
      return result.stored;
    };
    const storedWhenFull = await check('full');
    const usage = (await cdp.send('Storage.getUsageAndQuota', { origin: BASE_URL })) as {
      usage: number;
      quota: number;
    };

    const fileSystem = async () => {
      const { usageBreakdown } = (await cdp.send('Storage.getUsageAndQuota', {
        origin: BASE_URL,
      })) as { usageBreakdown: Array<{ storageType: string; usage: number }> };
      return usageBreakdown.find((b) => b.storageType === 'file_systems')?.usage ?? 0;
    };
    const journalWhenFull = await fileSystem();

    // ---- deleting a session frees space, in the database and the journal: writes resume
    const afterDelete = await page.evaluate(async (keys) => {
      const { store, batch, settle, acked } = window.quota;
      window.quota.deleted = (await store.getEvents(keys[0]!)).map((e) => e.id);
      const deleted = await settle(store.deleteSession(keys[0]!));
      const events = batch('after-delete');
      const append = await settle(store.append(events));
      for (const [id, key] of acked) if (key === keys[0]) acked.delete(id);
      if (append === 'resolved') for (const e of events) acked.set(e.id, e.session_key);
      const tombstones = (await window.kit.rawAll(store.name, 'tombstones')) as Array<{
        sessionKey: string;
      }>;
      return {
        deleted,
        append,
        tombstones: tombstones.map((t) => t.sessionKey),
        journal: store.journal,
      };
    }, KEYS);
    expect(afterDelete).toEqual({
      deleted: 'resolved',
      append: 'resolved',
      tombstones: [KEYS[0]],
      journal: journal ? 'on' : 'off',
    });
    // Its records are dropped from the journal in place, at the full quota.
    const journalAfterDelete = await fileSystem();
    if (journal) expect(journalAfterDelete).toBeLessThan(journalWhenFull);
    await check('after deleting a session');

    // ---- the browser resets the database (as after a crash): the journal gives back
    // every acknowledged event, honours the deletion, and restores no refused batch
    const restored = !journal
      ? undefined
      : await page.evaluate(
          async ({ keys, name }) => {
            const { store, deleted } = window.quota;
            await store.close();
            await new Promise<void>((resolve, reject) => {
              const request = indexedDB.deleteDatabase(name);
              request.onsuccess = () => resolve();
              request.onerror = () => reject(request.error);
            });
            const reopened = await window.sessionlog.openEventStore({ name });
            window.quota.store = reopened;
            await window.kit.live(reopened, keys);
            const back = (await reopened.getEvents(keys[0]!)).map((e) => e.id);
            return {
              report: reopened.restored,
              deleted: deleted.length,
              deletedBack: back.filter((id) => deleted.includes(id)).length,
            };
          },
          { keys: KEYS, name },
        );
    if (restored) {
      expect(restored.report).toMatchObject({ deletions: 1, damaged: 0, reset: true });
      expect(restored.deleted).toBeGreaterThan(5);
      expect(restored.deletedBack, 'no event of the deleted session comes back').toBe(0);
      await check('after the database was reset');
    }

    // ---- fill again, delete another session
    const refilled = await page.evaluate(() => window.quota.fill());
    expect(refilled).toBeGreaterThan(0);
    const journalRefilled = await fileSystem();
    const second = await page.evaluate(async (keys) => {
      const { store, settle, acked } = window.quota;
      const outcome = await settle(store.deleteSession(keys[1]!));
      for (const [id, key] of acked) if (key === keys[1]) acked.delete(id);
      return outcome;
    }, KEYS);
    expect(second).toBe('resolved');
    const journalSecond = await fileSystem();
    if (journal) expect(journalSecond).toBeLessThan(journalRefilled);
    await check('after deleting another session');

    // ---- fill again, then raise the quota: writes resume on the same store
    expect(await page.evaluate(() => window.quota.fill())).toBeGreaterThan(0);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: BASE_URL, quotaSize: 50_000_000 });
    const afterRaise = await page.evaluate(async () => {
      const { store, batch, settle, acked } = window.quota;
      const events = batch('after-raise');
      const outcome = await settle(store.append(events));
      if (outcome === 'resolved') for (const e of events) acked.set(e.id, e.session_key);
      return outcome;
    });
    expect(afterRaise).toBe('resolved');
    await check('after raising the quota');
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: BASE_URL });

    const figures = journal
      ? `quota ${quotaSize} B: ${filled} batches of 3×~10 kB fit (${storedWhenFull} events, usage ${usage.usage} B, journal ${journalWhenFull} B); deleting a session (and one more append): journal ${journalAfterDelete} B; restored after the reset: ${restored?.report?.events} events; after deleting a session ${refilled} more batches fit (journal ${journalRefilled} B), deleting another: journal ${journalSecond} B`
      : `quota ${quotaSize} B: ${filled} batches of 3×~10 kB fit (${storedWhenFull} events, usage ${usage.usage} B); after deleting a session ${refilled} more batches fit`;
    console.log(`[reliability] quota, journal ${journal ? 'on' : 'off'}: ${figures}`);
    test.info().annotations.push({ type: 'figures', description: figures });
  });
