/**
 * Hazard: the browser is killed (SIGKILL of the browser process) while a page
 * appends, on a persistent profile, then relaunched on the same profile.
 *
 * The page holds two stores side by side, one per durability mode (`relaxed`
 * and `strict`, each on its own database), both appending when the browser is
 * killed, so every kill counts for both modes. Two kinds of kill alternate:
 * - right after an acknowledgement: Node kills inside the handler that
 *   receives the acknowledgement (of the relaxed and the strict store in
 *   turn), while the other writers keep committing;
 * - in the middle of a group commit: each store commits one transaction of 20
 *   appends (200 events); the kill lands at a random point within the
 *   duration of such a commit, measured just before on a calibration group.
 *
 * Acknowledgements and batch contents are recorded outside the browser as they
 * happen (exposed functions), and every event carries its batch's tag
 * `<batch>.<size>` as agent id, so a batch is checked for all-or-nothing even
 * when its "issued" message never left the browser. After each relaunch: every
 * acknowledged event is stored, no batch (and no group commit) is partial, what
 * a relaunch found stored stays stored, and summaries, the message index and
 * live subscriptions equal the projection of the log (kit.audit, kit.live).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, chromium, expect, type Page, test } from '@playwright/test';
import type { EventStore } from '../../src/index.js';
import { CHROMIUM_PATH, processesOf, removeTempProfiles, tempProfile } from '../chromium.js';
import { browserPid, CHROMIUM_ARGS, gotoHarness, muteViteClient } from './kit.js';

/** Kills of the browser; each hits a relaxed and a strict store at once. */
// 6 (3 of each kind) keeps the suite in its time budget (README, Testing); the kill
// points are random, so runs add up. RELIABILITY_KILLS=60 for a long hunt.
const KILLS = Number(process.env.RELIABILITY_KILLS ?? 6);
const KEYS = ['agent:kill:a', 'agent:kill:b', 'agent:kill:c', 'agent:kill:d'];
const MODES = ['relaxed', 'strict'] as const;
type Mode = (typeof MODES)[number];
const GROUP = { appends: 20, events: 10 };
/** What Chromium logs when it deletes a corrupt IndexedDB backing store. */
const WIPED = 'IndexedDB recovering from a corrupted (and deleted) database';

declare global {
  interface Window {
    relStores: Record<Mode, EventStore>;
    relIssued(tag: string, ids: string[]): void;
    relAcked(tag: string): void;
  }
}

interface Batch {
  mode: Mode;
  ids: string[];
  acked: boolean;
  cycle: number;
}

// KILL_KEEP=1 keeps the profiles (and chrome_debug.log) for a look after a failure.
test.afterEach(async () => {
  if (!process.env.KILL_KEEP) await removeTempProfiles();
});

const tagSize = (tag: string) => Number(tag.slice(tag.lastIndexOf('.') + 1));
const emptyStats = () => ({
  ackedBatches: 0,
  ackedEvents: 0,
  /** Events the store restored from its journal on a relaunch (acknowledged or not). */
  restoredEvents: 0,
  /** Relaunches on which the store restored anything from its journal. */
  restores: 0,
  /** Batches issued but not acknowledged when killed: found committed, or absent. */
  unacked: { committed: 0, absent: 0 },
  /** The group commit in flight at a mid-commit kill: found committed, or absent. */
  groups: { committed: 0, absent: 0 },
  eventsAtEnd: 0,
});

test(`browser SIGKILLed ${KILLS}× while relaxed and strict stores append: every acknowledged event survives, no batch partial`, async () => {
  // A cycle takes 1–3 s on an idle 2-core machine, up to ~50 s on one shared by a dozen browsers.
  test.setTimeout(60_000 + KILLS * 60_000);
  const profile = tempProfile('kill');
  const batches = new Map<string, Batch>();
  /** Tags a relaunch found stored: they must stay. */
  const stored = new Set<string>();
  const stats = {
    kills: { afterAck: 0, midCommit: 0, groupAckedBeforeKill: 0 },
    relaxed: emptyStats(),
    strict: emptyStats(),
    /** Mid-commit kills: [calibration commit ms (slower mode), kill delay ms]. */
    midCommit: [] as Array<[number, number]>,
    /** Per cycle, ms: [launch, open page, audit, append until the processes are gone]. */
    phases: [] as number[][],
    /** Relaunches where Chromium reported deleting the origin's corrupt IndexedDB. */
    wipedByChromium: [] as Array<{ afterKill: number; kind: string; reason: string }>,
  };
  const killKinds: string[] = [];
  const history: Array<[number, number]> = [];
  let pendingGroups: { cycle: number; tags: Record<Mode, string[]> } | undefined;
  try {
    for (let cycle = 0; cycle <= KILLS; cycle++) {
      const started = Date.now();
      const phase: number[] = [];
      const mark = () => phase.push(Date.now() - started - phase.reduce((a, b) => a + b, 0));
      const context = await chromium.launchPersistentContext(profile.dir, {
        executablePath: CHROMIUM_PATH,
        // chrome_debug.log in the profile: where Chromium says it deleted a corrupt database.
        args: [...CHROMIUM_ARGS, '--enable-logging', '--v=0'],
      });
      mark();
      let killed = false;
      let onIssued: ((tag: string) => void) | undefined;
      let onAcked: ((batch: Batch) => void) | undefined;
      try {
        await muteViteClient(context);
        const page = context.pages()[0] ?? (await context.newPage());
        await page.exposeFunction('relIssued', (tag: string, ids: string[]) => {
          const mode: Mode = tag.startsWith('s') ? 'strict' : 'relaxed';
          if (!batches.has(tag)) batches.set(tag, { mode, ids, acked: false, cycle });
          onIssued?.(tag);
        });
        await page.exposeFunction('relAcked', (tag: string) => {
          // Anything that reaches Node was acknowledged before the browser died.
          const batch = batches.get(tag);
          if (!batch) return;
          if (!batch.acked) {
            batch.acked = true;
            stats[batch.mode].ackedBatches++;
            stats[batch.mode].ackedEvents += batch.ids.length;
          }
          onAcked?.(batch);
        });
        await gotoHarness(page);
        mark();

        // ---- after the previous kill: what is stored?
        const audits = await page.evaluate(
          async ({ keys, modes }) => {
            const out: Record<string, unknown> = {};
            for (const durability of modes) {
              const name = `kill-${durability}`;
              const check = await window.sessionlog.openEventStore({ name, durability });
              // A database that was not made anew is compared with the journal at the first
              // write; this store only reads, so it asks (a restore is then done before the audit).
              await check.journalChecked();
              const audit = await window.kit.audit(check, keys);
              const live = await window.kit.live(check, keys, 30_000);
              await check.close();
              out[durability] = {
                ...audit,
                live,
                restored: check.restored,
                journal: check.journal,
              };
            }
            // Fresh stores for writing: no live subscriptions to keep up to date.
            window.relStores = {
              relaxed: await window.sessionlog.openEventStore({
                name: 'kill-relaxed',
                durability: 'relaxed',
              }),
              strict: await window.sessionlog.openEventStore({
                name: 'kill-strict',
                durability: 'strict',
              }),
            };
            return out as Record<
              Mode,
              {
                sessions: Record<string, { ids: string[]; agents: string[] }>;
                problems: string[];
                live: string[];
                restored: { events: number; reset: boolean } | undefined;
                journal: string;
              }
            >;
          },
          { keys: KEYS, modes: MODES },
        );
        mark();
        const counts = new Map<string, number>();
        const ids = new Set<string>();
        for (const mode of MODES) {
          const audit = audits[mode];
          expect(audit.problems, `cycle ${cycle} ${mode}: log consistency`).toEqual([]);
          expect(audit.live, `cycle ${cycle} ${mode}: live snapshots equal the log`).toEqual([]);
          expect(audit.journal, `cycle ${cycle} ${mode}: the store keeps a journal`).toBe('on');
          if (audit.restored) {
            stats[mode].restores++;
            stats[mode].restoredEvents += audit.restored.events;
          }
          let events = 0;
          for (const { ids: list, agents } of Object.values(audit.sessions)) {
            for (const tag of agents) counts.set(tag, (counts.get(tag) ?? 0) + 1);
            for (const id of list) ids.add(id);
            events += list.length;
          }
          stats[mode].eventsAtEnd = events;
        }
        history.push([stats.relaxed.eventsAtEnd, stats.strict.eventsAtEnd]);
        // Chromium's LevelDB backend opens its files with paranoid checks: a log
        // record torn by the kill ("checksum mismatch") makes it delete the
        // origin's whole IndexedDB and start empty, logging that it did. The
        // journal must then give everything back: no loss is tolerated, and the
        // restore must say the database had been reset.
        const debugLog = join(profile.dir, 'chrome_debug.log');
        const logged = existsSync(debugLog) ? readFileSync(debugLog, 'utf8') : '';
        if (logged.includes(WIPED)) {
          const reason = /Got corruption for \{.*\}, (.*)$/m.exec(logged)?.[1] ?? 'unknown';
          stats.wipedByChromium.push({ afterKill: cycle, kind: killKinds[cycle - 1]!, reason });
          for (const mode of MODES)
            if (audits[mode].restored)
              expect(audits[mode].restored?.reset, `cycle ${cycle} ${mode}: reset seen`).toBe(true);
        }
        // Checked in plain code, one expect per property (an expect per batch is slow).
        const partial: string[] = [];
        const vanished: string[] = [];
        const lost: string[] = [];
        for (const [tag, count] of counts) {
          if (count !== tagSize(tag)) partial.push(`${tag}: ${count} stored`);
          stored.add(tag);
        }
        for (const tag of stored)
          if (counts.get(tag) !== tagSize(tag))
            vanished.push(`${tag}: ${counts.get(tag) ?? 0} left`);
        for (const [tag, batch] of batches) {
          if (batch.acked) {
            const missing = batch.ids.filter((id) => !ids.has(id)).length;
            if (missing > 0) lost.push(`${tag} (cycle ${batch.cycle}): ${missing} missing`);
          } else if (batch.cycle === cycle - 1) {
            if (counts.has(tag)) stats[batch.mode].unacked.committed++;
            else stats[batch.mode].unacked.absent++;
          }
        }
        const context_ = `cycle ${cycle}; events stored per cycle (relaxed, strict): ${JSON.stringify(history)}`;
        expect(partial, `no batch is partial (${context_})`).toEqual([]);
        expect(vanished, `what a relaunch found stays (${context_})`).toEqual([]);
        expect(lost, `every acknowledged batch is stored (${context_})`).toEqual([]);
        if (pendingGroups) {
          for (const mode of MODES) {
            const tags = pendingGroups.tags[mode];
            const present = tags.filter((t) => counts.has(t)).length;
            expect(
              [0, tags.length],
              `${context_}: the ${mode} group commit of cycle ${pendingGroups.cycle} is all or nothing`,
            ).toContain(present);
            if (present > 0) stats[mode].groups.committed++;
            else stats[mode].groups.absent++;
          }
          pendingGroups = undefined;
        }
        if (cycle === KILLS) break;

        // ---- append, and kill the browser
        const pid = await browserPid(context, profile.dir);
        const closed = new Promise<void>((resolve) => context.once('close', () => resolve()));
        const kill = () => {
          if (killed) return;
          killed = true;
          process.kill(pid, 'SIGKILL');
        };
        if (cycle % 2 === 0) {
          // Right after an acknowledgement, inside the handler that receives it.
          stats.kills.afterAck++;
          killKinds.push('after-ack');
          const trigger: Mode = cycle % 4 === 0 ? 'relaxed' : 'strict';
          const target = 3 + Math.floor(Math.random() * 20);
          let acks = 0;
          onAcked = (batch) => {
            if (batch.mode === trigger && ++acks === target) kill();
          };
          await page
            .evaluate(
              ({ cycle, keys }) => {
                for (const [mode, store] of Object.entries(window.relStores)) {
                  for (let w = 0; w < 2; w++) {
                    void (async () => {
                      for (let b = 0; ; b++) {
                        const n = Math.random() < 0.3 ? 1 : 2 + Math.floor(Math.random() * 10);
                        const tag = `${mode[0]}${cycle}.${w}.${b}.${n}`;
                        const events = Array.from({ length: n }, (_, i) =>
                          window.kit.event(
                            store,
                            keys[(b + i + w) % keys.length]!,
                            tag,
                            b + i,
                            100,
                          ),
                        );
                        window.relIssued(
                          tag,
                          events.map((e) => e.id),
                        );
                        await store.append(n === 1 ? events[0]! : events);
                        window.relAcked(tag);
                      }
                    })();
                  }
                }
              },
              { cycle, keys: KEYS },
            )
            .catch(() => {});
        } else {
          // In the middle of a group commit of each store.
          stats.kills.midCommit++;
          killKinds.push('mid-commit');
          const groups = async (label: string) =>
            page.evaluate(
              async ({ cycle, keys, label, group }) => {
                const work = Object.entries(window.relStores).flatMap(([mode, store]) =>
                  Array.from({ length: group.appends }, (_, a) => {
                    const tag = `${mode[0]}${cycle}.${label}.${a}.${group.events}`;
                    const events = Array.from({ length: group.events }, (_, i) =>
                      window.kit.event(store, keys[(a + i) % keys.length]!, tag, a + i, 200),
                    );
                    return { store, tag, events };
                  }),
                );
                for (const { tag, events } of work)
                  window.relIssued(
                    tag,
                    events.map((e) => e.id),
                  );
                const t0 = performance.now();
                await Promise.all(
                  work.map(({ store, tag, events }) =>
                    store.append(events).then(() => window.relAcked(tag)),
                  ),
                );
                return performance.now() - t0;
              },
              { cycle, keys: KEYS, label, group: GROUP },
            );
          const ms = await groups('calibrate');
          const delay = Math.random() * ms;
          stats.midCommit.push([Math.round(ms), Math.round(delay)]);
          const tags = (mode: Mode) =>
            Array.from(
              { length: GROUP.appends },
              (_, a) => `${mode[0]}${cycle}.target.${a}.${GROUP.events}`,
            );
          pendingGroups = { cycle, tags: { relaxed: tags('relaxed'), strict: tags('strict') } };
          onIssued = (tag) => {
            if (tag === pendingGroups?.tags.relaxed[0]) setTimeout(kill, delay);
          };
          const done = await groups('target').then(
            () => true,
            () => false,
          );
          if (done) {
            stats.kills.groupAckedBeforeKill++;
            kill();
          }
        }
        // The other processes of the browser exit once it is gone.
        for (let i = 0; i < 300 && processesOf(profile.dir).length > 0; i++)
          await new Promise((r) => setTimeout(r, 10));
        expect(processesOf(profile.dir), 'no process of the killed browser is left').toEqual([]);
        mark();
        await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
      } finally {
        if (!killed) await context.close().catch(() => {});
        stats.phases.push(phase);
        if (process.env.KILL_PROGRESS)
          console.log(
            `[kill] cycle ${cycle}: phases ${phase}; stored ${JSON.stringify(history.at(-1))}; acked ${stats.relaxed.ackedEvents}/${stats.strict.ackedEvents}; restored ${stats.relaxed.restoredEvents}/${stats.strict.restoredEvents}; wiped after ${JSON.stringify(stats.wipedByChromium.map((w) => w.afterKill))}`,
          );
      }
    }
    console.log(`[reliability] kill: ${JSON.stringify(stats)}`);
    test.info().annotations.push({ type: 'kill stats', description: JSON.stringify(stats) });
    expect(stats.kills.afterAck + stats.kills.midCommit).toBe(KILLS);
    for (const mode of MODES) expect(stats[mode].ackedEvents).toBeGreaterThan(0);
    expect(stats.wipedByChromium.length, 'some relaunches find the data').toBeLessThan(KILLS);
  } finally {
    if (process.env.KILL_KEEP) console.log('profile kept at', profile.dir);
    else await profile.remove();
  }
});

/** Launches Chromium on `profile` with logging to chrome_debug.log, and opens the harness. */
async function launchOn(profile: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_ARGS, '--enable-logging', '--v=0'],
  });
  await muteViteClient(context);
  const page = context.pages()[0] ?? (await context.newPage());
  await gotoHarness(page);
  return { context, page };
}

/** Flips 64 bytes in the middle of `file` (what a torn or rotten sector does). */
function damage(file: string): string {
  const bytes = readFileSync(file);
  for (let i = 0; i < 64; i++) bytes[(bytes.length >> 1) + i]! ^= 0xff;
  writeFileSync(file, bytes);
  return file;
}

/** The largest of `files`. */
const largest = (files: string[]) => files.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;

/** Regular files under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** Writes 100 events per durability mode (20 per append) and one deleted session; returns what each store holds. */
async function writeBoth(page: Page) {
  return page.evaluate(
    async ({ keys, modes }) => {
      const out: Record<string, string[]> = {};
      for (const durability of modes) {
        const store = await window.sessionlog.openEventStore({
          name: `wipe-${durability}`,
          durability,
        });
        for (let i = 0; i < 5; i++)
          await store.append(
            Array.from({ length: 20 }, (_, j) =>
              window.kit.event(store, keys[i % 2]!, 'd', i * 20 + j),
            ),
          );
        await store.record(keys[2]!, 'gone', { type: 'message_received', content: 'deleted' });
        await store.deleteSession(keys[2]!);
        const audit = await window.kit.audit(store, keys);
        await store.close();
        out[durability] = Object.values(audit.sessions).flatMap((s) => s.ids);
      }
      return out;
    },
    { keys: KEYS, modes: MODES },
  );
}

/** Opens both stores and reports what they hold, what they restored and whether the log is consistent. */
async function readBoth(page: Page) {
  return page.evaluate(
    async ({ keys, modes }) => {
      const out: Record<string, unknown> = {};
      for (const durability of modes) {
        const store = await window.sessionlog.openEventStore({
          name: `wipe-${durability}`,
          durability,
        });
        // As an app that wants a crash's leftovers restored before it reads (what the
        // comparison reports is not counted below, as a report made during open is not).
        await store.journalChecked();
        const corrupt: string[] = [];
        store.on('corrupt', (c) => corrupt.push(`${c.store} ${c.key}`));
        const audit = await window.kit.audit(store, keys);
        const verified = await store.verifyJournal();
        await store.close();
        out[durability] = {
          ids: Object.values(audit.sessions).flatMap((s) => s.ids),
          problems: audit.problems,
          restored: store.restored ?? null,
          verified,
          corrupt,
        };
      }
      return out as Record<
        Mode,
        {
          ids: string[];
          problems: string[];
          restored: { events: number; deletions: number; damaged: number; reset: boolean } | null;
          verified: { records: number; damaged: number };
          corrupt: string[];
        }
      >;
    },
    { keys: KEYS, modes: MODES },
  );
}

test('a damaged IndexedDB file (bytes flipped while the browser is down): Chromium deletes the origin’s data, the journal gives every acknowledged event back, once', async () => {
  test.setTimeout(120_000);
  // What the kill test meets now and then, made deterministic: Chromium's LevelDB
  // backend finds a checksum mismatch, deletes the whole backing store and says so.
  const profile = tempProfile('damaged');
  try {
    let { context, page } = await launchOn(profile.dir);
    const written = await writeBoth(page);
    await context.close();
    const idb = join(profile.dir, 'Default', 'IndexedDB');
    const damaged = damage(largest(filesUnder(idb).filter((f) => /\.(log|ldb)$/.test(f))));

    ({ context, page } = await launchOn(profile.dir));
    const after = await readBoth(page);
    await context.close();
    const log = readFileSync(join(profile.dir, 'chrome_debug.log'), 'utf8');
    expect(log).toContain(WIPED);
    for (const mode of MODES) {
      expect(after[mode].problems).toEqual([]);
      expect(after[mode].ids.sort()).toEqual([...written[mode]!].sort());
      expect(after[mode].ids).toHaveLength(100);
      expect(after[mode].restored).toEqual({ events: 100, deletions: 1, damaged: 0, reset: true });
    }

    // Database and journal both intact now: nothing is restored twice.
    ({ context, page } = await launchOn(profile.dir));
    const again = await readBoth(page);
    await context.close();
    for (const mode of MODES) {
      expect(again[mode].restored).toBeNull();
      expect(again[mode].ids.sort()).toEqual([...written[mode]!].sort());
    }
    test.info().annotations.push({
      type: 'figures',
      description: `100 events per mode written, restored after flipping 64 bytes of ${damaged.slice(idb.length)}: ${/Got corruption for \{.*\}, (.*)$/m.exec(log)?.[1]}`,
    });
  } finally {
    profile.remove();
  }
});

test('a damaged journal file (bytes flipped while the browser is down) is detected and the database left intact', async () => {
  test.setTimeout(120_000);
  const profile = tempProfile('damaged-journal');
  try {
    let { context, page } = await launchOn(profile.dir);
    const written = await writeBoth(page);
    await context.close();
    // The journal's files among the Origin Private File System's (whose names
    // Chromium keeps in a LevelDB of its own): those holding frame markers.
    const fs = join(profile.dir, 'Default', 'File System');
    const journal = filesUnder(fs).filter((f) => readFileSync(f).includes('SLJ1'));
    expect(journal.length, 'journal files on disk').toBeGreaterThan(0);
    const damaged = journal.map(damage).map((f) => f.slice(fs.length));

    ({ context, page } = await launchOn(profile.dir));
    const after = await readBoth(page);
    await context.close();
    const found = MODES.map((mode) => after[mode].verified.damaged).reduce((a, b) => a + b, 0);
    expect(found, `the damaged journal record is detected (${damaged})`).toBeGreaterThan(0);
    for (const mode of MODES) {
      expect(after[mode].problems).toEqual([]);
      expect(after[mode].ids.sort(), `${mode}: the database is intact`).toEqual(
        [...written[mode]!].sort(),
      );
      // Found on open when the open read that part, else by verifyJournal; nothing restored either way.
      expect(after[mode].restored?.events ?? 0).toBe(0);
      expect(after[mode].restored?.deletions ?? 0).toBe(0);
      expect(after[mode].corrupt.length).toBe(after[mode].verified.damaged);
    }
    test.info().annotations.push({
      type: 'figures',
      description: `flipped 64 bytes of ${damaged.join(', ')}: ${found} damaged journal record(s) reported`,
    });
  } finally {
    await profile.remove();
  }
});
