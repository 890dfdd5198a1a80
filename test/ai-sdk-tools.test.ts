/**
 * Issue 14, sessionlog/ai-sdk: tool approvals (`approval-requested`,
 * `approval-responded`, `output-denied`) and dynamic tools round-trip
 * losslessly, through the UI parts and through the chunk stream, where the
 * expected message is what the SDK's own `readUIMessageStream` builds from
 * the same chunks. Sources, files and data parts are stored as their chunks
 * arrive; a send reads the chat through the log, never its projection.
 */
import { readUIMessageStream, type UIMessage, type UIMessageChunk } from 'ai';
import { describe, expect, it, vi } from 'vitest';
import {
  appendUIMessage,
  kindsOfUIMessage,
  loadChat,
  recordingTransport,
  type UIMessageLike,
} from '../src/ai-sdk/index.js';
import type { ChatTransportLike } from '../src/ai-sdk/ui-types.js';
import type { EventStore } from '../src/index.js';
import { openTestStore } from './store-helpers.js';

const KEY = 'chat-tools';

const assistant: UIMessageLike = {
  id: 'a1',
  role: 'assistant',
  parts: [
    { type: 'step-start' },
    {
      type: 'dynamic-tool',
      toolName: 'lookup',
      toolCallId: 'd1',
      state: 'output-available',
      input: { q: 'x' },
      output: { hits: 2 },
      title: 'Look up',
      providerExecuted: true,
      callProviderMetadata: { p: { a: 1 } },
    },
    {
      type: 'dynamic-tool',
      dynamic: false,
      toolName: 'weather',
      toolCallId: 'd2',
      state: 'input-available',
      input: { city: 'Paris' },
    },
    {
      type: 'tool-pay',
      toolCallId: 'p1',
      state: 'output-available',
      input: { eur: 5 },
      output: 'paid',
      approval: { id: 'ap-p1', approved: true, reason: 'fine' },
    },
    {
      type: 'tool-wipe',
      toolCallId: 'w1',
      state: 'output-denied',
      input: { all: true },
      approval: { id: 'ap-w1', approved: false, reason: 'no way' },
    },
    {
      type: 'tool-send',
      toolCallId: 's1',
      state: 'approval-responded',
      input: { to: 'bob' },
      approval: { id: 'ap-s1', approved: true },
    },
    {
      type: 'tool-delete',
      toolCallId: 'x1',
      state: 'approval-requested',
      input: { id: 7 },
      approval: { id: 'ap-x1', signature: 'sig', descriptor: { risk: 'high' } },
    },
    {
      type: 'tool-search',
      toolCallId: 'q1',
      state: 'input-streaming',
      input: { q: 'par' },
      rawInput: '{"q":"par',
    },
  ],
};

const user = (id: string, text: string): UIMessageLike => ({
  id,
  role: 'user',
  parts: [{ type: 'text', text }],
});

/** A transport whose replies are scripted chunk lists, one per send. */
function scripted(replies: UIMessageChunk[][]): ChatTransportLike {
  return {
    async sendMessages() {
      const chunks = replies.shift() ?? [];
      return new ReadableStream<UIMessageChunk>({
        start(controller) {
          for (const chunk of chunks) controller.enqueue(chunk);
          controller.close();
        },
      });
    },
    async reconnectToStream() {
      return null;
    },
  };
}

/** What the SDK itself makes of `chunks` (continuing `message`, if given). */
async function sdkMessage(chunks: UIMessageChunk[], message?: UIMessage): Promise<UIMessage> {
  let last: UIMessage | undefined;
  const stream = new ReadableStream<UIMessageChunk>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(chunk);
      controller.close();
    },
  });
  for await (const m of readUIMessageStream({ stream, ...(message ? { message } : {}) })) last = m;
  return last!;
}

/** A message's parts as JSON (the SDK leaves fields set to `undefined`). */
const json = (m: { parts: unknown[] } | undefined) => JSON.parse(JSON.stringify(m?.parts ?? []));

async function drain(stream: ReadableStream<unknown>): Promise<void> {
  const reader = stream.getReader();
  while (!(await reader.read()).done);
}

async function send(store: EventStore, transport: ChatTransportLike, messages: UIMessageLike[]) {
  const wrapped = recordingTransport(store, transport);
  await drain(
    await wrapped.sendMessages({
      trigger: 'submit-message',
      chatId: KEY,
      messageId: undefined,
      messages,
      abortSignal: undefined,
    }),
  );
  return wrapped;
}

describe('tool approvals and dynamic tools', () => {
  it('every approval state and dynamic tool part round-trips through the events', async () => {
    const store = await openTestStore();
    const u = await appendUIMessage(store, KEY, user('u1', 'Go'), null);
    await appendUIMessage(store, KEY, assistant, u!.last);
    const [, back] = await loadChat(store, KEY);
    expect(back!.parts).toEqual(assistant.parts);
    expect(kindsOfUIMessage(back!)).toEqual(kindsOfUIMessage(assistant));
    // The approval and the other fields the events do not model are in the call's meta.
    const events = await store.getEvents(KEY);
    const wipe = events.find((e) => e.kind.type === 'tool_called' && e.kind.call_id === 'w1');
    expect(wipe!.kind).toMatchObject({
      meta: { approval: { id: 'ap-w1', approved: false, reason: 'no way' } },
    });
    await store.close();
  });

  it('bad tool parts are typed errors and write nothing', async () => {
    const store = await openTestStore();
    const bad = (part: Record<string, unknown>) =>
      appendUIMessage(store, KEY, { id: 'b', role: 'assistant', parts: [part as never] }, null);
    await expect(
      bad({ type: 'tool-x', toolCallId: 'c', state: 'approval-pending', input: {} }),
    ).rejects.toMatchObject({ code: 'validation', field: 'message.parts[0].state' });
    await expect(
      bad({ type: 'dynamic-tool', toolCallId: 'c', state: 'input-available', input: {} }),
    ).rejects.toMatchObject({ code: 'validation', field: 'message.parts[0].toolName' });
    await expect(
      bad({ type: 'tool-x', toolCallId: 'c', state: 'input-available', input: {}, title: () => 1 }),
    ).rejects.toMatchObject({ code: 'validation', field: expect.stringMatching(/^kind\.meta/) });
    // A message of another chat: refused, not copied into this one.
    const elsewhere = await appendUIMessage(store, 'other-chat', user('o1', 'Elsewhere'), null);
    await expect(
      send(store, scripted([]), [
        { ...user('o1', 'Elsewhere'), id: elsewhere!.first },
        user('n1', 'Here'),
      ]),
    ).rejects.toMatchObject({ code: 'validation', field: 'messages[0].id' });
    await store.deleteSession('other-chat');
    const twice = { type: 'tool-x', toolCallId: 'same', state: 'input-available', input: {} };
    await expect(
      appendUIMessage(store, KEY, { id: 'b', role: 'assistant', parts: [twice, twice] }, null),
    ).rejects.toMatchObject({ code: 'validation', field: 'message.parts[1].toolCallId' });
    expect(await store.listSessions()).toEqual([]);
    await store.close();
  });

  it('the chunk stream: an approval asked, answered on the next send, then denied or run, reads back as the SDK shows it', async () => {
    const store = await openTestStore();
    const first: UIMessageChunk[] = [
      { type: 'start', messageId: 'r1' },
      { type: 'start-step' },
      {
        type: 'tool-input-available',
        toolCallId: 'c-wipe',
        toolName: 'wipe',
        input: { all: true },
        title: 'Wipe',
      },
      { type: 'tool-approval-request', approvalId: 'ap1', toolCallId: 'c-wipe', signature: 's' },
      {
        type: 'tool-input-available',
        toolCallId: 'c-dyn',
        toolName: 'mcp_search',
        input: { q: 'x' },
        dynamic: true,
        providerMetadata: { mcp: { server: 'a' } },
      },
      { type: 'tool-approval-request', approvalId: 'ap2', toolCallId: 'c-dyn' },
      { type: 'finish-step' },
      { type: 'finish' },
    ];
    const asked = await sdkMessage(first);
    const transport = scripted([first]);
    await send(store, transport, [user('u1', 'Clean up')]);
    const [, stored] = await loadChat(store, KEY);
    expect(json(stored)).toEqual(json(asked));

    // The user denies one and approves the other; the next send records the answers, and the
    // continuation stream the outcome.
    const answered = {
      ...asked,
      parts: asked.parts.map((p) =>
        'approval' in p && p.approval
          ? {
              ...p,
              state: 'approval-responded',
              approval: { ...p.approval, approved: p.toolCallId === 'c-dyn', reason: 'user' },
            }
          : p,
      ),
    } as UIMessage;
    const second: UIMessageChunk[] = [
      { type: 'start', messageId: 'r1' },
      { type: 'tool-output-denied', toolCallId: 'c-wipe' },
      {
        type: 'tool-output-available',
        toolCallId: 'c-dyn',
        output: ['hit'],
        dynamic: true,
        providerMetadata: { mcp: { ms: 3 } },
      },
      { type: 'start-step' },
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'Searched, did not wipe.' },
      { type: 'text-end', id: 't' },
      { type: 'finish-step' },
      { type: 'finish' },
    ];
    const done = await sdkMessage(second, structuredClone(answered));
    transport.sendMessages = scripted([second]).sendMessages;
    const chat = (await loadChat(store, KEY)) as UIMessageLike[];
    await send(store, transport, [chat[0]!, { ...answered, id: chat[1]!.id } as UIMessageLike]);
    const [, final] = await loadChat(store, KEY);
    expect(json(final)).toEqual(json(done));
    expect(final!.parts.map((p) => p.state ?? p.type)).toEqual([
      'step-start',
      'output-denied',
      'output-available',
      'step-start',
      'done',
    ]);
    await store.close();
  });

  it('sources, files and data are stored as their chunks arrive; a send reads no projection', async () => {
    const store = await openTestStore();
    let feed!: ReadableStreamDefaultController<UIMessageChunk>;
    const inner: ChatTransportLike = {
      async sendMessages() {
        return new ReadableStream<UIMessageChunk>({
          start(controller) {
            feed = controller;
          },
        });
      },
      async reconnectToStream() {
        return null;
      },
    };
    const u = await appendUIMessage(store, KEY, user('u0', 'Earlier'), null);
    await appendUIMessage(
      store,
      KEY,
      { id: 'a0', role: 'assistant', parts: [{ type: 'text', text: 'Sure.' }] },
      u!.last,
    );
    const history = (await loadChat(store, KEY)) as UIMessageLike[];
    const projection = vi.spyOn(store, 'getProjection');
    const events = vi.spyOn(store, 'getEvents');
    const stream = await recordingTransport(store, inner).sendMessages({
      trigger: 'submit-message',
      chatId: KEY,
      messageId: undefined,
      messages: [...history, user('u1', 'Sources?')],
      abortSignal: undefined,
    });
    const reader = stream.getReader();
    const step = async (chunk: UIMessageChunk) => {
      feed.enqueue(chunk);
      await reader.read(); // passed on: what it completes is stored
      return (await store.getEvents(KEY)).length;
    };
    const before = (await store.getEvents(KEY)).length;
    await step({ type: 'start', messageId: 'r' });
    await step({ type: 'text-start', id: 't' });
    await step({ type: 'text-delta', id: 't', delta: 'See ' });
    await step({ type: 'text-end', id: 't' });
    // The text so far, then the source: two events, before the reply finishes.
    expect(await step({ type: 'source-url', sourceId: 's', url: 'https://a.example' })).toBe(
      before + 2,
    );
    expect(
      await step({ type: 'file', mediaType: 'image/png', url: 'https://a.example/p.png' }),
    ).toBe(before + 3);
    expect(await step({ type: 'data-progress', id: 'p', data: { pct: 50 } })).toBe(before + 4);
    // A data part with the id of an earlier one replaces it when read, as in the SDK.
    expect(await step({ type: 'data-progress', id: 'p', data: { pct: 100 } })).toBe(before + 5);
    feed.enqueue({ type: 'finish' });
    feed.close();
    while (!(await reader.read()).done);
    expect(projection).not.toHaveBeenCalled();
    projection.mockRestore();
    events.mockRestore();
    const [, , , reply] = await loadChat(store, KEY);
    expect(reply!.parts).toEqual([
      { type: 'step-start' },
      { type: 'text', text: 'See ', state: 'done' },
      { type: 'source-url', sourceId: 's', url: 'https://a.example' },
      { type: 'file', mediaType: 'image/png', url: 'https://a.example/p.png' },
      { type: 'data-progress', id: 'p', data: { pct: 100 } },
    ]);
    await store.close();
  });
});
