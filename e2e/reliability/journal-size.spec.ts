/**
 * The journal's size on disk against the database's, for chat text: a store
 * commits a conversation the way a chat does (one message per append, a
 * reply now and then with a tool call), the browser closes, and the bytes
 * under the profile's IndexedDB and Origin Private File System directories
 * are counted, after the commits and again after a relaunch (when LevelDB has
 * compacted its log into tables).
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, expect, test } from '@playwright/test';
import { CHROMIUM_PATH, removeTempProfiles, tempProfile } from '../chromium.js';
import { CHROMIUM_ARGS, gotoHarness, muteViteClient } from './kit.js';

const MESSAGES = Number(process.env.JOURNAL_SIZE_MESSAGES ?? 600);

test.afterEach(() => removeTempProfiles());

/** Bytes of the regular files under `dir`. */
function bytesUnder(dir: string): number {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .reduce((n, e) => n + statSync(join(e.parentPath, e.name)).size, 0);
}

test(`the journal of ${MESSAGES} chat messages takes less than half the database's space on disk`, async () => {
  test.setTimeout(120_000);
  const profile = tempProfile('journal-size');
  const launch = async () => {
    const context = await chromium.launchPersistentContext(profile.dir, {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    });
    await muteViteClient(context);
    const page = context.pages()[0] ?? (await context.newPage());
    await gotoHarness(page);
    return { context, page };
  };
  const sizes = () => ({
    db: bytesUnder(join(profile.dir, 'Default', 'IndexedDB')),
    journal: bytesUnder(join(profile.dir, 'Default', 'File System')),
  });
  try {
    let { context, page } = await launch();
    const written = await page.evaluate(async (messages) => {
      const { createEvent, openEventStore } = window.sessionlog;
      const store = await openEventStore({ name: 'size' });
      const words =
        'the of and to in is you that it for on with as are this be at or have from'.split(' ');
      let seed = 7;
      const text = (n: number) => {
        const out: string[] = [];
        for (let i = 0; i < n; i++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          out.push(words[seed % words.length]!);
        }
        return out.join(' ');
      };
      let bytes = 0;
      for (let i = 0; i < messages; i++) {
        const key = `agent:size:s${i % 20}`;
        const opts = { clock: store.clock, origin: store.origin };
        const event =
          i % 2 === 0
            ? createEvent(
                key,
                'user',
                { type: 'message_received', content: text(15 + (i % 30)) },
                opts,
              )
            : i % 10 === 1
              ? createEvent(
                  key,
                  'assistant',
                  { type: 'tool_called', tool_name: 'search', params: { q: text(4) } },
                  opts,
                )
              : createEvent(
                  key,
                  'assistant',
                  {
                    type: 'agent_response',
                    content: text(40 + (i % 80)),
                    model: 'sim-1',
                    tokens: { input_tokens: i, output_tokens: 2 * i, cache_read_tokens: 0 },
                  },
                  opts,
                );
        bytes += new TextEncoder().encode(JSON.stringify(event)).length;
        await store.append(event);
      }
      await store.close();
      return { bytes };
    }, MESSAGES);
    await context.close();
    const afterWrites = sizes();
    ({ context, page } = await launch());
    const reopened = await page.evaluate(async () => {
      const store = await window.sessionlog.openEventStore({ name: 'size' });
      const sessions = (await store.listSessions()).length;
      const restored = store.restored ?? null;
      await store.close();
      return { sessions, restored };
    });
    await context.close();
    const afterRelaunch = sizes();
    expect(reopened).toEqual({ sessions: 20, restored: null });
    const figures = {
      messages: MESSAGES,
      eventJsonBytes: written.bytes,
      afterWrites,
      afterRelaunch,
      ratioAfterWrites: +(afterWrites.journal / afterWrites.db).toFixed(3),
      ratioAfterRelaunch: +(afterRelaunch.journal / afterRelaunch.db).toFixed(3),
    };
    console.log(`[reliability] journal-size: ${JSON.stringify(figures)}`);
    test.info().annotations.push({ type: 'journal size', description: JSON.stringify(figures) });
    expect(afterWrites.journal).toBeGreaterThan(written.bytes * 0.3); // the journal really holds them
    expect(figures.ratioAfterWrites).toBeLessThan(0.5);
    expect(figures.ratioAfterRelaunch).toBeLessThan(0.5);
  } finally {
    await profile.remove();
  }
});
