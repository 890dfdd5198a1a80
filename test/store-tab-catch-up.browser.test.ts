import { expect, it } from 'vitest';
import {
  mainSessionKey,
  openEventStore,
  type Projection,
  type SessionSummary,
} from '../src/index.js';
import { uniqueName } from './helpers.js';

/** Resolves once `read()` satisfies `done` (checked at every notification of `subscribe`). */
function until<T>(
  subscribe: (listener: () => void) => () => void,
  read: () => T,
  done: (value: T) => boolean,
): Promise<T> {
  return new Promise((resolve) => {
    const check = () => {
      const value = read();
      if (!done(value)) return false;
      unsubscribe();
      resolve(value);
      return true;
    };
    const unsubscribe = subscribe(() => void check());
    check();
  });
}

// A tab hears of a commit, but another store deleted a session before it without a
// word on the channel: the catch-up that the commit's message starts reads the
// deletion from the log too (a commit sequence without events is a deletion's).
it('a catch-up finds a deletion the channel never announced', async () => {
  const name = uniqueName('xtab-gap');
  const gone = mainSessionKey('gone');
  const other = mainSessionKey('other');
  const writer = await openEventStore({ name, journal: false });
  const reader = await openEventStore({ name, journal: false });
  const silent = await openEventStore({ name, journal: false, crossTab: false });
  await writer.record(gone, 'u', { type: 'message_received', content: 'to be deleted' });
  await writer.record(other, 'u', { type: 'message_received', content: 'first' });

  const summaries = () => reader.getSummariesSnapshot();
  const unsubscribe = reader.subscribeSummaries(() => {});
  const stopGone = reader.subscribe(gone, () => {});
  const keys = (list: readonly SessionSummary[] | undefined) => list?.map((s) => s.sessionKey);
  await until(
    (l) => reader.subscribeSummaries(l),
    summaries,
    (list) => keys(list)?.length === 2,
  );
  await until(
    (l) => reader.subscribe(gone, l),
    () => reader.getSnapshot(gone),
    (p) => p?.messages.length === 1,
  );

  await silent.deleteSession(gone); // no message: crossTab is off in this store
  await writer.record(other, 'u', { type: 'message_received', content: 'second' });

  const after = await until(
    (l) => reader.subscribeSummaries(l),
    summaries,
    (list) => list?.find((s) => s.sessionKey === other)?.eventCount === 2,
  );
  expect(keys(after)).toEqual([other]);
  const projection = reader.getSnapshot(gone) as Projection;
  expect(projection.messages).toEqual([]);
  expect(reader.channelStats.ignored).toBe(0);

  stopGone();
  unsubscribe();
  await Promise.all([writer.close(), reader.close(), silent.close()]);
});

// The message names the sessions of its own commit; a commit it does not name (made
// by a store that posts nothing) changed another session, whose summary is read too.
it('a catch-up reads the summaries of sessions the message did not name', async () => {
  const name = uniqueName('xtab-unnamed');
  const named = mainSessionKey('named');
  const unnamed = mainSessionKey('unnamed');
  const writer = await openEventStore({ name, journal: false });
  const reader = await openEventStore({ name, journal: false });
  const silent = await openEventStore({ name, journal: false, crossTab: false });
  await writer.record(named, 'u', { type: 'message_received', content: 'one' });
  const unsubscribe = reader.subscribeSummaries(() => {});
  await until(
    (l) => reader.subscribeSummaries(l),
    () => reader.getSummariesSnapshot(),
    (list) => list?.length === 1,
  );

  await silent.record(unnamed, 'u', { type: 'message_received', content: 'unannounced' });
  await writer.record(named, 'u', { type: 'message_received', content: 'two' });

  const after = await until(
    (l) => reader.subscribeSummaries(l),
    () => reader.getSummariesSnapshot(),
    (list) => list?.find((s) => s.sessionKey === named)?.eventCount === 2,
  );
  expect(after?.find((s) => s.sessionKey === unnamed)?.eventCount).toBe(1);
  expect(reader.channelStats.ignored).toBe(0);

  unsubscribe();
  await Promise.all([writer.close(), reader.close(), silent.close()]);
});
