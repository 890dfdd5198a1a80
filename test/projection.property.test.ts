/**
 * The projection is a state-based CRDT (DESIGN §4, issue 2): property tests
 * with fast-check, 1,000 runs each. Events are drawn from small pools of
 * timestamps, origins, agents, contents and state keys, so equal timestamps,
 * repeated keys and byte-identical duplicates (same id) are common.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { HybridClock } from '../src/clock.js';
import { EventStoreError } from '../src/errors.js';
import {
  compareEvents,
  createEvent,
  type EventKindInput,
  type MessagePart,
  type SessionEvent,
} from '../src/event.js';
import type { JsonValue } from '../src/json.js';
import {
  applyEvent,
  emptyProjection,
  mergeProjections,
  type Projection,
  project,
} from '../src/projection.js';
import { activePath, siblingsOf } from '../src/tree.js';

const RUNS = { numRuns: 1000 };
const KEY = 'agent:default:main';
const OTHER_KEY = 'agent:helper:main';
const clock = new HybridClock({ now: () => Date.UTC(2025, 0, 16) });

// Small pools: ties and repeats are the interesting cases.
const timestampArb = fc
  .tuple(fc.integer({ min: 0, max: 2 }), fc.constantFrom('', '.5', '.000000001', '.500000000'))
  .map(([s, f]) => `2025-01-15T12:00:0${s}${f}Z`);
const textArb = fc.constantFrom('', 'a', 'b', 'héllo 👋🏽');
const jsonArb: fc.Arbitrary<JsonValue> = fc.constantFrom<JsonValue>(null, 1, -0.5, 'v', [1, 'x'], {
  a: { b: null },
});
const stateKeyArb = fc.constantFrom('mode', 'prefs', '__proto__', '');
const tokensArb = fc.record({
  input_tokens: fc.nat(5),
  output_tokens: fc.nat(5),
  cache_read_tokens: fc.option(fc.nat(5)),
  cache_write_tokens: fc.option(fc.nat(5)),
});
const kindArb: fc.Arbitrary<EventKindInput> = fc.oneof(
  fc.record({
    type: fc.constant('session_started' as const),
    channel: fc.constantFrom('telegram', 'discord'),
    peer_id: fc.constantFrom('p1', 'p2'),
  }),
  fc.record({
    type: fc.constant('message_received' as const),
    content: textArb,
    attachments: fc
      .boolean()
      .map((b) => (b ? [{ kind: 'image', mime_type: 'image/png', size: 1 }] : [])),
  }),
  fc.record({
    type: fc.constant('message_received' as const),
    content: textArb,
    parts: fc.constantFrom<MessagePart[]>(
      [{ type: 'file', media_type: 'image/png', url: 'https://x/a.png' }],
      [{ type: 'data', name: 'chart', data: { n: 1 } }],
    ),
  }),
  fc.record({
    type: fc.constant('message_sent' as const),
    content: textArb,
    message_id: fc.constantFrom('m1', 'm2'),
  }),
  fc.record({ type: fc.constant('tool_called' as const), tool_name: textArb, params: jsonArb }),
  fc.record({
    type: fc.constant('tool_result' as const),
    tool_name: textArb,
    result: jsonArb,
    success: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('agent_response' as const),
    content: textArb,
    model: fc.constantFrom('m-a', 'm-b'),
    tokens: tokensArb,
    parts: fc.constantFrom<MessagePart[] | undefined>(undefined, [
      { type: 'reasoning', text: 'because' },
      { type: 'source', url: 'https://example.com', title: 'Example' },
    ]),
  }),
  fc.record({ type: fc.constant('session_ended' as const), reason: textArb }),
  fc.record({ type: fc.constant('state_changed' as const), key: stateKeyArb, value: jsonArb }),
);

const recordArb = fc.record({
  agent: fc.constantFrom('default', 'fallback'),
  origin: fc.constantFrom('tab-a', 'tab-b'),
  timestamp: timestampArb,
  kind: kindArb,
});

/**
 * createEvent hashes with BLAKE2b (~0.1 ms an event), too slow to call for every
 * event of 1,000 runs. So the events come from a pool made once by createEvent from
 * the generator above (seeded: a failure reproduces), and each run picks from it.
 * With 12 timestamps and a few values per field, picks share timestamps, state
 * keys and contents all the time, and picking one twice is a byte-identical duplicate.
 */
function pool(key: string, size: number): SessionEvent[] {
  return fc
    .sample(recordArb, { numRuns: size, seed: 20250115 })
    .map(
      ({ agent, origin, timestamp, kind }) =>
        createEvent(key, agent, kind, { clock, origin, timestamp }) as SessionEvent,
    );
}
const POOL = pool(KEY, 1500);
const OTHER_POOL = pool(OTHER_KEY, 100);
const eventArb = (key = KEY): fc.Arbitrary<SessionEvent> =>
  fc.constantFrom(...(key === KEY ? POOL : OTHER_POOL));

const eventsArb = fc.array(eventArb(), { maxLength: 8 });

/**
 * A multiset over a base list: every element at least once, some repeated, in
 * a random order. The keys decide the order, the counts the repetitions.
 */
const multisetArb = eventsArb.chain((events) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 1, max: 2 }), {
        minLength: events.length,
        maxLength: events.length,
      }),
      fc.array(fc.double({ noNaN: true }), {
        minLength: 2 * events.length,
        maxLength: 2 * events.length,
      }),
    )
    .map(([counts, keys]) => {
      const copies = events.flatMap((e, i) => Array.from({ length: counts[i]! }, () => e));
      const order = copies.map((e, i) => ({ e, k: keys[i]! }));
      order.sort((x, y) => x.k - y.k);
      return { events, shuffled: order.map((x) => x.e) };
    }),
);

const P = (events: SessionEvent[]): Projection => project(events, KEY);
const fold = (events: SessionEvent[]): Projection =>
  events.reduce(applyEvent, emptyProjection(KEY));

describe('the projection is a CRDT', () => {
  test('toEqual sees every field of a projection, null-prototype records included', () => {
    // Guard against a vacuous comparison: two projections that differ only in a
    // custom state value, or in a register version, must not be toEqual.
    const t = '2025-01-15T12:00:00Z';
    const a = createEvent(
      KEY,
      'x',
      { type: 'state_changed', key: '__proto__', value: 1 },
      {
        clock,
        origin: 'o',
        timestamp: t,
      },
    );
    const b = createEvent(
      KEY,
      'x',
      { type: 'state_changed', key: '__proto__', value: 2 },
      {
        clock,
        origin: 'o',
        timestamp: t,
      },
    );
    expect(Object.getPrototypeOf(P([a]).customState)).toBeNull();
    expect(P([a])).toEqual(P([a]));
    expect(P([a])).not.toEqual(P([b]));
    expect({ ...P([a]), versions: P([b]).versions }).not.toEqual(P([a]));
  });

  test('merge is commutative', () => {
    fc.assert(
      fc.property(eventsArb, eventsArb, (a, b) => {
        expect(mergeProjections(P(a), P(b))).toEqual(mergeProjections(P(b), P(a)));
      }),
      RUNS,
    );
  });

  test('merge is associative', () => {
    fc.assert(
      fc.property(eventsArb, eventsArb, eventsArb, (a, b, c) => {
        const [pa, pb, pc] = [P(a), P(b), P(c)];
        expect(mergeProjections(mergeProjections(pa, pb), pc)).toEqual(
          mergeProjections(pa, mergeProjections(pb, pc)),
        );
      }),
      RUNS,
    );
  });

  test('merge is idempotent (same object and equal copies), with the empty projection as identity', () => {
    fc.assert(
      fc.property(eventsArb, (a) => {
        const pa = P(a);
        expect(mergeProjections(pa, pa)).toEqual(pa);
        expect(mergeProjections(pa, P([...a]))).toEqual(pa);
        expect(mergeProjections(pa, emptyProjection(KEY))).toEqual(pa);
        expect(mergeProjections(emptyProjection(KEY), pa)).toEqual(pa);
        // Merging what is already included changes nothing: P(A ∪ B) ⊔ P(A) = P(A ∪ B).
        const whole = P([...a, ...a.slice(0, 3)]);
        expect(mergeProjections(whole, P(a.slice(0, 3)))).toEqual(whole);
      }),
      RUNS,
    );
  });

  test('mergeProjections(project(A), project(B)) equals project(A ∪ B)', () => {
    fc.assert(
      fc.property(eventsArb, eventsArb, (a, b) => {
        expect(mergeProjections(P(a), P(b))).toEqual(P([...a, ...b]));
      }),
      RUNS,
    );
  });

  test('any permutation of a multiset of events (with duplicates) projects identically', () => {
    fc.assert(
      fc.property(multisetArb, ({ events, shuffled }) => {
        expect(P(shuffled)).toEqual(P(events));
      }),
      RUNS,
    );
  });

  test('applyEvent folded over any order (with duplicates) equals project', () => {
    fc.assert(
      fc.property(multisetArb, ({ events, shuffled }) => {
        expect(fold(shuffled)).toEqual(P(events));
        expect(fold(events)).toEqual(P(events));
      }),
      RUNS,
    );
  });

  test('project agrees with a direct model of DESIGN §4', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const p = P(events);
        const distinct = [...new Map(events.map((e) => [e.id, e])).values()].sort(compareEvents);
        const messages = distinct.filter((e) =>
          ['message_received', 'message_sent', 'agent_response', 'tool_result'].includes(
            e.kind.type,
          ),
        );
        expect(p.messages.map((m) => m.id)).toEqual(messages.map((e) => e.id));
        expect(p.messageCount).toBe(
          distinct.filter((e) => e.kind.type === 'message_received').length,
        );
        const lifecycle = distinct.filter(
          (e) => e.kind.type === 'session_started' || e.kind.type === 'session_ended',
        );
        expect(p.state).toBe(lifecycle.at(-1)?.kind.type === 'session_ended' ? 'ended' : 'active');
        const started = distinct.find((e) => e.kind.type === 'session_started');
        const peer = started?.kind.type === 'session_started' ? started.kind : undefined;
        expect([p.channel, p.peerId]).toEqual([
          peer?.channel ?? 'unknown',
          peer?.peer_id ?? 'unknown',
        ]);
        expect(p.agentId).toBe(distinct[0]?.agent_id ?? null);
        expect(p.lastEventId).toBe(distinct.at(-1)?.id ?? null);
        expect(p.lastActivity).toBe(distinct.at(-1)?.timestamp ?? null);
        const custom: Record<string, JsonValue> = Object.create(null);
        for (const e of distinct)
          if (e.kind.type === 'state_changed') custom[e.kind.key] = e.kind.value;
        expect(p.customState).toEqual(custom);
        const responses = distinct.flatMap((e) =>
          e.kind.type === 'agent_response' ? [e.kind] : [],
        );
        expect(p.tokens).toEqual({
          responses: responses.length,
          input: responses.reduce((s, k) => s + k.tokens.input_tokens, 0),
          output: responses.reduce((s, k) => s + k.tokens.output_tokens, 0),
          cacheRead: responses.reduce((s, k) => s + (k.tokens.cache_read_tokens ?? 0), 0),
          cacheWrite: responses.reduce((s, k) => s + (k.tokens.cache_write_tokens ?? 0), 0),
        });
      }),
      RUNS,
    );
  });

  test('projections are frozen snapshots; applying a duplicate returns the same object', () => {
    fc.assert(
      fc.property(fc.array(eventArb(), { minLength: 1, maxLength: 8 }), (events) => {
        const p = P(events);
        expect(Object.isFrozen(p)).toBe(true);
        expect(Object.isFrozen(p.messages)).toBe(true);
        expect(Object.isFrozen(p.customState)).toBe(true);
        for (const e of events) expect(applyEvent(p, e)).toBe(p);
      }),
      { numRuns: 200 },
    );
  });

  test('merging projections of different sessions is a validation error', () => {
    fc.assert(
      fc.property(eventsArb, fc.array(eventArb(OTHER_KEY), { maxLength: 6 }), (a, b) => {
        const pa = P(a);
        const pb = project(b, OTHER_KEY);
        for (const [x, y] of [
          [pa, pb],
          [pb, pa],
        ] as const) {
          let caught: unknown;
          try {
            mergeProjections(x, y);
          } catch (error) {
            caught = error;
          }
          expect(caught).toBeInstanceOf(EventStoreError);
          expect((caught as EventStoreError).code).toBe('validation');
          expect((caught as EventStoreError).field).toBe('sessionKey');
        }
        // Projecting or applying another session's events is refused the same way.
        if (b.length > 0) {
          expect(() => P([...a, ...b])).toThrow(EventStoreError);
          expect(() => applyEvent(pa, b[0]!)).toThrow(EventStoreError);
        }
      }),
      RUNS,
    );
  });
});

/**
 * Trees and heads (DESIGN §8, issue 13). A small pool where links resolve
 * often: each event names an earlier pool event as its parent (or none, or
 * `null`, or an id never made), and `head_set` events target pool events or
 * an id never made. With 12 timestamps, a parent often sorts after its child,
 * which the tree must ignore the same way in every order.
 */
const UNSEEN = 'f'.repeat(64);
const treeSpecArb = fc.record({
  timestamp: timestampArb,
  origin: fc.constantFrom('tab-a', 'tab-b'),
  type: fc.constantFrom(
    'message_received',
    'agent_response',
    'tool_called',
    'tool_result',
    'head_set',
    'state_changed',
  ),
  link: fc.oneof(
    fc.constant<'absent' | 'null' | 'unseen'>('absent'),
    fc.constant<'absent' | 'null' | 'unseen'>('null'),
    fc.constant<'absent' | 'null' | 'unseen'>('unseen'),
    fc.nat(40),
  ),
  text: textArb,
});

function treePool(size: number): SessionEvent[] {
  const out: SessionEvent[] = [];
  for (const spec of fc.sample(treeSpecArb, { numRuns: size, seed: 20251130 })) {
    const earlier =
      typeof spec.link === 'number' && out.length > 0
        ? out[out.length - 1 - (spec.link % out.length)]!.id
        : undefined;
    const target = spec.link === 'unseen' ? UNSEEN : earlier;
    const parent_id = spec.link === 'null' ? null : target;
    let kind: EventKindInput;
    switch (spec.type) {
      case 'message_received':
        kind = { type: 'message_received', content: spec.text, parent_id };
        break;
      case 'agent_response':
        kind = {
          type: 'agent_response',
          content: spec.text,
          model: 'm',
          tokens: { input_tokens: 1, output_tokens: 2 },
          parent_id,
          parts: [{ type: 'reasoning', text: spec.text }],
        };
        break;
      case 'tool_called':
        kind = { type: 'tool_called', tool_name: 't', params: null, call_id: 'c1', parent_id };
        break;
      case 'tool_result':
        kind = {
          type: 'tool_result',
          tool_name: 't',
          result: spec.text,
          success: true,
          call_id: 'c1',
          parent_id,
        };
        break;
      case 'head_set':
        kind = { type: 'head_set', target_id: target ?? UNSEEN };
        break;
      default:
        kind = { type: 'state_changed', key: 'k', value: spec.text };
    }
    out.push(
      createEvent(KEY, 'default', kind, {
        clock,
        origin: spec.origin,
        timestamp: spec.timestamp,
      }) as SessionEvent,
    );
  }
  return out;
}
const TREE_POOL = treePool(60);
const treeEventsArb = fc.array(fc.constantFrom(...TREE_POOL), { maxLength: 12 });
const treeMultisetArb = treeEventsArb.chain((events) =>
  fc
    .tuple(
      fc.array(fc.integer({ min: 1, max: 2 }), {
        minLength: events.length,
        maxLength: events.length,
      }),
      fc.array(fc.double({ noNaN: true }), {
        minLength: 2 * events.length,
        maxLength: 2 * events.length,
      }),
    )
    .map(([counts, keys]) => {
      const copies = events.flatMap((e, i) => Array.from({ length: counts[i]! }, () => e));
      const order = copies.map((e, i) => ({ e, k: keys[i]! }));
      order.sort((x, y) => x.k - y.k);
      return { events, shuffled: order.map((x) => x.e) };
    }),
);

describe('the tree, its head and message parts keep the CRDT laws', () => {
  test('the pool has links that resolve, links that do not, and heads', () => {
    const p = P(TREE_POOL);
    expect(p.nodes.some((n) => n.children.length > 1)).toBe(true);
    expect(TREE_POOL.some((e) => e.kind.type === 'head_set')).toBe(true);
    expect(p.nodes.some((n) => n.kind.parent_id === null)).toBe(true);
  });

  test('merge is commutative', () => {
    fc.assert(
      fc.property(treeEventsArb, treeEventsArb, (a, b) => {
        expect(mergeProjections(P(a), P(b))).toEqual(mergeProjections(P(b), P(a)));
      }),
      RUNS,
    );
  });

  test('merge is associative', () => {
    fc.assert(
      fc.property(treeEventsArb, treeEventsArb, treeEventsArb, (a, b, c) => {
        const [pa, pb, pc] = [P(a), P(b), P(c)];
        expect(mergeProjections(mergeProjections(pa, pb), pc)).toEqual(
          mergeProjections(pa, mergeProjections(pb, pc)),
        );
      }),
      RUNS,
    );
  });

  test('merge is idempotent, with the empty projection as identity', () => {
    fc.assert(
      fc.property(treeEventsArb, (a) => {
        const pa = P(a);
        expect(mergeProjections(pa, P([...a]))).toEqual(pa);
        expect(mergeProjections(pa, emptyProjection(KEY))).toEqual(pa);
        const whole = P([...a, ...a.slice(0, 3)]);
        expect(mergeProjections(whole, P(a.slice(0, 3)))).toEqual(whole);
      }),
      RUNS,
    );
  });

  test('mergeProjections(project(A), project(B)) equals project(A ∪ B)', () => {
    fc.assert(
      fc.property(treeEventsArb, treeEventsArb, (a, b) => {
        expect(mergeProjections(P(a), P(b))).toEqual(P([...a, ...b]));
      }),
      RUNS,
    );
  });

  test('any permutation with duplicates projects identically, folded or at once', () => {
    fc.assert(
      fc.property(treeMultisetArb, ({ events, shuffled }) => {
        expect(P(shuffled)).toEqual(P(events));
        expect(fold(shuffled)).toEqual(P(events));
      }),
      RUNS,
    );
  });

  test('the tree agrees with a direct model of DESIGN §8', () => {
    fc.assert(
      fc.property(treeEventsArb, (events) => {
        const p = P(events);
        const distinct = [...new Map(events.map((e) => [e.id, e])).values()].sort(compareEvents);
        const nodes = distinct.filter((e) => !['head_set', 'state_changed'].includes(e.kind.type));
        expect(p.nodes.map((n) => n.id)).toEqual(nodes.map((e) => e.id));
        nodes.forEach((e, i) => {
          const link = (e.kind as { parent_id?: string | null }).parent_id;
          const linked = nodes.findIndex((x) => x.id === link);
          const parent =
            link === null ? null : linked >= 0 && linked < i ? link : (nodes[i - 1]?.id ?? null);
          const node = p.nodes[i]!;
          expect(node.parentId).toBe(parent);
          expect(node.children).toEqual(
            p.nodes.filter((c) => c.parentId === e.id).map((c) => c.id),
          );
          const siblings = siblingsOf(p, e.id);
          expect(siblings.map((s) => s.id)).toEqual(
            p.nodes.filter((s) => s.parentId === parent).map((s) => s.id),
          );
        });
        const heads = distinct.filter((e) => e.kind.type === 'head_set');
        const target = (heads.at(-1)?.kind as { target_id?: string } | undefined)?.target_id;
        expect(p.headTarget).toBe(target ?? null);
        const seen = nodes.some((e) => e.id === target);
        expect(p.head).toBe(seen ? target : (nodes.at(-1)?.id ?? null));
        // The active path: root → head, then the newest child down to a leaf.
        const path = activePath(p);
        if (p.head === null) expect(path).toEqual([]);
        else {
          expect(path[0]!.parentId).toBe(null);
          expect(path.map((n) => n.id)).toContain(p.head);
          for (let i = 1; i < path.length; i++) expect(path[i]!.parentId).toBe(path[i - 1]!.id);
          expect(path.at(-1)!.children).toEqual([]);
          const below = path.slice(path.findIndex((n) => n.id === p.head));
          for (let i = 1; i < below.length; i++)
            expect(below[i]!.id).toBe(below[i - 1]!.children.at(-1));
        }
        // Counts and tokens span every branch.
        expect(p.messageCount).toBe(nodes.filter((e) => e.kind.type === 'message_received').length);
        expect(p.tokens.responses).toBe(
          nodes.filter((e) => e.kind.type === 'agent_response').length,
        );
      }),
      RUNS,
    );
  });
});
