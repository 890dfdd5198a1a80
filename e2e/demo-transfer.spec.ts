/**
 * Import and export through the demo's UI: the Rust reference's seed fixture
 * imports with the right sessions and message counts, and exports come out in
 * both formats.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { newChat, openDemo, rows, send, waitForReplies } from './demo-app.js';

const SEED = fileURLToPath(new URL('../test/fixtures/reference/events.jsonl', import.meta.url));

/** Distinct message_received events per session, computed from the file itself. */
function expectedCounts(): Map<string, number> {
  const ids = new Map<string, Set<string>>();
  for (const line of readFileSync(SEED, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const event = JSON.parse(line);
    if (!ids.has(event.session_key)) ids.set(event.session_key, new Set());
    if (event.kind.type === 'message_received') {
      ids.get(event.session_key)!.add(JSON.stringify(event.id));
    }
  }
  return new Map([...ids].map(([key, set]) => [key, set.size]));
}

test('importing the seed fixture shows its sessions with the right message counts', async ({
  page,
}) => {
  const expected = expectedCounts();
  const lines = readFileSync(SEED, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '').length;
  expect(expected.size).toBe(3);
  const distinct = new Set(
    readFileSync(SEED, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.stringify(JSON.parse(l).id)),
  ).size;
  await openDemo(page);
  await page.locator('#import-file').setInputFiles(SEED);
  const dialog = page.locator('#import-dialog');
  await expect(dialog).toHaveAttribute('data-state', 'done');
  await expect(page.locator('#import-status')).toContainText(
    `${distinct} new events from ${lines} lines`,
  );
  const bar = await page
    .locator('#import-progress')
    .evaluate((p: HTMLProgressElement) => ({ value: p.value, max: p.max }));
  expect(bar.max).toBe(readFileSync(SEED).length);
  expect(bar.value).toBe(bar.max);
  await page.getByRole('button', { name: 'Done' }).click();
  await expect(dialog).not.toBeVisible();

  await expect(page.locator('.session-item')).toHaveCount(3);
  for (const [key, count] of expected) {
    const item = page.locator(`.session-item[data-key="${key}"]`);
    await expect(item.locator('.count')).toHaveAttribute('data-count', String(count));
    await item.click();
    await expect(rows(page, 'message_received')).toHaveCount(count);
  }
  // Reference-made ids are kept as given and marked as such in the inspector.
  await page.getByRole('button', { name: 'Inspector' }).click();
  await expect(page.locator('.event[data-verify="reference id"]').first()).toBeVisible();
  await expect(page.locator('.event[data-verify="mismatch"]')).toHaveCount(0);

  // Importing the same file again adds nothing.
  await page.locator('#import-file').setInputFiles(SEED);
  await expect(dialog).toHaveAttribute('data-state', 'done');
  await expect(page.locator('#import-status')).toContainText(`0 new events from ${lines} lines`);
  await expect(page.locator('#import-status')).toContainText(`${lines} already stored`);
  await page.getByRole('button', { name: 'Done' }).click();
  await expect(page.locator('.session-item')).toHaveCount(3);
});

test('a file with bad lines imports the good ones and lists the bad', async ({ page }) => {
  await openDemo(page);
  const good = readFileSync(SEED, 'utf8').split('\n').slice(0, 3);
  const content = [good[0], '{"not": "an event"}', good[1], 'not json', good[2]].join('\n');
  await page.locator('#import-file').setInputFiles({
    name: 'mixed.jsonl',
    mimeType: 'application/x-ndjson',
    buffer: Buffer.from(content),
  });
  await expect(page.locator('#import-dialog')).toHaveAttribute('data-state', 'done');
  await expect(page.locator('#import-status')).toContainText('3 new events');
  await expect(page.locator('#import-status')).toContainText('2 invalid lines skipped');
  await expect(page.locator('#import-errors li')).toHaveCount(2);
  await expect(page.locator('#import-errors li').first()).toContainText('Line 2');
});

test('export downloads JSON Lines in both formats', async ({ page }) => {
  await openDemo(page);
  await newChat(page);
  await send(page, 'what is 2 + 2?');
  await waitForReplies(page, 1);
  const eventCount = await page.evaluate(async () => {
    const store = window.sessionlogDemo!.store;
    const key = decodeURIComponent(location.hash.replace('#session=', ''));
    return (await store.getEvents(key)).length;
  });
  for (const format of ['sessionlog', 'reference'] as const) {
    await page.getByRole('button', { name: 'Export…' }).click();
    await page.locator(`#export-form input[name="format"][value="${format}"]`).check();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#export-confirm').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      format === 'reference' ? /\.reference\.jsonl$/ : /\d\.jsonl$/,
    );
    const lines = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(eventCount);
    for (const line of lines) {
      const event = JSON.parse(line);
      if (format === 'reference') {
        expect(event.id).toHaveLength(32);
        expect(event.origin).toBeUndefined();
      } else {
        expect(event.id).toMatch(/^[0-9a-f]{64}$/);
        expect(typeof event.origin).toBe('string');
      }
    }
  }
});
