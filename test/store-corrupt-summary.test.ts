import { describe, expect, it } from 'vitest';
import {
  type CorruptRecord,
  createEvent,
  mainSessionKey,
  openEventStore,
  project,
} from '../src/index.js';
import { factory, uniqueName } from './helpers.js';

// Writes a record straight into the `sessions` store, as other code or a broken disk could.
function putRaw(name: string, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = factory().open(name);
    request.onsuccess = () => {
      const db = request.result;
      const tx = db.transaction('sessions', 'readwrite');
      tx.objectStore('sessions').put(value);
      tx.oncomplete = () => {
        db.close();
        resolve();
      };
      tx.onerror = () => reject(tx.error);
    };
    request.onerror = () => reject(request.error);
  });
}

describe('corrupt session summaries', () => {
  it('are skipped and reported on read, and rebuilt from the log on the next write', async () => {
    const name = uniqueName('summary');
    const store = await openEventStore({ name, indexedDB: factory(), crossTab: false });
    const corrupt: CorruptRecord[] = [];
    store.on('corrupt', (r) => corrupt.push(r));
    const key = mainSessionKey('x');
    const other = mainSessionKey('y');
    const first = [
      createEvent(key, 'x', { type: 'session_started', channel: 'web', peer_id: 'p' }),
      createEvent(key, 'x', { type: 'message_received', content: 'one' }),
    ];
    await store.append([
      ...first,
      createEvent(other, 'y', { type: 'message_received', content: 'y' }),
    ]);
    await putRaw(name, { sessionKey: key, messageCount: 'many', state: 'bogus' });

    expect(await store.getSummary(key)).toBeUndefined();
    expect((await store.listSummaries()).map((s) => s.sessionKey)).toEqual([other]);
    expect(corrupt.map((c) => [c.store, c.key, c.error.code])).toEqual([
      ['sessions', key, 'serialization'],
      ['sessions', key, 'serialization'],
    ]);

    const next = createEvent(key, 'x', { type: 'message_received', content: 'two' });
    await store.append(next);
    const summary = await store.getSummary(key);
    const expected = project(await store.getEvents(key));
    expect(summary).toMatchObject({
      messageCount: 2,
      eventCount: 3,
      state: expected.state,
      channel: 'web',
      lastEventId: expected.lastEventId,
    });
    await store.close();
  });
});
