/**
 * Branches through the store (issue 13): record with a parent, setHead, edit
 * and regenerate as one call each, getMessages along the active path (paged,
 * equal to the projection's active path) or across all branches, and
 * summaries of earlier releases (no head register) read without an upgrade,
 * and a fuzz: on random trees the store's pages equal the projection's path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AnyEvent,
  activePath,
  type CorruptRecord,
  createEvent,
  type EventStore,
  type Message,
  mainSessionKey,
  newestLeafUnder,
  type Projection,
  siblingsOf,
} from '../src/index.js';
import { uniqueName } from './helpers.js';
import { openTestStore, rawAll, rawPut } from './store-helpers.js';

const KEY = mainSessionKey('bot');
const ids = (list: ReadonlyArray<{ id: string }>) => list.map((m) => m.id);
const ask = (store: EventStore, content: string, parentId?: string | null) =>
  store.record(KEY, 'bot', { type: 'message_received', content }, { parentId });
const answer = (store: EventStore, content: string, parentId?: string | null) =>
  store.record(
    KEY,
    'bot',
    { type: 'agent_response', content, model: 'm', tokens: { input_tokens: 1, output_tokens: 1 } },
    { parentId },
  );

/** Every page of the active path, newest first then older, must match the projection's path. */
async function expectPagesMatch(store: EventStore, p: Projection, limit: number): Promise<void> {
  const expected = activePath(p)
    .filter((n) => n.kind.type !== 'tool_called')
    .map((n) => n.id);
  const seen: string[] = [];
  let page = await store.getMessages(KEY, { limit });
  seen.unshift(...ids(page.messages));
  while (page.hasMore) {
    page = await store.getMessages(KEY, { limit, before: page.messages[0]! });
    seen.unshift(...ids(page.messages));
  }
  expect(seen).toEqual(expected);
  // Forward from the first message: the same path.
  const forward: string[] = [];
  let cursor: Message | undefined;
  for (;;) {
    const next = await store.getMessages(KEY, cursor ? { limit, after: cursor } : { limit: 1 });
    if (!cursor) {
      const first = await store.getMessages(KEY, { limit: 1000 });
      cursor = first.messages[0];
      if (!cursor) break;
      forward.push(cursor.id);
      continue;
    }
    forward.push(...ids(next.messages));
    if (!next.hasMore) break;
    cursor = next.messages.at(-1)!;
  }
  expect(forward).toEqual(expected);
}

describe('branches in the store', () => {
  it('edit, regenerate and setHead: one call each, paged along the active path', async () => {
    const store = await openTestStore();
    try {
      const q1 = await ask(store, 'q1');
      const a1 = await answer(store, 'a1');
      const q2 = await ask(store, 'q2');
      const a2 = await answer(store, 'a2');

      // Edit q2: a sibling under a1, and the head moves to it.
      const q2b = await store.edit(KEY, q2.id, 'q2, edited');
      expect(q2b.kind).toMatchObject({ type: 'message_received', parent_id: a1.id });
      let p = await store.getProjection(KEY);
      expect(ids(siblingsOf(p, q2.id))).toEqual([q2.id, q2b.id]);
      expect(ids(activePath(p))).toEqual([q1.id, a1.id, q2b.id]);

      // Regenerate under the edit: the draft knows its parent; the reply lands there.
      const stream = store.stream(KEY, { agentId: 'bot', model: 'm', parentId: q2b.id });
      expect(store.getDraftsSnapshot(KEY)[0]?.parentId).toBe(q2b.id);
      stream.push('a2 for the edit');
      const a2b = await stream.done({ tokens: { input_tokens: 1, output_tokens: 1 } });
      expect(a2b.kind.parent_id).toBe(q2b.id);

      const regen = await store.regenerate(KEY, a2b.id, { agentId: 'bot', model: 'm' });
      expect(store.getDraftsSnapshot(KEY).map((d) => d.parentId)).toEqual([q2b.id]);
      regen.push('a2 again');
      const a2c = await regen.done({ tokens: { input_tokens: 2, output_tokens: 2 } });
      p = await store.getProjection(KEY);
      expect(ids(siblingsOf(p, a2b.id))).toEqual([a2b.id, a2c.id]);
      expect(ids(activePath(p))).toEqual([q1.id, a1.id, q2b.id, a2c.id]);
      expect(ids((await store.getMessages(KEY)).messages)).toEqual(ids(activePath(p)));
      await expectPagesMatch(store, p, 2);

      // Switch back to the first branch: the head names its leaf.
      await store.setHead(KEY, newestLeafUnder(p, q2.id)!.id);
      p = await store.getProjection(KEY);
      expect(ids(activePath(p))).toEqual([q1.id, a1.id, q2.id, a2.id]);
      await expectPagesMatch(store, p, 1);
      // Head on an inner node: the path goes on through the newest child.
      await store.setHead(KEY, a1.id);
      p = await store.getProjection(KEY);
      expect(ids(activePath(p))).toEqual([q1.id, a1.id, q2b.id, a2c.id]);
      await expectPagesMatch(store, p, 3);

      // Every branch, in (timestamp, id) order.
      const all = await store.getMessages(KEY, { branch: 'all', limit: 100 });
      expect(ids(all.messages)).toEqual(ids(p.messages));
      expect(all.messages).toHaveLength(7);
      // Counts span every branch; the live snapshot agrees with the log.
      const summary = await store.getSummary(KEY);
      expect(summary).toMatchObject({ messageCount: 3, headTarget: a1.id });
      expect(summary!.tokens.responses).toBe(4);
    } finally {
      await store.close();
    }
  });

  it('rejects bad input with typed errors, writing nothing', async () => {
    const store = await openTestStore();
    try {
      await ask(store, 'q1');
      await expect(ask(store, 'x', 'nope')).rejects.toMatchObject({
        code: 'validation',
        field: 'kind.parent_id',
      });
      await expect(store.setHead(KEY, 'nope')).rejects.toMatchObject({
        code: 'validation',
        field: 'kind.target_id',
      });
      await expect(store.edit(KEY, 'f'.repeat(64), 'x')).rejects.toMatchObject({
        code: 'not_found',
      });
      expect(() => store.stream(KEY, { agentId: 'b', model: 'm', parentId: 'x' })).toThrow(
        expect.objectContaining({ field: 'parentId' }),
      );
      await expect(store.getMessages(KEY, { branch: 'some' as 'all' })).rejects.toMatchObject({
        field: 'branch',
      });
      expect((await store.getEvents(KEY)).length).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('reads a summary of an earlier release (no head register) as "no head set", without reporting it', async () => {
    const name = uniqueName('tree-upgrade');
    let store = await openTestStore({ name });
    const q1 = await ask(store, 'q1');
    await answer(store, 'a1');
    await store.close();
    const [summary] = await rawAll<Record<string, unknown>>(name, 'sessions');
    const { headTarget: _, ...old } = summary!;
    const { head: _h, ...oldVersions } = old.versions as Record<string, unknown>;
    await rawPut(name, 'sessions', [{ ...old, versions: oldVersions }]);

    store = await openTestStore({ name });
    try {
      const corrupt: CorruptRecord[] = [];
      store.on('corrupt', (r) => corrupt.push(r));
      expect(await store.getSummary(KEY)).toMatchObject({ headTarget: null, messageCount: 1 });
      expect((await store.listSummaries())[0]).toMatchObject({ headTarget: null });
      await store.setHead(KEY, q1.id);
      expect(await store.getSummary(KEY)).toMatchObject({ headTarget: q1.id, eventCount: 3 });
      expect(ids((await store.getMessages(KEY)).messages)).toHaveLength(2);
      expect(corrupt).toEqual([]);
    } finally {
      await store.close();
    }
  });
});

/** One node of a random tree: its kind, its link and a timestamp from a small pool (ties, disorder). */
interface NodePlan {
  type: 'message_received' | 'agent_response' | 'tool_called';
  /** absent, a root, the node at this earlier index (mod count), or an id nothing has. */
  link: { to: 'absent' } | { to: 'root' } | { to: 'earlier'; index: number } | { to: 'missing' };
  second: number;
}

const planArb = fc.record({
  nodes: fc.array(
    fc.record({
      type: fc.constantFrom('message_received', 'agent_response', 'tool_called'),
      link: fc.oneof(
        { weight: 3, arbitrary: fc.constant({ to: 'absent' as const }) },
        { weight: 1, arbitrary: fc.constant({ to: 'root' as const }) },
        {
          weight: 4,
          arbitrary: fc.nat(40).map((index) => ({ to: 'earlier' as const, index })),
        },
        { weight: 1, arbitrary: fc.constant({ to: 'missing' as const }) },
      ),
      second: fc.nat(25),
    }) as fc.Arbitrary<NodePlan>,
    { minLength: 1, maxLength: 30 },
  ),
  /** head_set events: a node's index (mod count) or an id nothing has, at a pooled time. */
  heads: fc.array(fc.record({ index: fc.option(fc.nat(40)), second: fc.nat(25) }), {
    maxLength: 3,
  }),
  limit: fc.constantFrom(1, 2, 3, 7),
});

type Plan = typeof planArb extends fc.Arbitrary<infer T> ? T : never;

/** The fuzzes' node `i` of a type, linked to `parentId` (`undefined`: no link, it follows the previous node). */
function fuzzNode(
  type: NodePlan['type'],
  i: number,
  parentId: string | null | undefined,
  timestamp: string,
): AnyEvent {
  const link = parentId === undefined ? {} : { parent_id: parentId };
  const kind =
    type === 'tool_called'
      ? { type, tool_name: 't', params: { i }, call_id: `c${i}`, ...link }
      : type === 'agent_response'
        ? {
            type,
            content: `a${i}`,
            model: 'm',
            tokens: { input_tokens: 1, output_tokens: 1 },
            ...link,
          }
        : { type, content: `q${i}`, ...link };
  return createEvent(KEY, 'bot', kind, { timestamp });
}

function eventsOf(plan: Plan): AnyEvent[] {
  const at = (second: number) => `2025-01-15T12:00:${String(second).padStart(2, '0')}Z`;
  const missing = 'e'.repeat(64);
  const nodes: AnyEvent[] = [];
  plan.nodes.forEach((n, i) => {
    const parentId =
      n.link.to === 'root'
        ? null
        : n.link.to === 'missing'
          ? missing
          : n.link.to === 'earlier' && i > 0
            ? nodes[n.link.index % i]!.id
            : undefined;
    nodes.push(fuzzNode(n.type, i, parentId, at(n.second)));
  });
  const heads = plan.heads.map((h) =>
    createEvent(
      KEY,
      'bot',
      {
        type: 'head_set',
        target_id: h.index === null ? missing : nodes[h.index % nodes.length]!.id,
      },
      { timestamp: at(h.second) },
    ),
  );
  return [...nodes, ...heads];
}

describe('branches in the store: fuzz', () => {
  it('on random trees (disordered times, ties, roots, dangling and later links, heads), every page equals the active path', async () => {
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const store = await openTestStore();
        try {
          const events = eventsOf(plan);
          // In two batches, out of order: arrival order must not matter.
          const half = Math.floor(events.length / 2);
          await store.append(events.slice(half));
          await store.append(events.slice(0, half));
          const p = await store.getProjection(KEY);
          await expectPagesMatch(store, p, plan.limit);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

/** The chain mark stored with the session's summary (src/chain-mark.ts), read raw. */
async function storedMark(name: string): Promise<{ mark: unknown; eventCount: number }> {
  const [summary] = await rawAll<{ chain?: unknown; eventCount: number }>(name, 'sessions');
  return { mark: summary!.chain, eventCount: summary!.eventCount };
}

describe('the chain mark: a session with one branch is paged through the message index', () => {
  it('is kept while the tree is one chain, dropped for good by an edit; pages equal the path either way', async () => {
    const store = await openTestStore();
    try {
      const q1 = await ask(store, 'q1');
      const a1 = await answer(store, 'a1', q1.id); // an explicit link to the node before: still a chain
      const q2 = await ask(store, 'q2');
      await store.setHead(KEY, a1.id); // a head in a chain moves along it: still a chain
      expect(await storedMark(store.name)).toEqual({
        mark: { events: 4, last: { timestamp: q2.timestamp, id: q2.id } },
        eventCount: 4,
      });
      expect(await store.getSummary(KEY)).not.toHaveProperty('chain');
      expect((await store.listSummaries())[0]).not.toHaveProperty('chain');
      await expectPagesMatch(store, await store.getProjection(KEY), 1);

      await store.edit(KEY, q2.id, 'q2, edited');
      await answer(store, 'a2');
      expect((await storedMark(store.name)).mark).toBeNull();
      await expectPagesMatch(store, await store.getProjection(KEY), 2);
    } finally {
      await store.close();
    }
  });

  it('is what serves the page: a mark counted for other events (an earlier release appended) is not trusted', async () => {
    const name = uniqueName('chain-mark');
    let store = await openTestStore({ name });
    const q1 = await ask(store, 'q1');
    const a1 = await answer(store, 'a1');
    await ask(store, 'q2, a branch', a1.id);
    const q2b = await ask(store, 'q2, another branch', a1.id);
    const p = await store.getProjection(KEY);
    await store.close();
    const path = [q1.id, a1.id, q2b.id];
    expect(ids(activePath(p))).toEqual(path);
    const [summary] = await rawAll<Record<string, unknown>>(name, 'sessions');
    const last = { timestamp: q2b.timestamp, id: q2b.id };

    // Counted for 3 events, the summary has 4: an earlier release appended since. Walked.
    await rawPut(name, 'sessions', [{ ...summary, chain: { events: 3, last } }]);
    store = await openTestStore({ name });
    try {
      expect(ids((await store.getMessages(KEY)).messages)).toEqual(path);
      await expectPagesMatch(store, p, 2);
    } finally {
      await store.close();
    }
    // Malformed: unknown, walked, and the summary is not reported as corrupt.
    await rawPut(name, 'sessions', [{ ...summary, chain: { events: 'x' } }]);
    store = await openTestStore({ name });
    try {
      const corrupt: CorruptRecord[] = [];
      store.on('corrupt', (c) => corrupt.push(c));
      expect(ids((await store.getMessages(KEY)).messages)).toEqual(path);
      expect(corrupt).toEqual([]);
    } finally {
      await store.close();
    }
    // Counted for its 4 events: trusted, so the page is the message index's, every branch.
    await rawPut(name, 'sessions', [{ ...summary, chain: { events: 4, last } }]);
    store = await openTestStore({ name });
    try {
      expect((await store.getMessages(KEY)).messages).toHaveLength(4);
    } finally {
      await store.close();
    }
  });

  it('skips and reports a corrupt record on the fast path, the page still full and equal to the path', async () => {
    const name = uniqueName('chain-corrupt');
    let store = await openTestStore({ name });
    for (let i = 0; i < 6; i++) await (i % 2 ? answer(store, `a${i}`) : ask(store, `q${i}`));
    await store.close();
    const records = await rawAll<AnyEvent & { kind: { content?: string } }>(name, 'events');
    const victim = records.find((r) => r.kind.content === 'q2')!;
    await rawPut(name, 'events', [{ ...victim, kind: { ...victim.kind, content: 'forged' } }]);
    store = await openTestStore({ name });
    try {
      const corrupt: CorruptRecord[] = [];
      store.on('corrupt', (c) => corrupt.push(c));
      expect((await storedMark(name)).mark).toMatchObject({ events: 6 });
      const page = await store.getMessages(KEY, { limit: 4 });
      expect(page.messages.map((m) => (m.kind as { content: string }).content)).toEqual([
        'a1',
        'a3',
        'q4',
        'a5',
      ]);
      expect(page.hasMore).toBe(true);
      expect(corrupt.map((c) => c.key)).toContain(victim.id);
      await expectPagesMatch(store, await store.getProjection(KEY), 2);
    } finally {
      await store.close();
    }
  });
});

/** A node of a mostly linear conversation: links to the node before, now and then elsewhere. */
const chainPlanArb = fc.record({
  nodes: fc.array(
    fc.record({
      type: fc.constantFrom('message_received', 'agent_response', 'tool_called'),
      link: fc.oneof(
        { weight: 6, arbitrary: fc.constant({ to: 'absent' as const }) },
        { weight: 4, arbitrary: fc.constant({ to: 'previous' as const }) },
        { weight: 1, arbitrary: fc.constant({ to: 'root' as const }) },
        { weight: 1, arbitrary: fc.nat(40).map((index) => ({ to: 'earlier' as const, index })) },
        { weight: 1, arbitrary: fc.constant({ to: 'missing' as const }) },
      ),
      /** Seconds set back from its place in time order (a late arrival from another device). */
      late: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(6) }),
    }),
    { minLength: 1, maxLength: 30 },
  ),
  heads: fc.array(fc.option(fc.nat(40)), { maxLength: 2 }),
  /** Where the events are cut into batches, and whether the batches arrive in reverse. */
  cuts: fc.array(fc.nat(40), { maxLength: 3 }),
  reversed: fc.boolean(),
  limit: fc.constantFrom(1, 2, 3, 7),
});

type ChainPlan = typeof chainPlanArb extends fc.Arbitrary<infer T> ? T : never;

function chainEventsOf(plan: ChainPlan): AnyEvent[] {
  const at = (s: number) =>
    `2025-01-15T12:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}Z`;
  const nodes: AnyEvent[] = [];
  plan.nodes.forEach((n, i) => {
    const to = n.link.to;
    const parentId =
      to === 'root'
        ? null
        : to === 'missing'
          ? 'e'.repeat(64)
          : to === 'previous' && i > 0
            ? nodes[i - 1]!.id
            : n.link.to === 'earlier' && i > 0
              ? nodes[n.link.index % i]!.id
              : undefined;
    nodes.push(fuzzNode(n.type, i, parentId, at(10 + 2 * i - n.late)));
  });
  const heads = plan.heads.map((h, i) =>
    createEvent(
      KEY,
      'bot',
      { type: 'head_set', target_id: h === null ? 'e'.repeat(64) : nodes[h % nodes.length]!.id },
      { timestamp: at(11 + 2 * i) },
    ),
  );
  return [...nodes, ...heads];
}

describe('the chain mark: fuzz', () => {
  it('on mostly linear conversations arriving in batches, a page equals the active path, and the mark is kept when it should be', async () => {
    let chained = 0;
    await fc.assert(
      fc.asyncProperty(chainPlanArb, async (plan) => {
        const store = await openTestStore();
        try {
          const events = chainEventsOf(plan);
          const cuts = [...new Set(plan.cuts.map((c) => c % events.length))].sort((a, b) => a - b);
          const batches = [0, ...cuts, events.length]
            .slice(1)
            .map((end, i, ends) => events.slice(i === 0 ? 0 : ends[i - 1], end))
            .filter((b) => b.length > 0);
          if (plan.reversed) batches.reverse();
          for (const batch of batches) await store.append(batch);
          const p = await store.getProjection(KEY);
          await expectPagesMatch(store, p, plan.limit);
          const { mark, eventCount } = await storedMark(store.name);
          const linear = plan.nodes.every(
            (n, i) =>
              i === 0 || (n.late === 0 && (n.link.to === 'absent' || n.link.to === 'previous')),
          );
          if (linear && (!plan.reversed || batches.length === 1)) {
            expect(mark).toMatchObject({ events: eventCount });
          }
          if (mark) {
            chained += 1;
            // A kept mark is sound: the path is every message, in order.
            const all = await store.getMessages(KEY, { branch: 'all', limit: 1000 });
            expect(ids(all.messages)).toEqual(
              ids(activePath(p).filter((n) => n.kind.type !== 'tool_called')),
            );
          }
        } finally {
          await store.close();
        }
      }),
      { numRuns: 80 },
    );
    expect(chained).toBeGreaterThan(5);
  });
});
