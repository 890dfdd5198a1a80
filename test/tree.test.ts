/**
 * The conversation tree in the projection (DESIGN §8, issue 13): parent
 * chaining, siblings, the head register and the active path, on hand-made
 * conversations. The CRDT laws over trees are in projection.property.test.ts.
 */
import { describe, expect, test } from 'vitest';
import { HybridClock } from '../src/clock.js';
import { toReferenceProjection } from '../src/entries/reference.js';
import {
  activePath,
  applyEvent,
  createEvent,
  type EventKindInput,
  mergeProjections,
  project,
  type SessionEvent,
  siblingsOf,
} from '../src/index.js';

const KEY = 'agent:a:main';
let second = 0;
const clock = new HybridClock({ now: () => Date.UTC(2026, 10, 30, 6) });
const at = (s: number) => `2026-11-30T05:00:${String(s).padStart(2, '0')}Z`;
function ev(kind: EventKindInput, s = ++second): SessionEvent {
  return createEvent(KEY, 'a', kind, { clock, origin: 'o', timestamp: at(s) }) as SessionEvent;
}
const user = (content: string, parent_id?: string | null) =>
  ev({ type: 'message_received', content, ...(parent_id === undefined ? {} : { parent_id }) });
const reply = (content: string, parent_id?: string) =>
  ev({
    type: 'agent_response',
    content,
    model: 'm',
    tokens: { input_tokens: 1, output_tokens: 10 },
    ...(parent_id === undefined ? {} : { parent_id }),
  });
const head = (target_id: string) => ev({ type: 'head_set', target_id });
const ids = (nodes: ReadonlyArray<{ id: string }>) => nodes.map((n) => n.id);

describe('the conversation tree', () => {
  test('a linear log chains each node to the previous one (the reference case)', () => {
    second = 0;
    const events = [user('q1'), reply('a1'), user('q2'), reply('a2')];
    const p = project(events);
    expect(p.nodes.map((n) => n.parentId)).toEqual([null, ...ids(events.slice(0, 3))]);
    expect(ids(activePath(p))).toEqual(ids(events));
    expect(p.head).toBe(events[3]!.id);
    for (const e of events) expect(ids(siblingsOf(p, e.id))).toEqual([e.id]);
  });

  test('an edit is a sibling; the newest leaf is the head; the old branch stays', () => {
    second = 0;
    const q1 = user('q1');
    const a1 = reply('a1');
    const q2 = user('q2');
    const a2 = reply('a2');
    const q2b = user('q2 edited', a1.id);
    const a2b = reply('a2 for the edit'); // no parent: follows q2b, the previous node
    const p = project([a2b, q1, q2b, a1, a2, q2]);
    expect(ids(siblingsOf(p, q2.id))).toEqual([q2.id, q2b.id]);
    expect(ids(siblingsOf(p, q2b.id))).toEqual([q2.id, q2b.id]);
    expect(ids(activePath(p))).toEqual([q1.id, a1.id, q2b.id, a2b.id]);
    // Counts and tokens span every branch; the reference's list is every message, in order.
    expect(p.messageCount).toBe(3);
    expect(p.tokens.responses).toBe(3);
    expect(toReferenceProjection(p).messages).toEqual([
      { Inbound: 'q1' },
      { Outbound: 'a1' },
      { Inbound: 'q2' },
      { Outbound: 'a2' },
      { Inbound: 'q2 edited' },
      { Outbound: 'a2 for the edit' },
    ]);
  });

  test('head_set switches branch, the last one wins, and the path descends past the head', () => {
    second = 0;
    const q1 = user('q1');
    const a1 = reply('a1');
    const a1b = reply('a1 regenerated', q1.id);
    const h1 = head(a1.id);
    let p = project([q1, a1, a1b, h1]);
    expect(p.head).toBe(a1.id);
    expect(ids(activePath(p))).toEqual([q1.id, a1.id]);
    // A follow-up below the head stays in view: the path goes on through the newest child.
    const q2 = user('q2', a1.id);
    p = project([q1, a1, a1b, h1, q2]);
    expect(ids(activePath(p))).toEqual([q1.id, a1.id, q2.id]);
    // Back to the regenerated reply: a later head_set wins, whatever the order of arrival.
    const h2 = head(a1b.id);
    const events = [q1, a1, a1b, h1, q2, h2];
    p = project(events);
    expect(p.headTarget).toBe(a1b.id);
    expect(ids(activePath(p))).toEqual([q1.id, a1b.id]);
    expect(project([...events].reverse())).toEqual(p);
    expect(mergeProjections(project(events.slice(0, 3)), project(events.slice(3)))).toEqual(p);
  });

  test('a head not yet seen, or a parent not yet seen, resolves deterministically', () => {
    second = 0;
    const q1 = user('q1');
    const a1 = reply('a1');
    const q2 = user('q2', a1.id);
    const switchTo = head(q2.id);
    // Without q2: the head names an unseen event, so the newest leaf is the head.
    let p = project([q1, a1, switchTo]);
    expect(p.headTarget).toBe(q2.id);
    expect(p.head).toBe(a1.id);
    p = project([q1, a1, switchTo, q2]);
    expect(p.head).toBe(q2.id);
    // A parent that is unseen (or sorts after its child) is ignored: the child follows the previous node.
    const orphan = user('orphan', 'e'.repeat(64));
    const backwards = ev({ type: 'message_received', content: 'back', parent_id: orphan.id }, 1);
    p = project([q1, backwards, orphan]);
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    expect(byId.get(orphan.id)!.parentId).toBe(q1.id);
    expect(byId.get(backwards.id)!.parentId).toBe(null);
  });

  test('parent_id null starts a new root: editing the first message', () => {
    second = 0;
    const q1 = user('q1');
    const a1 = reply('a1');
    const q1b = user('q1 edited', null);
    const p = project([q1, a1, q1b]);
    expect(ids(siblingsOf(p, q1.id))).toEqual([q1.id, q1b.id]);
    expect(ids(activePath(p))).toEqual([q1b.id]);
    expect(siblingsOf(p, 'f'.repeat(64))).toEqual([]);
  });

  test('tool calls are nodes, paired with results by call_id; messages stay as the reference lists them', () => {
    second = 0;
    const q = user('weather in Paris and Rome?');
    const c1 = ev({ type: 'tool_called', tool_name: 'w', params: { c: 'Paris' }, call_id: 'c1' });
    const c2 = ev({
      type: 'tool_called',
      tool_name: 'w',
      params: { c: 'Rome' },
      call_id: 'c2',
      parent_id: c1.id,
    });
    const r2 = ev({
      type: 'tool_result',
      tool_name: 'w',
      result: 20,
      success: true,
      call_id: 'c2',
    });
    const r1 = ev({
      type: 'tool_result',
      tool_name: 'w',
      result: 18,
      success: true,
      call_id: 'c1',
    });
    const p = project([q, c1, c2, r2, r1]);
    expect(ids(activePath(p))).toEqual(ids([q, c1, c2, r2, r1]));
    expect(ids(p.messages)).toEqual(ids([q, r2, r1]));
    const kinds = activePath(p).map((n) => n.kind);
    for (const call of kinds) {
      if (call.type !== 'tool_called') continue;
      const result = kinds.find((r) => r.type === 'tool_result' && r.call_id === call.call_id);
      expect(result?.type === 'tool_result' && result.result).toBe(call.call_id === 'c1' ? 18 : 20);
    }
  });

  test('unchanged nodes keep their identity when an event is applied', () => {
    second = 0;
    const q1 = user('q1');
    const a1 = reply('a1');
    const before = project([q1, a1]);
    const after = applyEvent(before, user('q2'));
    expect(after.nodes[0]).toBe(before.nodes[0]);
    expect(after.nodes[1]).not.toBe(before.nodes[1]); // it gained a child
    expect(after.nodes[1]!.children).toHaveLength(1);
  });

  test('projections made from one projection in different orders leave it and each other as they were', () => {
    second = 0;
    const [q1, a1, q2, q3] = [user('q1'), reply('a1'), user('q2'), user('q3')];
    const base = project([q1, a1]);
    const one = applyEvent(base, q2);
    const other = applyEvent(applyEvent(base, q3), q2); // q2 sorts before q3: the tree is derived again
    const both = applyEvent(one, q3);
    expect(base).toEqual(project([q1, a1]));
    expect(one).toEqual(project([q1, a1, q2]));
    expect(other).toEqual(project([q1, a1, q2, q3]));
    expect(both).toEqual(other);
    expect(applyEvent(one, q2)).toBe(one);
    expect(applyEvent(other, q3)).toBe(other);
    expect(activePath(both).map((n) => n.id)).toEqual([q1.id, a1.id, q2.id, q3.id]);
  });
});
