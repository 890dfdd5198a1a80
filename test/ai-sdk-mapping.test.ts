/**
 * Issue 14, sessionlog/ai-sdk: UI messages to events and back. Every part
 * type the AI SDK stores round-trips, tool calls pair with their results by
 * call id, usage comes back from the metadata, and bad input is a typed error
 * that writes nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  appendUIMessage,
  kindsOfUIMessage,
  loadChat,
  toUIMessages,
  type UIMessageLike,
} from '../src/ai-sdk/index.js';
import { type EventKindInput, mainSessionKey, siblingsOf } from '../src/index.js';
import { openTestStore } from './store-helpers.js';

const KEY = mainSessionKey('ai');

const user: UIMessageLike = {
  id: 'u1',
  role: 'user',
  parts: [
    { type: 'text', text: 'What is the weather in ' },
    { type: 'text', text: 'Paris?' },
    { type: 'file', mediaType: 'image/png', url: 'https://example.com/a.png', filename: 'a.png' },
  ],
};

const assistant: UIMessageLike = {
  id: 'a1',
  role: 'assistant',
  metadata: {
    model: 'mock-1',
    totalUsage: { inputTokens: 12, outputTokens: 7, inputTokenDetails: { cacheReadTokens: 3 } },
  },
  parts: [
    { type: 'step-start' },
    { type: 'reasoning', text: 'Look it up.', state: 'done' },
    { type: 'text', text: 'Checking.', state: 'done' },
    {
      type: 'tool-weather',
      toolCallId: 'call-1',
      state: 'output-available',
      input: { city: 'Paris' },
      output: { celsius: 21 },
    },
    {
      type: 'tool-weather',
      toolCallId: 'call-2',
      state: 'output-error',
      input: { city: 'Atlantis' },
      errorText: 'no such city',
    },
    { type: 'step-start' },
    { type: 'text', text: 'It is 21 °C.', state: 'done' },
    { type: 'source-url', sourceId: 's1', url: 'https://weather.example', title: 'Weather' },
    { type: 'source-document', sourceId: 's2', mediaType: 'application/pdf', title: 'Report' },
    { type: 'file', mediaType: 'text/plain', url: 'data:text/plain,hi' },
    { type: 'data-chart', id: 'c1', data: { points: [1, 2, 3] } },
  ],
};

describe('UI messages to events and back', () => {
  it('round-trips every stored part type, tools paired by call id, usage from metadata', async () => {
    const store = await openTestStore();
    const u = await appendUIMessage(store, KEY, user, null);
    const a = await appendUIMessage(store, KEY, assistant, u!.last);
    const events = await store.getEvents(KEY);
    expect(events.map((e) => e.kind.type)).toEqual([
      'message_received',
      'agent_response',
      'tool_called',
      'tool_called',
      'tool_result',
      'tool_result',
      'agent_response',
    ]);
    expect(events.at(-1)!.kind).toMatchObject({
      model: 'mock-1',
      tokens: { input_tokens: 12, output_tokens: 7, cache_read_tokens: 3 },
    });

    const [u2, a2] = await loadChat(store, KEY);
    expect(u2).toEqual({
      id: u!.first,
      role: 'user',
      parts: [
        { type: 'text', text: 'What is the weather in ' },
        { type: 'text', text: 'Paris?' },
        { ...user.parts[2] },
      ],
    });
    expect(a2!.id).toBe(a!.first);
    expect(a2!.metadata).toEqual({
      model: 'mock-1',
      totalUsage: { inputTokens: 12, outputTokens: 7, totalTokens: 19, cachedInputTokens: 3 },
    });
    // The same parts, step boundaries included, with `state: 'done'` on text and reasoning.
    expect(a2!.parts).toEqual(
      assistant.parts.map((p) =>
        p.type === 'text' || p.type === 'reasoning' ? { ...p, state: 'done' } : p,
      ),
    );
    // And the mapping is its own inverse from there on.
    expect(kindsOfUIMessage(a2!)).toEqual(kindsOfUIMessage(assistant));
    await store.close();
  });

  it('reads the reference linear log: results pair with calls by tool name', async () => {
    const store = await openTestStore();
    for (const kind of [
      { type: 'message_received', content: 'hi' },
      { type: 'tool_called', tool_name: 'search', params: { q: 'x' } },
      { type: 'tool_result', tool_name: 'search', result: ['r'], success: true },
      {
        type: 'agent_response',
        content: 'found',
        model: 'm',
        tokens: { input_tokens: 1, output_tokens: 2 },
      },
    ] as EventKindInput[])
      await store.record(KEY, 'a', kind);
    const messages = toUIMessages(await store.getProjection(KEY));
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(messages[1]!.parts).toEqual([
      { type: 'step-start' },
      expect.objectContaining({
        type: 'tool-search',
        state: 'output-available',
        input: { q: 'x' },
        output: ['r'],
      }),
      { type: 'step-start' },
      { type: 'text', text: 'found', state: 'done' },
    ]);
    await store.close();
  });

  it('an edit is a sibling branch, and the chat shows the active path', async () => {
    const store = await openTestStore();
    const first = await appendUIMessage(
      store,
      KEY,
      { id: 'x', role: 'user', parts: [{ type: 'text', text: 'one' }] },
      null,
    );
    await appendUIMessage(
      store,
      KEY,
      { id: 'y', role: 'assistant', parts: [{ type: 'text', text: 'reply' }] },
      first!.last,
    );
    const edit = await appendUIMessage(
      store,
      KEY,
      { id: 'z', role: 'user', parts: [{ type: 'text', text: 'two' }] },
      null,
    );
    const projection = await store.getProjection(KEY);
    expect(siblingsOf(projection, edit!.first).map((n) => n.id)).toEqual([
      first!.first,
      edit!.first,
    ]);
    expect((await loadChat(store, KEY)).map((m) => m.parts)).toEqual([
      [{ type: 'text', text: 'two' }],
    ]);
    await store.close();
  });

  it('bad input is a validation error naming the field, and writes nothing', async () => {
    const store = await openTestStore();
    const cases: Array<[unknown, string]> = [
      [{ id: 'm', role: 'user', parts: [{ type: 'hologram' }] }, 'message.parts[0].type'],
      [{ role: 'user', parts: [] }, 'message.id'],
      [{ id: 'm', role: 'system', parts: [{ type: 'text', text: 'be nice' }] }, 'message.role'],
      [{ id: 'm', role: 'user', parts: 'text' }, 'message.parts'],
      [{ id: 'm', role: 'user', parts: [{ type: 'text', text: 3 }] }, 'message.parts[0].text'],
      [
        {
          id: 'm',
          role: 'assistant',
          parts: [{ type: 'tool-x', state: 'input-available', input: {} }],
        },
        'message.parts[0].toolCallId',
      ],
      [
        { id: 'm', role: 'assistant', parts: [{ type: 'data-', data: 1 }] },
        'message.parts[0].type',
      ],
      [
        {
          id: 'm',
          role: 'assistant',
          parts: [{ type: 'text', text: 'ok' }, { type: 'mystery-part' }],
        },
        'message.parts[1].type',
      ],
    ];
    for (const [message, field] of cases) {
      await expect(
        appendUIMessage(store, KEY, message as UIMessageLike, null),
        JSON.stringify(message),
      ).rejects.toMatchObject({ code: 'validation', field });
    }
    expect(await store.getEvents(KEY)).toEqual([]);
    expect(await loadChat(store, 'no such chat')).toEqual([]);
    await store.close();
  });
});
