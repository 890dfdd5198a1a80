/**
 * importConversations (sessionlog/import): ChatGPT and Claude exports become
 * sessions with their tree, head and times; bad conversations follow the
 * importEvents rules; a second import adds nothing.
 */
import { describe, expect, it } from 'vitest';
import { importConversations } from '../src/import.js';
import {
  activePath,
  type EventStore,
  EventStoreError,
  type Projection,
  siblingsOf,
} from '../src/index.js';
import chatgpt from './fixtures/conversations/chatgpt.json';
import chatgptBad from './fixtures/conversations/chatgpt-malformed.json';
import claude from './fixtures/conversations/claude.json';
import claudeBad from './fixtures/conversations/claude-malformed.json';
import { openTestStore } from './store-helpers.js';

const texts = (p: Projection) =>
  activePath(p).map((n) =>
    'content' in n.kind ? n.kind.content : `${n.kind.type}:${n.kind.tool_name}`,
  );

async function withStore(run: (store: EventStore) => Promise<void>): Promise<void> {
  const store = await openTestStore();
  try {
    await run(store);
  } finally {
    await store.close();
  }
}

describe('importConversations: ChatGPT', () => {
  it('keeps the tree, current_node as head, times, roles, tools, reasoning and files; twice adds nothing', () =>
    withStore(async (store) => {
      const progress: number[] = [];
      const result = await importConversations(store, JSON.stringify(chatgpt), {
        format: 'chatgpt',
        onProgress: (p) => progress.push(p.added),
      });
      expect(result).toMatchObject({ conversations: 3, invalid: 0, duplicates: 0 });
      // Reported after each conversation's commit.
      expect(progress).toHaveLength(3);
      expect(progress.at(-1)).toBe(result.added);
      expect(progress[0]! < progress[1]! && progress[1]! < progress[2]!).toBe(true);
      const [branches, tools, empty] = result.sessions;
      expect(branches).toBe('agent:chatgpt:channel:chatgpt:account:export:thread:c-branches');

      const p = await store.getProjection(branches!);
      expect(p.customState.title).toBe('Capital of France');
      // The placeholder root and the hidden system message are skipped.
      expect(p.nodes).toHaveLength(7);
      // current_node (a2b) is the head even though a2c is newer.
      expect(texts(p)).toEqual([
        'What is the capital of France?',
        'Paris.',
        'And of Italy?',
        'Rome.',
      ]);
      const byText = (t: string) =>
        p.nodes.find((n) => 'content' in n.kind && n.kind.content === t)!;
      expect(siblingsOf(p, byText('And of Spain?').id)).toHaveLength(2);
      expect(siblingsOf(p, byText('Rome.').id).map((n) => n.id)).toEqual([
        byText('Rome.').id,
        byText('Rome, since 1871.').id,
      ]);
      expect(byText('What is the capital of France?').timestamp).toBe(
        '2024-11-30T07:00:01.123456000Z',
      );
      expect(byText('Rome, since 1871.').kind).toMatchObject({ model: 'gpt-4o-mini' });
      expect(p.messageCount).toBe(3);
      // The paged store read shows the same path.
      const page = await store.getMessages(branches!);
      expect(page.messages.map((m) => m.id)).toEqual(activePath(p).map((n) => n.id));

      const t = await store.getProjection(tools!);
      expect(texts(t)).toEqual([
        'Plot sin(x) like this picture',
        'tool_called:python',
        'tool_result:python',
        'sin(0) is 0; here is the plot.',
      ]);
      const [ask, call, out, answer] = activePath(t).map((n) => n.kind);
      expect(ask).toMatchObject({
        parts: [{ type: 'file', url: 'file-service://file-abc123' }],
      });
      expect(call).toMatchObject({
        params: 'import numpy as np\nprint(np.sin(0))',
        call_id: 'call',
      });
      expect(out).toMatchObject({ result: '0.0', call_id: 'call' });
      expect(answer).toMatchObject({
        model: 'o3',
        parts: [{ type: 'reasoning', text: 'Use numpy and matplotlib.' }],
      });

      const e = await store.getProjection(empty!);
      expect(e.nodes).toEqual([]);
      expect(e.customState.title).toBe('New chat');

      const before = (await store.exportEvents().getReader().read()).value;
      const again = await importConversations(store, chatgpt, { format: 'chatgpt' });
      expect(again.added).toBe(0);
      expect(again.duplicates).toBe(result.added);
      expect((await store.exportEvents().getReader().read()).value).toBe(before);
    }));

  it("bad conversations: 'reject' names the conversation and field and writes nothing; 'skip' reports", () =>
    withStore(async (store) => {
      let caught: unknown;
      try {
        await importConversations(store, chatgptBad, { format: 'chatgpt' });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(EventStoreError);
      expect(caught).toMatchObject({
        code: 'validation',
        index: 1,
        field: 'mapping.x.message.author.role',
      });
      expect((caught as Error).message).toContain('c-bad-role');
      expect(await store.listSessions()).toEqual([]);

      const result = await importConversations(store, chatgptBad, {
        format: 'chatgpt',
        onInvalid: 'skip',
      });
      expect(result.invalidConversations.map((c) => [c.index, c.id, c.field])).toEqual([
        [1, 'c-bad-role', 'mapping.x.message.author.role'],
        [2, 'c-bad-mapping', 'mapping'],
      ]);
      expect(result.sessions).toHaveLength(1);
      expect(await store.listSessions()).toEqual(result.sessions);
    }));

  it('rejects what is not an export, and options it does not know', () =>
    withStore(async (store) => {
      await expect(
        importConversations(store, '{"a":', { format: 'chatgpt' }),
      ).rejects.toMatchObject({ code: 'serialization' });
      await expect(importConversations(store, '42', { format: 'chatgpt' })).rejects.toMatchObject({
        code: 'validation',
        field: 'conversations',
      });
      await expect(
        importConversations(store, [], { format: 'bard' as 'chatgpt' }),
      ).rejects.toMatchObject({ field: 'format' });
      const controller = new AbortController();
      controller.abort();
      await expect(
        importConversations(store, chatgpt, { format: 'chatgpt', signal: controller.signal }),
      ).rejects.toMatchObject({ code: 'aborted' });
      expect(await store.listSessions()).toEqual([]);
    }));
});

describe('importConversations: Claude', () => {
  it('keeps messages, attachments, thinking, paired tool calls and branches; twice adds nothing', () =>
    withStore(async (store) => {
      const blob = new Blob([JSON.stringify(claude)], { type: 'application/json' });
      const result = await importConversations(store, blob, { format: 'claude' });
      expect(result).toMatchObject({ conversations: 3, invalid: 0 });
      const [tools, branches, empty] = result.sessions;

      const t = await store.getProjection(tools!);
      expect(t.customState.title).toBe('Weather');
      expect(texts(t)).toEqual([
        'Weather in Paris and Rome?',
        'Let me check.',
        'tool_called:weather',
        'tool_called:weather',
        'tool_result:weather',
        'tool_result:weather',
        'Paris 18°C, Rome 20°C.',
      ]);
      const kinds = activePath(t).map((n) => n.kind);
      expect(kinds[0]).toMatchObject({
        attachments: [{ kind: 'file', mime_type: 'text/plain', size: 42 }],
      });
      expect(kinds[1]).toMatchObject({
        parts: [{ type: 'reasoning', text: 'Two cities: call the tool twice.' }],
      });
      // Results come back in the other order: call_id pairs them.
      const calls = kinds.filter((k) => k.type === 'tool_called');
      const results = kinds.filter((k) => k.type === 'tool_result');
      for (const call of calls) {
        const result = results.find((r) => r.call_id === call.call_id);
        expect(result?.type === 'tool_result' && JSON.stringify(result.result)).toContain(
          call.type === 'tool_called' && (call.params as { city: string }).city === 'Paris'
            ? '18'
            : '20',
        );
      }
      // created_at with an offset, in UTC.
      expect(activePath(t)[0]!.timestamp).toBe('2024-11-30T10:00:01.000000000Z');

      const b = await store.getProjection(branches!);
      expect(texts(b)).toEqual(['Write a haiku', 'Autumn moon rises']); // current_leaf_message_uuid
      const first = b.nodes.find(
        (n) => 'content' in n.kind && n.kind.content === 'Old pond, a frog jumps',
      )!;
      expect(siblingsOf(b, first.id)).toHaveLength(2);
      expect(b.nodes.at(-1)!.parentId).toBe(first.id);

      expect((await store.getProjection(empty!)).nodes).toEqual([]);
      const again = await importConversations(store, claude, { format: 'claude' });
      expect(again.added).toBe(0);
    }));

  it("bad conversations follow the same rules ('reject' writes nothing, 'skip' reports)", () =>
    withStore(async (store) => {
      await expect(
        importConversations(store, claudeBad, { format: 'claude' }),
      ).rejects.toMatchObject({
        code: 'validation',
        index: 1,
        field: 'chat_messages[0].created_at',
      });
      expect(await store.listSessions()).toEqual([]);
      const result = await importConversations(store, claudeBad, {
        format: 'claude',
        onInvalid: 'skip',
      });
      expect(result.invalidConversations.map((c) => [c.index, c.id, c.field])).toEqual([
        [1, 'k-bad-time', 'chat_messages[0].created_at'],
        [2, 'k-bad-sender', 'chat_messages[0].sender'],
      ]);
      expect(result.sessions).toHaveLength(1);
    }));
});
