import { describe, expect, it } from 'vitest';
import { type Draft, type EventStore, mainSessionKey, openEventStore } from '../src/index.js';
import type { DraftRecord } from '../src/schema.js';
import { factory, uniqueName } from './helpers.js';
import { rawAll } from './store-helpers.js';

const timing = { broadcastMs: 5, checkpointMs: 20, heartbeatMs: 40, timeoutMs: 150 };

async function open(name = uniqueName('stream')): Promise<EventStore> {
  return openEventStore({ name, indexedDB: factory(), crossTab: false, drafts: timing });
}

async function until(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('streaming drafts', () => {
  it('shows a draft separately, then commits one agent_response', async () => {
    const store = await open();
    const key = mainSessionKey('s');
    let drafts: readonly Draft[] = [];
    store.subscribeDrafts(key, (d) => {
      drafts = d;
    });
    store.subscribe(key, () => {});
    const handle = store.stream(key, { agentId: 's', model: 'sim-1' });
    for (const word of ['Hello', ', ', 'world']) handle.push(word);
    await until(() => drafts[0]?.text === 'Hello, world', 'draft text');
    expect(drafts[0]).toMatchObject({ status: 'streaming', local: true, model: 'sim-1' });
    expect(store.getSnapshot(key)?.messages ?? []).toHaveLength(0);
    const event = await handle.done({ tokens: { input_tokens: 3, output_tokens: 5 } });
    expect(event.kind).toMatchObject({ type: 'agent_response', content: 'Hello, world' });
    expect(drafts).toHaveLength(0);
    const projection = await store.getProjection(key);
    expect(projection.messages.map((m) => m.id)).toEqual([event.id]);
    expect(projection.tokens).toMatchObject({ responses: 1, input: 3, output: 5 });
    expect(() => handle.push('late')).toThrow(expect.objectContaining({ code: 'closed' }));
    expect(await store.listInterruptedDrafts()).toEqual([]);
    await store.close();
  });

  it('abort drops the draft and writes no event', async () => {
    const store = await open();
    const key = mainSessionKey('a');
    const handle = store.stream(key, { agentId: 'a', model: 'm' });
    handle.push('partial');
    await handle.abort('user stopped');
    expect(store.getDraftsSnapshot(key)).toEqual([]);
    expect(await store.getEvents(key)).toEqual([]);
    expect(await store.listInterruptedDrafts()).toEqual([]);
    await store.close();
  });

  it('a draft left by a closed writer is interrupted with its checkpointed text, and can be resumed', async () => {
    const name = uniqueName('stream');
    const writer = await open(name);
    const key = mainSessionKey('r');
    const handle = writer.stream(key, { agentId: 'r', model: 'm' });
    handle.push('checkpointed ');
    await new Promise((r) => setTimeout(r, timing.checkpointMs * 4));
    await writer.close(); // the writer is gone mid-stream
    const reader = await open(name);
    await until(
      async () => (await reader.listInterruptedDrafts()).length === 1,
      'interrupted draft',
    );
    const [draft] = await reader.listInterruptedDrafts();
    expect(draft).toMatchObject({ text: 'checkpointed ', status: 'interrupted', sessionKey: key });
    const resumed = await reader.resumeDraft(draft!.id);
    resumed.push('and finished');
    const event = await resumed.done({ tokens: { input_tokens: 1, output_tokens: 2 } });
    expect(event.kind).toMatchObject({ content: 'checkpointed and finished' });
    expect(await reader.listInterruptedDrafts()).toEqual([]);
    await reader.close();
  });

  it('a draft carries its reasoning and parent id, live and through an interruption', async () => {
    const name = uniqueName('stream');
    const writer = await open(name);
    const key = mainSessionKey('p');
    const parent = 'a'.repeat(64);
    const handle = writer.stream(key, { agentId: 'p', model: 'm', parentId: parent });
    handle.pushReasoning('thinking ');
    handle.pushReasoning('hard');
    handle.push('answer');
    expect(handle.reasoning).toBe('thinking hard');
    let drafts: readonly Draft[] = [];
    writer.subscribeDrafts(key, (d) => {
      drafts = d;
    });
    await until(() => drafts[0]?.reasoning === 'thinking hard', 'reasoning');
    expect(drafts[0]).toMatchObject({ parentId: parent, text: 'answer' });
    await until(
      async () => (await rawAll<DraftRecord>(name, 'drafts'))[0]?.reasoning === 'thinking hard',
      'checkpoint',
    );
    await writer.close();
    const reader = await open(name);
    await until(async () => (await reader.listInterruptedDrafts()).length === 1, 'interrupted');
    const [draft] = await reader.listInterruptedDrafts();
    expect(draft).toMatchObject({ reasoning: 'thinking hard', parentId: parent, text: 'answer' });
    const resumed = await reader.resumeDraft(draft!.id);
    expect(resumed.reasoning).toBe('thinking hard');
    await resumed.abort();
    await reader.close();
  });

  it('two streams in two sessions do not mix', async () => {
    const store = await open();
    const [k1, k2] = [mainSessionKey('one'), mainSessionKey('two')];
    const h1 = store.stream(k1, { agentId: 'one', model: 'm' });
    const h2 = store.stream(k2, { agentId: 'two', model: 'm' });
    for (let i = 0; i < 20; i++) {
      h1.push(`a${i} `);
      h2.push(`b${i} `);
    }
    const [e1, e2] = await Promise.all([
      h1.done({ tokens: { input_tokens: 1, output_tokens: 20 } }),
      h2.done({ tokens: { input_tokens: 1, output_tokens: 20 } }),
    ]);
    expect(e1.kind.content).not.toContain('b');
    expect(e2.kind.content).not.toContain('a');
    expect((await store.getEvents(k1)).map((e) => e.id)).toEqual([e1.id]);
    expect((await store.getEvents(k2)).map((e) => e.id)).toEqual([e2.id]);
    await store.close();
  });

  it('rejects bad input with typed errors', async () => {
    const store = await open();
    expect(() => store.stream('', { agentId: 'a', model: 'm' })).toThrow(
      expect.objectContaining({ code: 'validation', field: 'sessionKey' }),
    );
    const h = store.stream(mainSessionKey('v'), { agentId: 'a', model: 'm' });
    expect(() => h.push(42 as unknown as string)).toThrow(
      expect.objectContaining({ field: 'delta' }),
    );
    expect(() => h.push('\ud800')).toThrow(expect.objectContaining({ field: 'delta' }));
    await expect(store.resumeDraft('nope')).rejects.toMatchObject({ code: 'not_found' });
    await h.abort();
    await store.close();
  });
});
