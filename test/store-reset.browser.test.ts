import { expect, it } from 'vitest';
import { mainSessionKey, openEventStore } from '../src/index.js';
import { deleteDatabase, uniqueName } from './helpers.js';

// Without the journal, which would restore the data (test/journal.browser.test.ts).
it('tells when the database was deleted and made anew since it was last opened here', async () => {
  const name = uniqueName('reset');
  const first = await openEventStore({ name, crossTab: false, journal: false });
  expect(first.wasReset).toBe(false);
  await first.record(mainSessionKey('r'), 'r', { type: 'message_received', content: 'kept?' });
  await first.close();

  const again = await openEventStore({ name, crossTab: false, journal: false });
  expect(again.wasReset).toBe(false); // same database
  await again.close();

  await deleteDatabase(name); // what Chromium does to a damaged database after a crash
  const fresh = await openEventStore({ name, crossTab: false, journal: false });
  expect(fresh.wasReset).toBe(true);
  expect(await fresh.listSessions()).toEqual([]);
  await fresh.close();

  const later = await openEventStore({ name, crossTab: false, journal: false });
  expect(later.wasReset).toBe(false); // reported once, for the open that met it
  await later.close();
});
