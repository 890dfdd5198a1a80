/**
 * Experiment (issue 16): does a file in the Origin Private File System,
 * written from a dedicated worker with `FileSystemSyncAccessHandle` and
 * flushed, survive the browser being SIGKILLed, including the kills after
 * which Chromium deletes the origin's IndexedDB?
 *
 * A worker appends numbered records (length, number, a payload derived from
 * the number, a check value) to one OPFS file, `flush()`es after each and
 * posts the number; the page forwards the highest number to Node, which kills
 * the browser after a random count while the worker keeps writing. Meanwhile
 * the page commits raw IndexedDB transactions, so a kill also lands in the
 * middle of LevelDB writes (what makes Chromium delete a damaged database).
 * After each relaunch the file is read with the asynchronous OPFS API: every
 * acknowledged record must be there and intact, in order; at most the record
 * being written at the kill may be torn (an incomplete tail), which the next
 * cycle truncates before appending again.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, expect, test } from '@playwright/test';
import { CHROMIUM_PATH, processesOf, removeTempProfiles, tempProfile } from '../chromium.js';
import { BASE_URL, browserPid, CHROMIUM_ARGS, muteViteClient } from './kit.js';

const KILLS = Number(process.env.OPFS_KILLS ?? 4);
const WIPED = 'IndexedDB recovering from a corrupted (and deleted) database';

declare global {
  interface Window {
    opfsAcked(n: number): void;
  }
}

test.afterEach(() => removeTempProfiles());

/** What a relaunch found in the file. */
interface FileCheck {
  records: number;
  last: number;
  bytes: number;
  /** Bytes after the last complete record. */
  tornTail: number;
  /** Complete-looking records that are wrong (number out of order, bad payload or check). */
  bad: string[];
}

test(`OPFS experiment: a flushed FileSystemSyncAccessHandle write survives ${KILLS} browser SIGKILLs`, async () => {
  test.setTimeout(30_000 + KILLS * 15_000);
  const profile = tempProfile('opfs-kill');
  const stats = {
    kills: 0,
    acked: 0,
    tornTails: 0,
    unackedFound: 0,
    idbWipes: [] as number[],
    bytes: 0,
  };
  let acked = 0;
  try {
    for (let cycle = 0; cycle <= KILLS; cycle++) {
      const context = await chromium.launchPersistentContext(profile.dir, {
        executablePath: CHROMIUM_PATH,
        args: [...CHROMIUM_ARGS, '--enable-logging', '--v=0'],
      });
      let killed = false;
      try {
        await muteViteClient(context);
        const page = context.pages()[0] ?? (await context.newPage());
        let target = Number.POSITIVE_INFINITY;
        let kill = () => {};
        await page.exposeFunction('opfsAcked', (n: number) => {
          if (n > acked) acked = n;
          if (acked >= target) kill();
        });
        // Any document of the origin will do: no need to load the library.
        await page.goto(`${BASE_URL}/icon.svg`);
        const check = await page.evaluate(async (): Promise<FileCheck> => {
          const root = await navigator.storage.getDirectory();
          const file = await (await root.getFileHandle('exp.bin', { create: true })).getFile();
          const view = new DataView(await file.arrayBuffer());
          const bad: string[] = [];
          let at = 0;
          let records = 0;
          let last = 0;
          while (at + 12 <= view.byteLength) {
            const len = view.getUint32(at, true);
            if (at + 12 + len > view.byteLength) break; // torn tail
            const n = view.getUint32(at + 4, true);
            let sum = n;
            for (let j = 0; j < len; j++) {
              const b = view.getUint8(at + 8 + j);
              if (b !== ((n * 31 + j) & 255)) {
                bad.push(`record ${n}: payload byte ${j}`);
                break;
              }
              sum = (sum * 33 + b) >>> 0;
            }
            if (view.getUint32(at + 8 + len, true) !== sum) bad.push(`record ${n}: check value`);
            if (n !== last + 1) bad.push(`record ${n} after ${last}`);
            last = n;
            records++;
            at += 12 + len;
          }
          return { records, last, bytes: view.byteLength, tornTail: view.byteLength - at, bad };
        });
        expect(check.bad, `cycle ${cycle}: every complete record intact`).toEqual([]);
        expect(
          check.last,
          `cycle ${cycle}: every acknowledged record is there`,
        ).toBeGreaterThanOrEqual(acked);
        if (cycle > 0) {
          if (check.tornTail > 0) stats.tornTails++;
          stats.unackedFound += check.last - acked;
          const log = join(profile.dir, 'chrome_debug.log');
          if (existsSync(log) && readFileSync(log, 'utf8').includes(WIPED))
            stats.idbWipes.push(cycle);
        }
        acked = check.last;
        stats.bytes = check.bytes;
        if (process.env.OPFS_PROGRESS)
          console.log(`[opfs-kill] cycle ${cycle}: ${JSON.stringify(stats)}`);
        if (cycle === KILLS) break;

        const pid = await browserPid(context, profile.dir);
        target = acked + 20 + Math.floor(Math.random() * 400);
        kill = () => {
          if (killed) return;
          killed = true;
          stats.kills++;
          process.kill(pid, 'SIGKILL');
        };
        // The worker appends until the browser dies; the page commits IndexedDB meanwhile.
        await page
          .evaluate(
            async ({ from, end }) => {
              const source = `
                onmessage = async (e) => {
                  const root = await navigator.storage.getDirectory();
                  const fh = await root.getFileHandle('exp.bin', { create: true });
                  const handle = await fh.createSyncAccessHandle();
                  handle.truncate(e.data.end); // drop a torn tail
                  let at = e.data.end;
                  for (let n = e.data.from + 1; ; n++) {
                    const len = 100 + ((n * 7919) % 900);
                    const buf = new Uint8Array(12 + len);
                    const view = new DataView(buf.buffer);
                    view.setUint32(0, len, true);
                    view.setUint32(4, n, true);
                    let sum = n;
                    for (let j = 0; j < len; j++) {
                      const b = (n * 31 + j) & 255;
                      buf[8 + j] = b;
                      sum = (sum * 33 + b) >>> 0;
                    }
                    view.setUint32(8 + len, sum, true);
                    handle.write(buf, { at });
                    handle.flush();
                    at += buf.length;
                    postMessage(n);
                    if (n % 16 === 0) await new Promise((r) => setTimeout(r, 0));
                  }
                };`;
              const worker = new Worker(
                URL.createObjectURL(new Blob([source], { type: 'text/javascript' })),
              );
              worker.onmessage = (e) => window.opfsAcked(e.data as number);
              worker.postMessage({ from, end });
              const db = await new Promise<IDBDatabase>((resolve, reject) => {
                const request = indexedDB.open('opfs-exp', 1);
                request.onupgradeneeded = () => request.result.createObjectStore('rows');
                request.onsuccess = () => resolve(request.result);
                request.onerror = () => reject(request.error);
              });
              for (let t = 0; ; t++) {
                const tx = db.transaction('rows', 'readwrite');
                for (let i = 0; i < 20; i++)
                  tx.objectStore('rows').put('x'.repeat(300), `${from}.${t}.${i}`);
                await new Promise((r) => {
                  tx.oncomplete = r;
                  tx.onerror = r;
                });
              }
            },
            { from: check.last, end: check.bytes - check.tornTail },
          )
          .catch(() => {});
        for (let i = 0; i < 300 && processesOf(profile.dir).length > 0; i++)
          await new Promise((r) => setTimeout(r, 10));
        expect(processesOf(profile.dir), 'no process of the killed browser is left').toEqual([]);
      } finally {
        if (!killed) await context.close().catch(() => {});
      }
    }
    stats.acked = acked;
    console.log(`[reliability] opfs-kill: ${JSON.stringify(stats)}`);
    test.info().annotations.push({ type: 'opfs kill stats', description: JSON.stringify(stats) });
    expect(stats.kills).toBe(KILLS);
  } finally {
    await profile.remove();
  }
});
