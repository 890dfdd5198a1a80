/**
 * Issue 14, sessionlog/react: the hooks in React 19 StrictMode in Chromium,
 * with a second store on the same database standing in for another tab. Each
 * test checks what is shown, that identities are stable, and that the number
 * of renders stays bounded (no render loop).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createEvent, type EventStore, mainSessionKey, openEventStore } from '../src/index.js';
import { useDrafts, useMessages, useSession, useSessions } from '../src/react/index.js';
import { uniqueName } from './helpers.js';
import { type RenderedHook, renderHook } from './react-harness.js';
import { waitFor } from './store-helpers.js';

const KEY = mainSessionKey('react');
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** This tab's store and another tab's, on one fresh database. */
async function twoTabs(): Promise<[EventStore, EventStore]> {
  const name = uniqueName('react');
  const here = await openEventStore({ name });
  const there = await openEventStore({ name });
  cleanups.push(
    () => here.close(),
    () => there.close(),
  );
  return [here, there];
}

function mount<T>(hook: () => T): RenderedHook<T> {
  const rendered = renderHook(hook);
  cleanups.push(rendered.unmount);
  return rendered;
}

const say = (store: EventStore, content: string, key = KEY) =>
  store.record(key, 'assistant', { type: 'message_received', content });

describe('useSession', () => {
  it('is undefined while loading, then the live projection, the same object until it changes', async () => {
    const [here, there] = await twoTabs();
    await say(here, 'first');
    const hook = mount(() => useSession(here, KEY));
    expect(hook.results[0]).toBeUndefined();
    await waitFor(() => hook.results.at(-1)?.messages.length === 1);
    const loaded = hook.latest();
    expect(loaded).toBe(here.getSnapshot(KEY));

    for (let i = 0; i < 10; i++) await say(there, `from the other tab ${i}`);
    await waitFor(() => hook.results.at(-1)?.messages.length === 11);
    // Each distinct value is a distinct snapshot: nothing rendered twice with equal content.
    const distinct = [...new Set(hook.results)];
    expect(distinct.filter((p) => p?.messages.length === 1)).toEqual([loaded]);
    expect(hook.results.length).toBeLessThanOrEqual(2 * (10 + 3));
  });
});

describe('useSessions', () => {
  it('lists summaries live as other tabs create sessions', async () => {
    const [here, there] = await twoTabs();
    const hook = mount(() => useSessions(here));
    await waitFor(() => hook.results.at(-1) !== undefined);
    expect(hook.latest()).toEqual([]);
    await say(there, 'hello', mainSessionKey('a'));
    await say(there, 'hello', mainSessionKey('b'));
    await waitFor(() => hook.results.at(-1)?.length === 2);
    expect(hook.latest()?.map((s) => s.sessionKey)).toEqual([
      mainSessionKey('b'),
      mainSessionKey('a'),
    ]);
    expect(hook.latest()).toBe(here.getSummariesSnapshot());
    expect(hook.results.length).toBeLessThanOrEqual(2 * 6);
  });
});

describe('useDrafts', () => {
  it("shows another tab's streaming reply live, and nothing once it is committed", async () => {
    const [here, there] = await twoTabs();
    const hook = mount(() => useDrafts(here, KEY));
    const empty = hook.latest();
    expect(empty).toEqual([]);
    const reply = there.stream(KEY, { agentId: 'assistant', model: 'm' });
    reply.push('Hel');
    await waitFor(() => hook.results.at(-1)?.[0]?.text === 'Hel');
    expect(hook.latest()[0]).toMatchObject({ status: 'streaming', local: false });
    reply.push('lo');
    await waitFor(() => hook.results.at(-1)?.[0]?.text === 'Hello');
    await reply.done({ tokens: { input_tokens: 1, output_tokens: 1 } });
    await waitFor(() => hook.results.at(-1)?.length === 0);
    expect(hook.results.length).toBeLessThanOrEqual(2 * 8);
  });
});

describe('useMessages', () => {
  it('shows the latest page, pages back, and stays live for new messages', async () => {
    const [here, there] = await twoTabs();
    await here.append(
      Array.from({ length: 120 }, (_, i) =>
        createEvent(
          KEY,
          'assistant',
          { type: 'message_received', content: `m${i}` },
          { clock: here.clock, origin: here.origin },
        ),
      ),
    );
    const hook = mount(() => useMessages(here, KEY, { pageSize: 50 }));
    expect(hook.results[0]).toMatchObject({ messages: [], loading: true });
    await waitFor(() => hook.results.at(-1)?.loading === false);
    const text = () =>
      hook.latest().messages.map((m) => ('content' in m.kind ? m.kind.content : ''));
    expect(text()).toEqual(Array.from({ length: 50 }, (_, i) => `m${i + 70}`));
    expect(hook.latest().hasOlder).toBe(true);

    const loadOlder = hook.latest().loadOlder;
    await loadOlder();
    await waitFor(() => hook.results.at(-1)?.messages.length === 100);
    expect(hook.latest().loadOlder).toBe(loadOlder);
    await hook.latest().loadOlder();
    await waitFor(() => hook.results.at(-1)?.messages.length === 120);
    expect(hook.latest().hasOlder).toBe(false);
    expect(text()).toEqual(Array.from({ length: 120 }, (_, i) => `m${i}`));
    const before = hook.latest().messages;

    await say(there, 'live');
    await waitFor(() => hook.results.at(-1)?.messages.length === 121);
    const after = hook.latest().messages;
    expect(after.at(-1)?.kind).toMatchObject({ content: 'live' });
    // Messages already shown keep their identity, so rows need not re-render.
    expect(after.slice(0, 120).every((m, i) => m === before[i])).toBe(true);
    expect(hook.results.length).toBeLessThanOrEqual(2 * 8);
  });

  it('empties when the session is deleted in another tab', async () => {
    const [here, there] = await twoTabs();
    await say(here, 'doomed');
    const hook = mount(() => useMessages(here, KEY));
    await waitFor(() => hook.results.at(-1)?.messages.length === 1);
    await there.deleteSession(KEY);
    await waitFor(() => hook.results.at(-1)?.messages.length === 0);
    expect(hook.latest()).toMatchObject({ hasOlder: false, loading: false });
  });
});
