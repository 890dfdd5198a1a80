/**
 * Issue 14, sessionlog/assistant-ui with the real library in Chromium:
 * useRemoteThreadListRuntime over createThreadListAdapter, each thread's
 * history through the adapter's unstable_useAdapters, useLocalRuntime with a
 * scripted ChatModelAdapter. Threads and messages persist, rename/archive are
 * state_changed events, another store (tab) lists and switches to them, and
 * bad input to the history adapter is a typed error.
 */
import {
  type AssistantRuntime,
  AssistantRuntimeProvider,
  type ChatModelAdapter,
  type RemoteThreadListAdapter,
  type ThreadMessage,
  useLocalRuntime,
  useRemoteThreadListRuntime,
} from '@assistant-ui/react';
import { createElement } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ARCHIVED_KEY,
  createThreadHistoryAdapter,
  createThreadListAdapter,
  TITLE_KEY,
} from '../src/assistant-ui/index.js';
import { type EventStore, openEventStore } from '../src/index.js';
import { uniqueName } from './helpers.js';
import { renderElement } from './react-harness.js';
import { waitFor } from './store-helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function open(name: string): Promise<EventStore> {
  const store = await openEventStore({ name });
  cleanups.push(() => store.close());
  return store;
}

/** Answers every prompt with "Echo: <prompt>". */
const echo: ChatModelAdapter = {
  async run({ messages }) {
    const last = messages[messages.length - 1];
    const text = last?.content.map((p) => (p.type === 'text' ? p.text : '')).join('') ?? '';
    return { content: [{ type: 'text', text: `Echo: ${text}` }] };
  },
};

function useEchoRuntime() {
  return useLocalRuntime(echo);
}

interface AppProps {
  adapter: RemoteThreadListAdapter;
  onRuntime: (runtime: AssistantRuntime) => void;
}

function App({ adapter, onRuntime }: AppProps) {
  // readme:assistant-ui:start
  const runtime = useRemoteThreadListRuntime({ runtimeHook: useEchoRuntime, adapter });
  // readme:assistant-ui:end
  onRuntime(runtime);
  return createElement(AssistantRuntimeProvider, { runtime }, null);
}

/** Mounts an assistant-ui app over `store`; returns its runtime. */
function mountApp(store: EventStore): { runtime: () => AssistantRuntime; unmount(): void } {
  let runtime: AssistantRuntime | undefined;
  // readme:adapter:start
  const adapter = createThreadListAdapter(store);
  // readme:adapter:end
  const { unmount } = renderElement(
    createElement(App, {
      adapter,
      onRuntime: (r) => {
        runtime = r;
      },
    }),
  );
  cleanups.push(unmount);
  return {
    runtime: () => {
      if (!runtime) throw new Error('not rendered');
      return runtime;
    },
    unmount,
  };
}

const texts = (messages: readonly ThreadMessage[]) =>
  messages.map(
    (m) => `${m.role}: ${m.content.map((p) => (p.type === 'text' ? p.text : '')).join('')}`,
  );

describe('assistant-ui over sessionlog', () => {
  it('a thread and its messages persist; another tab lists it, renames show, switching loads it', async () => {
    const name = uniqueName('aui');
    const here = await open(name);
    const app = mountApp(here);
    await waitFor(() => app.runtime().threads.getState().isLoading === false);
    app.runtime().thread.append({ role: 'user', content: [{ type: 'text', text: 'Hello' }] });
    await waitFor(
      () =>
        app.runtime().thread.getState().messages.length === 2 &&
        !app.runtime().thread.getState().isRunning,
    );
    // Both messages reach the store (the runtime appends the reply when its run ends).
    const waitStored = async () => {
      for (let i = 0; i < 500; i++) {
        const s = await here.listSummaries();
        if (s[0] && s[0].messageCount === 1 && s[0].tokens.responses === 1) return s;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('messages not stored');
    };
    const [summary] = await waitStored();
    const key = summary!.sessionKey;
    await app
      .runtime()
      .threads.getItemById(app.runtime().threads.getState().mainThreadId)
      .rename('Greetings');
    expect((await here.getProjection(key)).customState[TITLE_KEY]).toBe('Greetings');

    // Another tab: a fresh runtime over another store on the same database.
    const there = await open(name);
    const other = mountApp(there);
    await waitFor(() => other.runtime().threads.getState().threadIds.length === 1);
    const [threadId] = other.runtime().threads.getState().threadIds;
    expect(other.runtime().threads.getState().threadItems[threadId!]).toMatchObject({
      remoteId: key,
      title: 'Greetings',
    });
    await other.runtime().threads.switchToThread(threadId!);
    await waitFor(() => other.runtime().thread.getState().messages.length === 2);
    expect(texts(other.runtime().thread.getState().messages)).toEqual([
      'user: Hello',
      'assistant: Echo: Hello',
    ]);

    // Archive is a state_changed event too; delete removes the session everywhere.
    await other.runtime().threads.getItemById(threadId!).archive();
    expect((await there.getProjection(key)).customState[ARCHIVED_KEY]).toBe(true);
    await other.runtime().threads.getItemById(threadId!).delete();
    await waitFor(() => other.runtime().threads.getState().archivedThreadIds.length === 0);
    expect(await here.listSummaries()).toEqual([]);
  });

  it('live across tabs: the list follows threads made, renamed, archived, deleted elsewhere; the open thread shows their messages', async () => {
    const name = uniqueName('aui');
    const here = mountApp(await open(name));
    const there = mountApp(await open(name));
    await waitFor(() => there.runtime().threads.getState().isLoading === false);
    await waitFor(() => here.runtime().threads.getState().isLoading === false);
    const items = (app: typeof here) => Object.values(app.runtime().threads.getState().threadItems);
    const itemOf = (app: typeof here, key: string) => items(app).find((i) => i.remoteId === key);

    // A thread made here shows in the other tab's list without any reload call.
    here.runtime().thread.append({ role: 'user', content: [{ type: 'text', text: 'Hello' }] });
    await waitFor(() => here.runtime().threads.getState().threadIds.length === 1);
    await waitFor(() => items(there).some((i) => i.remoteId !== undefined), 10_000);
    const key = items(there).find((i) => i.remoteId !== undefined)!.remoteId!;
    await waitFor(() => itemOf(here, key) !== undefined);

    // Renamed here: the other list shows the title. Archived there: this list shows it archived.
    await here.runtime().threads.getItemById(itemOf(here, key)!.id).rename('Greetings');
    await waitFor(() => itemOf(there, key)?.title === 'Greetings', 10_000);
    await waitFor(() => !here.runtime().thread.getState().isRunning);
    await there.runtime().threads.getItemById(itemOf(there, key)!.id).archive();
    await waitFor(() => itemOf(here, key)?.status === 'archived', 10_000);
    await there.runtime().threads.getItemById(itemOf(there, key)!.id).unarchive();
    await waitFor(() => itemOf(here, key)?.status === 'regular', 10_000);

    // The other tab opens the thread; messages stored here appear there as they are stored.
    await there.runtime().threads.switchToThread(itemOf(there, key)!.id);
    await waitFor(() => there.runtime().thread.getState().messages.length === 2, 10_000);
    here.runtime().thread.append({ role: 'user', content: [{ type: 'text', text: 'Again' }] });
    await waitFor(() => there.runtime().thread.getState().messages.length === 4, 10_000);
    expect(texts(there.runtime().thread.getState().messages)).toEqual([
      'user: Hello',
      'assistant: Echo: Hello',
      'user: Again',
      'assistant: Echo: Again',
    ]);
    // …and the other way round: a message sent there shows here.
    there.runtime().thread.append({ role: 'user', content: [{ type: 'text', text: 'Back' }] });
    await waitFor(() => here.runtime().thread.getState().messages.length === 6, 10_000);
    expect(texts(here.runtime().thread.getState().messages).slice(4)).toEqual([
      'user: Back',
      'assistant: Echo: Back',
    ]);

    // Deleted here: gone from the other tab's list.
    await waitFor(() => !here.runtime().thread.getState().isRunning);
    await here.runtime().threads.getItemById(itemOf(here, key)!.id).delete();
    await waitFor(() => itemOf(there, key) === undefined, 10_000);
    expect(there.runtime().thread.getState().messages).toEqual([]); // it left the deleted thread
  });

  it('history: branches load with parent ids and the head; bad input is a typed error', async () => {
    const store = await open(uniqueName('aui'));
    const history = createThreadHistoryAdapter(store, 'thread-1');
    const msg = (id: string, role: 'user' | 'assistant', text: string) =>
      ({
        id,
        role,
        content: [{ type: 'text', text }],
        createdAt: new Date(),
        ...(role === 'user'
          ? { attachments: [], metadata: { custom: {} } }
          : {
              status: { type: 'complete', reason: 'stop' },
              metadata: {
                unstable_state: null,
                unstable_annotations: [],
                unstable_data: [],
                steps: [],
                custom: {},
              },
            }),
      }) as unknown as ThreadMessage;
    await history.append({ parentId: null, message: msg('u1', 'user', 'Hi') });
    await history.append({ parentId: 'u1', message: msg('a1', 'assistant', 'Hello!') });
    await history.append({ parentId: 'u1', message: msg('a2', 'assistant', 'Hey!') }); // a reload: a sibling
    const loaded = await history.load();
    expect(loaded.messages).toHaveLength(3);
    const [u, a1, a2] = loaded.messages;
    expect(a1!.parentId).toBe(u!.message.id);
    expect(a2!.parentId).toBe(u!.message.id);
    expect(loaded.headId).toBe(a2!.message.id);
    expect(texts(loaded.messages.map((m) => m.message))).toEqual([
      'user: Hi',
      'assistant: Hello!',
      'assistant: Hey!',
    ]);

    // A fresh adapter (a reload) reads the same tree.
    const again = await createThreadHistoryAdapter(store, 'thread-1').load();
    expect(again).toEqual(loaded);

    const bad = (content: unknown[]) =>
      ({ ...msg('bad', 'user', ''), content }) as unknown as ThreadMessage;
    await expect(
      history.append({
        parentId: null,
        message: bad([{ type: 'audio', audio: { data: '', format: 'mp3' } }]),
      }),
    ).rejects.toMatchObject({ code: 'validation', field: 'message.content[0].type' });
    await expect(
      history.append({ parentId: 'not-a-message-here', message: msg('u9', 'user', 'x') }),
    ).rejects.toMatchObject({ code: 'validation', field: 'parentId' });
    expect(() =>
      history.withFormat!({
        format: 'langgraph/v1',
        encode: () => ({}),
        decode: () => ({ parentId: null, message: {} }),
        getId: () => '',
      }),
    ).toThrow(expect.objectContaining({ code: 'validation', field: 'format' }));
    expect((await history.load()).messages).toHaveLength(3); // nothing written
  });

  it('tool calls keep their approval and every other field through the store', async () => {
    const store = await open(uniqueName('aui'));
    const history = createThreadHistoryAdapter(store, 'thread-3');
    let calls = 0;
    const call = (extra: Record<string, unknown>) => ({
      type: 'tool-call',
      toolCallId: `c${++calls}`,
      toolName: 'wipe',
      args: { all: true },
      argsText: '{"all":true}',
      ...extra,
    });
    const content = [
      call({ approval: { id: 'ap1', prompt: 'Wipe everything?', display: 'decision' } }),
      call({ approval: { id: 'ap2', approved: false, reason: 'no' } }),
      call({
        result: { wiped: 3 },
        approval: { id: 'ap3', approved: true },
        artifact: { log: ['a'] },
        timing: { startedAt: 1, completedAt: 2 },
      }),
      call({ result: { code: 7 }, isError: true }),
    ];
    const message = {
      id: 'a1',
      role: 'assistant',
      content,
      createdAt: new Date(),
      status: { type: 'complete', reason: 'stop' },
      metadata: {
        unstable_state: null,
        unstable_annotations: [],
        unstable_data: [],
        steps: [],
        custom: {},
      },
    } as unknown as ThreadMessage;
    await history.append({
      parentId: null,
      message: {
        id: 'u1',
        role: 'user',
        content: [{ type: 'text', text: 'Clean up' }],
        createdAt: new Date(),
        attachments: [],
        metadata: { custom: {} },
      } as unknown as ThreadMessage,
    });
    await history.append({ parentId: 'u1', message });
    const loaded = await createThreadHistoryAdapter(store, 'thread-3').load();
    expect(loaded.messages[1]!.message.content).toEqual(content);
  });

  it('withFormat serves the AI SDK format round trip', async () => {
    const store = await open(uniqueName('aui'));
    type Stored = { role: string; parts: unknown[]; metadata?: unknown };
    type M = Stored & { id: string };
    const aiSdk = createThreadHistoryAdapter(store, 'thread-2').withFormat!<M, Stored>({
      format: 'ai-sdk/v6',
      encode: ({ message: { id: _, ...rest } }) => rest,
      decode: (stored) => ({
        parentId: stored.parent_id,
        message: { id: stored.id, ...stored.content },
      }),
      getId: (m) => m.id,
    });
    await aiSdk.append({
      parentId: null,
      message: { id: 'u', role: 'user', parts: [{ type: 'text', text: 'Hi' }] },
    });
    await aiSdk.append({
      parentId: 'u',
      message: {
        id: 'a',
        role: 'assistant',
        parts: [
          { type: 'step-start' },
          {
            type: 'tool-search',
            toolCallId: 'c1',
            state: 'output-available',
            input: { q: 'x' },
            output: [1],
          },
        ],
      },
    });
    const { messages, headId } = await aiSdk.load();
    expect(messages.map((m) => m.message.parts)).toEqual([
      [{ type: 'text', text: 'Hi' }],
      [
        { type: 'step-start' },
        {
          type: 'tool-search',
          toolCallId: 'c1',
          state: 'output-available',
          input: { q: 'x' },
          output: [1],
        },
      ],
    ]);
    expect(headId).toBe(messages[1]!.message.id);
    expect(messages[1]!.parentId).toBe(messages[0]!.message.id);
  });
});
