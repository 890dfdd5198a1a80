/**
 * Issue 3, reading: event order (timestamp, id) as the reference, events
 * since a time, projections and `not_found`, session keys in code point
 * order, summaries without messages, and message paging through the index.
 */
import { describe, expect, it } from 'vitest';
import {
  type AnyEvent,
  compareEvents,
  createEvent,
  type EventKindInput,
  type EventStore,
  EventStoreError,
  type Message,
  mainSessionKey,
  project,
} from '../src/index.js';
import { conversation, openTestStore, unknownKindEvent } from './store-helpers.js';

const KEY = mainSessionKey('reader');

/** Events with shared timestamps and out-of-order arrival, appended in scrambled order. */
async function scrambled(store: EventStore): Promise<AnyEvent[]> {
  const at = (s: number) => new Date(Date.UTC(2025, 0, 15, 12, 0, s)).toISOString();
  const events: AnyEvent[] = [];
  for (let i = 0; i < 30; i++) {
    // Every three events share a timestamp: their order is decided by id.
    events.push(
      createEvent(
        KEY,
        'a',
        { type: 'message_received', content: `m${i}` },
        { timestamp: at(Math.floor(i / 3)) },
      ),
    );
  }
  // Reference-style timestamps with fewer fraction digits sort by their instant.
  events.push(
    createEvent(
      KEY,
      'a',
      { type: 'state_changed', key: 'k', value: 1 },
      { timestamp: '2025-01-15T12:00:04.5Z' },
    ),
  );
  const order = [...events].sort((x, y) => (x.id < y.id ? -1 : 1)); // neither time nor creation order
  for (let i = 0; i < order.length; i += 4) await store.append(order.slice(i, i + 4));
  return events;
}

describe('reads', () => {
  it('getEvents returns (timestamp, id) order whatever the append order, duplicates once', async () => {
    const store = await openTestStore();
    const events = await scrambled(store);
    await store.append([events[5]!, events[0]!]);
    const got = await store.getEvents(KEY);
    expect(got.map((e) => e.id)).toEqual([...events].sort(compareEvents).map((e) => e.id));
    for (let i = 1; i < got.length; i++)
      expect(compareEvents(got[i - 1]!, got[i]!)).toBeLessThan(0);
    expect(got).toEqual([...events].sort(compareEvents));
    expect(await store.getEvents(mainSessionKey('nobody'))).toEqual([]);
    await store.close();
  });

  it('getEventsSince returns the events strictly after a time, in order', async () => {
    const store = await openTestStore();
    const events = [...(await scrambled(store))].sort(compareEvents);
    const all = await store.getEvents(KEY);
    // A timestamp shared by three events: all three are excluded ("strictly after").
    const since = events[6]!.timestamp;
    const after = await store.getEventsSince(KEY, since);
    expect(after.map((e) => e.id)).toEqual(all.filter((e) => e.timestamp > since).map((e) => e.id));
    expect(after.every((e) => e.timestamp > since)).toBe(true);
    expect(after.length).toBe(all.length - 9);
    // The reference's short form of the same instant means the same thing.
    const short = await store.getEventsSince(KEY, '2025-01-15T12:00:02Z');
    expect(short.map((e) => e.id)).toEqual(after.map((e) => e.id));
    expect(await store.getEventsSince(KEY, '2020-01-01T00:00:00Z')).toEqual(all);
    expect(await store.getEventsSince(KEY, '2030-01-01T00:00:00Z')).toEqual([]);
    await expect(store.getEventsSince(KEY, 'not a time')).rejects.toMatchObject({
      code: 'validation',
      field: 'since',
    });
    await store.close();
  });

  it('getProjection equals project(getEvents) and rejects not_found for an unknown session', async () => {
    const store = await openTestStore();
    await store.append(conversation(store, KEY));
    await store.append(conversation(store, KEY, 'default', 1));
    const projection = await store.getProjection(KEY);
    expect(projection).toEqual(project(await store.getEvents(KEY)));
    expect(projection.messageCount).toBe(2);
    const error = await store.getProjection(mainSessionKey('ghost')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventStoreError);
    expect((error as EventStoreError).code).toBe('not_found');
    await store.close();
  });

  it('listSessions orders keys by code point (UTF-8 byte order), not UTF-16', async () => {
    const store = await openTestStore();
    const keys = ['é', 'Ａ', '😀', 'Z', 'a', 'agent:default:main', 'ab', 'a\u0301'];
    await Promise.all(
      keys.map((k) => store.record(k, 'x', { type: 'message_received', content: k })),
    );
    const listed = await store.listSessions();
    // U+1F600 is a surrogate pair (0xD83D…) that UTF-16 order puts before U+FF21.
    // 'a\u0301' is 61 CC 81 in UTF-8, so it follows 'ab' (61 62) and 'agent…' (61 67).
    expect(listed).toEqual(['Z', 'a', 'ab', 'agent:default:main', 'a\u0301', 'é', 'Ａ', '😀']);
    const bytes = listed.map((k) => [...new TextEncoder().encode(k)]);
    for (let i = 1; i < bytes.length; i++) {
      const [x, y] = [bytes[i - 1]!, bytes[i]!];
      const diff = x.findIndex((b, j) => b !== y[j]);
      expect(diff === -1 ? x.length < y.length : x[diff]! < (y[diff] ?? -1)).toBe(true);
    }
    await store.close();
  });

  it('listSummaries lists every session, most recent activity first, without messages', async () => {
    const store = await openTestStore();
    const keys = ['s1', 's2', 's3'].map(mainSessionKey);
    for (const key of keys) await store.append(conversation(store, key));
    // s1 becomes the most recent.
    await store.record(keys[0]!, 'default', { type: 'message_received', content: 'again' });
    const summaries = await store.listSummaries();
    expect(summaries.map((s) => s.sessionKey)).toEqual([keys[0], keys[2], keys[1]]);
    for (const s of summaries) {
      expect(s).not.toHaveProperty('messages');
      const events = await store.getEvents(s.sessionKey);
      const p = project(events);
      expect(s).toMatchObject({
        messageCount: p.messageCount,
        state: p.state,
        tokens: p.tokens,
        lastActivity: p.lastActivity,
        lastEventId: p.lastEventId,
        eventCount: events.length,
      });
      expect(s.bytes).toBeGreaterThan(0);
      expect(await store.getSummary(s.sessionKey)).toEqual(s);
    }
    expect(summaries[0]!.messageCount).toBe(2);
    expect(await store.getSummary(mainSessionKey('none'))).toBeUndefined();
    await store.close();
  });
});

describe('getMessages', () => {
  /** 45 messages among 70 events of every kind, some unknown, with shared timestamps. */
  async function mixed(store: EventStore): Promise<{ events: AnyEvent[]; messages: Message[] }> {
    const events: AnyEvent[] = [];
    const at = (i: number) => new Date(Date.UTC(2025, 2, 1, 0, 0, Math.floor(i / 2))).toISOString();
    const kinds: EventKindInput[] = [];
    for (let i = 0; i < 70; i++) {
      const k = i % 7;
      kinds.push(
        k === 0
          ? { type: 'message_received', content: `in ${i}` }
          : k === 1
            ? { type: 'tool_called', tool_name: 't', params: { i } }
            : k === 2
              ? { type: 'tool_result', tool_name: 't', result: i, success: i % 2 === 0 }
              : k === 3
                ? { type: 'state_changed', key: 'i', value: i }
                : k === 4
                  ? { type: 'message_sent', content: `out ${i}`, message_id: `m${i}` }
                  : k === 5
                    ? {
                        type: 'agent_response',
                        content: `r ${i}`,
                        model: 'm',
                        tokens: { input_tokens: 1, output_tokens: 2 },
                      }
                    : { type: 'message_received', content: `in' ${i}` },
      );
    }
    kinds.forEach((kind, i) => {
      events.push(createEvent(KEY, 'a', kind, { timestamp: at(i) }));
    });
    // An unknown kind from a newer version: kept, never a message.
    events.push(unknownKindEvent(KEY, at(3)), unknownKindEvent(KEY, at(40), 1));
    await store.append([...events].reverse());
    return { events, messages: [...project(events).messages] };
  }

  it('pages backwards from the latest, then forwards, over a session mixing kinds', async () => {
    const store = await openTestStore();
    const { messages } = await mixed(store);
    expect(messages.length).toBe(50);
    const latest = await store.getMessages(KEY, { limit: 20 });
    expect(latest.messages).toEqual(messages.slice(30));
    expect(latest.hasMore).toBe(true);

    const collected: Message[] = [...latest.messages];
    let before = latest.messages[0]!;
    for (;;) {
      const page = await store.getMessages(KEY, { limit: 7, before });
      collected.unshift(...page.messages);
      if (!page.hasMore) {
        expect(page.messages.length).toBeLessThanOrEqual(7);
        break;
      }
      expect(page.messages).toHaveLength(7);
      before = page.messages[0]!;
    }
    expect(collected).toEqual(messages);

    const forward: Message[] = [messages[0]!];
    let after = messages[0]!;
    for (;;) {
      const page = await store.getMessages(KEY, { limit: 9, after });
      forward.push(...page.messages);
      if (!page.hasMore) break;
      after = page.messages.at(-1)!;
    }
    expect(forward).toEqual(messages);

    // Exactly a full page left: hasMore is false.
    const exact = await store.getMessages(KEY, { limit: 10, before: messages[10]! });
    expect(exact).toEqual({ messages: messages.slice(0, 10), hasMore: false });
    const all = await store.getMessages(KEY, { limit: 1000 });
    expect(all).toEqual({ messages, hasMore: false });
    // Default page size is 50.
    expect((await store.getMessages(KEY)).messages).toEqual(messages);
    // A cursor that is any (timestamp, id), not only a message.
    const events = await store.getEvents(KEY);
    const toolCall = events.find((e) => e.kind.type === 'tool_called')!;
    const around = await store.getMessages(KEY, { limit: 3, after: toolCall });
    expect(around.messages).toEqual(
      messages.filter((m) => compareEvents(m, toolCall) > 0).slice(0, 3),
    );
    // A cursor timestamp in the reference's short form means the same instant.
    const whole = messages.find((m) => m.timestamp.endsWith('.000000000Z'))!;
    const short = { timestamp: whole.timestamp.replace('.000000000Z', 'Z'), id: whole.id };
    expect(await store.getMessages(KEY, { limit: 4, before: short })).toEqual(
      await store.getMessages(KEY, { limit: 4, before: whole }),
    );
    expect(await store.getMessages(mainSessionKey('empty'))).toEqual({
      messages: [],
      hasMore: false,
    });
    await store.close();
  });

  it('validates limit and cursors', async () => {
    const store = await openTestStore();
    for (const limit of [0, -1, 1.5, 1001, Number.NaN, Number.POSITIVE_INFINITY, '5']) {
      await expect(
        store.getMessages(KEY, { limit: limit as number }),
        `limit ${String(limit)}`,
      ).rejects.toMatchObject({ code: 'validation', field: 'limit' });
    }
    const cursor = { timestamp: '2025-01-01T00:00:00.000000000Z', id: 'a'.repeat(64) };
    await expect(store.getMessages(KEY, { before: cursor, after: cursor })).rejects.toMatchObject({
      code: 'validation',
    });
    for (const [side, bad, field] of [
      ['before', {}, 'before'],
      ['after', { timestamp: cursor.timestamp }, 'after'],
      ['before', { timestamp: 'yesterday', id: cursor.id }, 'before.timestamp'],
      ['after', 'latest', 'after'],
    ] as const) {
      await expect(
        store.getMessages(KEY, { [side]: bad as never }),
        `${side} ${JSON.stringify(bad)}`,
      ).rejects.toMatchObject({ code: 'validation', field });
    }
    await expect(store.getMessages(KEY, { limit: 1 })).resolves.toEqual({
      messages: [],
      hasMore: false,
    });
    await store.close();
  });
});
