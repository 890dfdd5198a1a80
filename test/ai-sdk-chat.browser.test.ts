/**
 * Issue 14, sessionlog/ai-sdk with the real libraries in Chromium: useChat
 * (React 19 StrictMode) over a recordingTransport around the SDK's
 * DirectChatTransport and its MockLanguageModelV3. A second store on the same
 * database stands in for another tab; closing a store and opening another is
 * a reload.
 */
import { useChat } from '@ai-sdk/react';
import type { UIMessage } from 'ai';
import { afterEach, describe, expect, it } from 'vitest';
import { loadChat, recordingTransport } from '../src/ai-sdk/index.js';
import { type EventStore, openEventStore, siblingsOf } from '../src/index.js';
import { useDrafts, useSession } from '../src/react/index.js';
import { finish, Gate, scriptedTransport, textReply, toolCallReply } from './ai-sdk-model.js';
import { uniqueName } from './helpers.js';
import { type RenderedHook, renderHook } from './react-harness.js';
import { rawAll, waitFor } from './store-helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(name: string): Promise<EventStore> {
  const store = await openEventStore({ name, drafts: { checkpointMs: 20 } });
  cleanups.push(() => store.close());
  return store;
}

function mount<T>(hook: () => T): RenderedHook<T> {
  const rendered = renderHook(hook);
  cleanups.push(rendered.unmount);
  return rendered;
}

/** What a message shows, without the SDK's streaming bookkeeping (provider metadata, unset fields). */
const shown = (messages: readonly UIMessage[]) =>
  JSON.parse(JSON.stringify(messages)).map((m: UIMessage) => ({
    role: m.role,
    parts: m.parts.map((p) => {
      const {
        providerMetadata: _,
        callProviderMetadata: __,
        ...rest
      } = p as Record<string, unknown>;
      return rest;
    }),
  }));

const text = (m: UIMessage | undefined) =>
  m?.parts.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('') ?? '';

describe('useChat over a recording transport', () => {
  it('sends and streams; another tab shows the reply live; a reload finds the chat back', async () => {
    const name = uniqueName('ai-chat');
    const chatId = 'chat-1';
    const [here, there] = [await open(name), await open(name)];
    const gate = new Gate();
    const transport = recordingTransport(here, scriptedTransport([gate]));
    const chat = mount(() => useChat({ id: chatId, messages: [], transport }));
    const otherDrafts = mount(() => useDrafts(there, chatId));
    const otherSession = mount(() => useSession(there, chatId));

    void chat.latest().sendMessage({ text: 'Hi there' });
    gate.push({ type: 'stream-start', warnings: [] }, { type: 'text-start', id: 't' });
    gate.push({ type: 'text-delta', id: 't', delta: 'Hello' });
    await waitFor(() => otherDrafts.results.at(-1)?.[0]?.text === 'Hello');
    expect(otherDrafts.latest()[0]).toMatchObject({ status: 'streaming', local: false });
    gate.push(
      { type: 'text-delta', id: 't', delta: ', world' },
      { type: 'text-end', id: 't' },
      finish,
    );
    gate.close();
    await waitFor(
      () => chat.results.at(-1)?.status === 'ready' && chat.latest().messages.length === 2,
    );
    await waitFor(() => otherSession.results.at(-1)?.messages.length === 2);
    // The draft's end is posted once the reply's append resolves (journal frame included); the
    // commit is posted as soon as IndexedDB commits, so the other tab may see the reply a moment
    // before the draft goes (one fresh-clone run in about a dozen).
    await waitFor(() => otherDrafts.latest().length === 0);
    const live = chat.latest().messages;
    expect(text(live[1])).toBe('Hello, world');

    // Reload: a new store on the same database, the chat loaded for useChat.
    chat.unmount();
    await here.close();
    const reloaded = await open(name);
    const messages = await loadChat<UIMessage>(reloaded, chatId);
    expect(shown(messages)).toEqual(shown(live));
    expect(messages[1]!.metadata).toMatchObject({
      model: 'mock-1',
      totalUsage: { inputTokens: 10, outputTokens: 5 },
    });
    const again = mount(() =>
      useChat({
        id: chatId,
        messages,
        transport: recordingTransport(reloaded, scriptedTransport([])),
      }),
    );
    expect(shown(again.latest().messages)).toEqual(shown(live));
  });

  it('a reload mid-reply leaves an interrupted draft that reconnectToStream replays', async () => {
    const name = uniqueName('ai-chat');
    const chatId = 'chat-2';
    const writer = await open(name);
    const gate = new Gate();
    const chat = mount(() =>
      useChat({
        id: chatId,
        messages: [],
        transport: recordingTransport(writer, scriptedTransport([gate])),
      }),
    );
    void chat.latest().sendMessage({ text: 'Tell me a story' });
    gate.push({ type: 'stream-start', warnings: [] }, { type: 'text-start', id: 't' });
    gate.push({ type: 'text-delta', id: 't', delta: 'Once upon ' });
    await waitForAsync(
      async () => (await rawAll<{ text: string }>(name, 'drafts'))[0]?.text === 'Once upon ',
    );
    // The tab dies mid-reply.
    chat.unmount();
    await writer.close();

    const reloaded = await open(name);
    const [draft] = await reloaded.listInterruptedDrafts();
    expect(draft).toMatchObject({ sessionKey: chatId, text: 'Once upon ', status: 'interrupted' });
    const messages = await loadChat<UIMessage>(reloaded, chatId);
    expect(shown(messages)).toEqual([
      { role: 'user', parts: [{ type: 'text', text: 'Tell me a story' }] },
    ]);
    const resumed = mount(() =>
      useChat({
        id: chatId,
        messages,
        resume: true,
        transport: recordingTransport(reloaded, scriptedTransport([])),
      }),
    );
    await waitFor(() => text(resumed.results.at(-1)?.messages[1]) === 'Once upon ');
    expect(resumed.latest().messages[1]).toMatchObject({ id: draft!.id, role: 'assistant' });
  });

  it('tool calls and results round-trip, paired by call id', async () => {
    const name = uniqueName('ai-chat');
    const chatId = 'chat-3';
    const store = await open(name);
    const transport = recordingTransport(
      store,
      scriptedTransport([
        toolCallReply('call-7', 'weather', { city: 'Paris' }),
        textReply('It is 21 degrees.'),
      ]),
    );
    const chat = mount(() => useChat({ id: chatId, messages: [], transport }));
    void chat.latest().sendMessage({ text: 'Weather in Paris?' });
    await waitFor(
      () => chat.results.at(-1)?.status === 'ready' && text(chat.latest().messages[1]) !== '',
    );
    const live = chat.latest().messages;
    expect(live[1]!.parts.map((p) => p.type)).toEqual([
      'step-start',
      'tool-weather',
      'step-start',
      'text',
    ]);
    const events = await store.getEvents(chatId);
    expect(events.map((e) => e.kind.type)).toEqual([
      'message_received',
      'tool_called',
      'tool_result',
      'agent_response',
    ]);
    expect(events[1]!.kind).toMatchObject({ call_id: 'call-7', params: { city: 'Paris' } });
    expect(events[2]!.kind).toMatchObject({
      call_id: 'call-7',
      result: { city: 'Paris', celsius: 21 },
      success: true,
    });
    expect(shown(await loadChat<UIMessage>(store, chatId))).toEqual(shown(live));
  });

  it('regenerate and edit become sibling branches, never truncations', async () => {
    const name = uniqueName('ai-chat');
    const chatId = 'chat-4';
    const store = await open(name);
    const transport = recordingTransport(
      store,
      scriptedTransport([
        textReply('First answer.'),
        textReply('Second answer.'),
        textReply('Third answer.'),
      ]),
    );
    const chat = mount(() => useChat({ id: chatId, messages: [], transport }));
    const ready = (n: number, t: string) =>
      waitFor(
        () => chat.results.at(-1)?.status === 'ready' && text(chat.latest().messages[n]) === t,
      );
    void chat.latest().sendMessage({ text: 'Question?' });
    await ready(1, 'First answer.');
    void chat.latest().regenerate();
    await ready(1, 'Second answer.');
    let projection = await store.getProjection(chatId);
    const replies = projection.nodes.filter((n) => n.kind.type === 'agent_response');
    expect(replies).toHaveLength(2);
    expect(siblingsOf(projection, replies[1]!.id).map((n) => n.id)).toEqual(
      replies.map((r) => r.id),
    );
    expect((await loadChat<UIMessage>(store, chatId)).map(text)).toEqual([
      'Question?',
      'Second answer.',
    ]);

    void chat
      .latest()
      .sendMessage({ text: 'Better question?', messageId: chat.latest().messages[0]!.id });
    await ready(1, 'Third answer.');
    projection = await store.getProjection(chatId);
    const prompts = projection.nodes.filter((n) => n.kind.type === 'message_received');
    expect(prompts).toHaveLength(2);
    expect(siblingsOf(projection, prompts[1]!.id)).toHaveLength(2);
    expect((await loadChat<UIMessage>(store, chatId)).map(text)).toEqual([
      'Better question?',
      'Third answer.',
    ]);
    expect(projection.messages).toHaveLength(5); // nothing was deleted
  });
});

async function waitForAsync(check: () => Promise<boolean>, ms = 5_000): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
