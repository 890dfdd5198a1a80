import { expect, type Page, test } from '@playwright/test';
import { openHarness } from './harness.js';

// Each page opens the same store and keeps it on window.store.
async function openStore(page: Page, name: string): Promise<void> {
  await openHarness(page);
  await page.evaluate(async (db) => {
    const w = window as unknown as { store: unknown; drafts: unknown[] };
    w.store = await window.sessionlog.openEventStore({ name: db });
    w.drafts = [];
  }, name);
}

const KEY = 'agent:sim:main';

/** Texts of the draft records checkpointed in database `name`, read with a raw connection. */
function checkpointedTexts(page: Page, name: string): Promise<string[]> {
  return page.evaluate(
    (name) =>
      new Promise<string[]>((resolve, reject) => {
        const open = indexedDB.open(name);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const all = db.transaction('drafts').objectStore('drafts').getAll();
          all.onsuccess = () => {
            db.close();
            resolve(all.result.map((r: { text: string }) => r.text));
          };
          all.onerror = () => reject(all.error);
        };
      }),
    name,
  );
}

async function watchDrafts(page: Page, key = KEY): Promise<void> {
  await page.evaluate((k) => {
    const w = window as unknown as { store: import('../src/index.js').EventStore; drafts: unknown };
    w.store.subscribeDrafts(k, (d) => {
      w.drafts = d;
    });
    w.store.subscribe(k, () => {});
  }, key);
}

const draftsOf = (page: Page) =>
  page.evaluate(
    () => (window as unknown as { drafts: Array<{ text: string; status: string }> }).drafts,
  );

test('a second tab sees the deltas live, then one committed message and no draft', async ({
  context,
}) => {
  const name = `stream-${Date.now()}`;
  const [a, b] = [await context.newPage(), await context.newPage()];
  await openStore(a, name);
  await openStore(b, name);
  await watchDrafts(b);
  await a.evaluate((k) => {
    const w = window as unknown as { store: import('../src/index.js').EventStore; handle: unknown };
    const handle = w.store.stream(k, { agentId: 'sim', model: 'sim-1' });
    handle.push('Hel');
    w.handle = handle;
  }, KEY);
  await expect.poll(async () => (await draftsOf(b))[0]?.text).toBe('Hel');
  await a.evaluate(() =>
    (window as unknown as { handle: { push(t: string): void } }).handle.push('lo there'),
  );
  await expect.poll(async () => (await draftsOf(b))[0]?.text).toBe('Hello there');
  expect((await draftsOf(b))[0]?.status).toBe('streaming');
  // Nothing is committed while streaming.
  expect(
    await b.evaluate(
      (k) =>
        (window as never as { store: import('../src/index.js').EventStore }).store
          .getEvents(k)
          .then((e) => e.length),
      KEY,
    ),
  ).toBe(0);
  await a.evaluate(() =>
    (window as unknown as { handle: { done(u: unknown): Promise<unknown> } }).handle.done({
      tokens: { input_tokens: 4, output_tokens: 2 },
    }),
  );
  await expect.poll(async () => (await draftsOf(b)).length).toBe(0);
  const messages = (p: Page) =>
    p.evaluate(
      (k) =>
        (window as never as { store: import('../src/index.js').EventStore }).store
          .getSnapshot(k)
          ?.messages.map((m) => (m.kind as { content: string }).content) ?? null,
      KEY,
    );
  await expect.poll(() => messages(b)).toEqual(['Hello there']);
  const inA = await a.evaluate(
    (k) =>
      (window as never as { store: import('../src/index.js').EventStore }).store
        .getProjection(k)
        .then((p) => p.messages.length),
    KEY,
  );
  expect(inA).toBe(1);
});

test('reloading the writer mid-stream leaves an interrupted draft that can be resumed and committed', async ({
  context,
}) => {
  const name = `reload-stream-${Date.now()}`;
  const a = await context.newPage();
  await openStore(a, name);
  await a.evaluate(async (k) => {
    const w = window as unknown as { store: import('../src/index.js').EventStore };
    const handle = w.store.stream(k, { agentId: 'sim', model: 'sim-1' });
    handle.push('The partial ');
    handle.push('answer');
  }, KEY);
  // Once the text is checkpointed (within 250 ms), the tab goes away mid-stream.
  await expect.poll(() => checkpointedTexts(a, name)).toEqual(['The partial answer']);
  await a.reload();
  await openStore(a, name);
  const interrupted = await a.evaluate(async () => {
    const w = window as unknown as { store: import('../src/index.js').EventStore };
    return w.store.listInterruptedDrafts();
  });
  expect(interrupted).toHaveLength(1);
  expect(interrupted[0]).toMatchObject({
    text: 'The partial answer',
    status: 'interrupted',
    sessionKey: KEY,
  });
  const committed = await a.evaluate(async (id) => {
    const w = window as unknown as { store: import('../src/index.js').EventStore };
    const handle = await w.store.resumeDraft(id);
    handle.push(', resumed.');
    const event = await handle.done({ tokens: { input_tokens: 1, output_tokens: 9 } });
    return {
      content: (event.kind as { content: string }).content,
      left: (await w.store.listInterruptedDrafts()).length,
    };
  }, interrupted[0]!.id);
  expect(committed).toEqual({ content: 'The partial answer, resumed.', left: 0 });
});

test('closing the writer mid-stream: the other tab marks the draft interrupted', async ({
  context,
}) => {
  const name = `close-stream-${Date.now()}`;
  const [a, b] = [await context.newPage(), await context.newPage()];
  await openStore(a, name);
  await openStore(b, name);
  await watchDrafts(b);
  await a.evaluate(async (k) => {
    const w = window as unknown as { store: import('../src/index.js').EventStore };
    w.store.stream(k, { agentId: 'sim', model: 'sim-1' }).push('left behind');
  }, KEY);
  await expect.poll(() => checkpointedTexts(a, name)).toEqual(['left behind']);
  await expect.poll(async () => (await draftsOf(b))[0]?.text).toBe('left behind');
  await a.close();
  // Its writer's Web Lock is free once the page is closed (or its heartbeat stops, 5 s
  // timeout): the draft turns interrupted; the bound leaves room for a loaded machine.
  await expect
    .poll(async () => (await draftsOf(b))[0]?.status, { timeout: 20_000 })
    .toBe('interrupted');
  expect((await draftsOf(b))[0]?.text).toBe('left behind');
});

test('two streams in two sessions at once, from two tabs, do not mix', async ({ context }) => {
  const name = `two-streams-${Date.now()}`;
  const [a, b] = [await context.newPage(), await context.newPage()];
  await openStore(a, name);
  await openStore(b, name);
  const run = (page: Page, key: string, word: string) =>
    page.evaluate(
      async ([k, w]) => {
        const win = window as unknown as { store: import('../src/index.js').EventStore };
        const handle = win.store.stream(k!, { agentId: 'sim', model: 'sim-1' });
        for (let i = 0; i < 40; i++) {
          handle.push(`${w}${i} `);
          await new Promise((r) => setTimeout(r, 5));
        }
        await handle.done({ tokens: { input_tokens: 1, output_tokens: 40 } });
      },
      [key, word] as const,
    );
  await Promise.all([run(a, 'agent:sim:one', 'x'), run(b, 'agent:sim:two', 'y')]);
  const contents = await a.evaluate(async () => {
    const w = window as unknown as { store: import('../src/index.js').EventStore };
    const one = await w.store.getProjection('agent:sim:one');
    const two = await w.store.getProjection('agent:sim:two');
    const text = (p: typeof one) => p.messages.map((m) => (m.kind as { content: string }).content);
    return { one: text(one), two: text(two) };
  });
  expect(contents.one).toHaveLength(1);
  expect(contents.two).toHaveLength(1);
  expect(contents.one[0]).toMatch(/^(x\d+ ){40}$/);
  expect(contents.two[0]).toMatch(/^(y\d+ ){40}$/);
});
