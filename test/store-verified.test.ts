/**
 * A record read again unchanged is not hashed again (src/store/verified.ts),
 * but one damaged or forged after it was read (or written) by this store is
 * still checked in full, reported, and kept out of every read.
 */
import { describe, expect, it } from 'vitest';
import { createEvent, type EventStore } from '../src/index.js';
import { conversation, openTestStore, rawAll, rawPut } from './store-helpers.js';

const KEY = 'agent:verified:main';

async function corruptReports(store: EventStore, read: () => Promise<unknown>) {
  const seen: Array<{ store: string; key: string }> = [];
  const off = store.on('corrupt', (c) => seen.push({ store: c.store, key: c.key }));
  await read();
  off();
  return seen;
}

describe('records checked once per connection', () => {
  for (const when of ['written by this store', 'read once before'] as const) {
    it(`a record ${when}, then damaged in place, is reported and skipped`, async () => {
      const writer = await openTestStore();
      const events = conversation(writer, KEY);
      await writer.append(events);
      const store =
        when === 'written by this store' ? writer : await openTestStore({ name: writer.name });
      if (store !== writer) expect(await store.getEvents(KEY)).toEqual(events);
      const records = await rawAll<Record<string, unknown>>(store.name, 'events');
      const target = records.find((r) => r.id === events[1]!.id)!;
      const kind = target.kind as Record<string, unknown>;
      await rawPut(store.name, 'events', [{ ...target, kind: { ...kind, content: 'forged' } }]);
      let read: unknown;
      const reports = await corruptReports(store, async () => {
        read = await store.getEvents(KEY);
      });
      expect(reports).toEqual([{ store: 'events', key: events[1]!.id }]);
      expect(read).toEqual(events.filter((_, i) => i !== 1));
      const page = await store.getMessages(KEY, { branch: 'all' });
      expect(page.messages.map((m) => m.id)).not.toContain(events[1]!.id);
      await store.close();
      if (store !== writer) await writer.close();
    });
  }

  it('a record read again unchanged reads the same, and a restored one is accepted again', async () => {
    const store = await openTestStore();
    const events = conversation(store, KEY);
    await store.append(events);
    expect(await store.getEvents(KEY)).toEqual(events);
    const records = await rawAll<Record<string, unknown>>(store.name, 'events');
    const original = records.find((r) => r.id === events[0]!.id)!;
    await rawPut(store.name, 'events', [{ ...original, agent_id: 'someone else' }]);
    expect(await store.getEvents(KEY)).toEqual(events.slice(1));
    await rawPut(store.name, 'events', [original]);
    const reports = await corruptReports(store, async () => {
      expect(await store.getEvents(KEY)).toEqual(events);
    });
    expect(reports).toEqual([]);
    const later = createEvent(
      KEY,
      'x',
      { type: 'message_received', content: 'later' },
      {
        clock: store.clock,
      },
    );
    await store.append(later);
    expect(await store.getEvents(KEY)).toEqual([...events, later]);
    await store.close();
  });
});
