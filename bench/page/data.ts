/**
 * Realistic chat events for the benchmarks, made with the library's own
 * `createEvent` (so ids, timestamps and shapes are the real ones): user
 * messages and agent answers of a few hundred bytes, some tool calls with
 * their results, now and then a state change. Seeded, so every run stores the
 * same content (ids differ: the clock and origin are real).
 */
import {
  type AnyEvent,
  createEvent,
  type EventKindInput,
  type HybridClock,
  sessionKey,
} from '../../src/index.js';

const WORDS =
  'the a to of and in that is for it on with as this was be at by not are from or have an they which you one were all we when there can more if will about out up what so into time has some could them than other then now its only also after use how our work first well way even new want because any these give day most us data store session message reply model tool search result index page query cache browser offline sync tab event log order clock merge state token stream draft user agent answer question note plan file'.split(
    ' ',
  );

/** mulberry32: a small seeded PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function between(r: () => number, lo: number, hi: number): number {
  return lo + Math.floor(r() * (hi - lo + 1));
}

function text(r: () => number, minChars: number, maxChars: number): string {
  const target = between(r, minChars, maxChars);
  const words: string[] = [];
  let length = 0;
  while (length < target) {
    const w = WORDS[Math.floor(r() * WORDS.length)]!;
    words.push(w);
    length += w.length + 1;
  }
  const s = words.join(' ');
  return `${s[0]!.toUpperCase()}${s.slice(1)}.`;
}

/**
 * The kinds of one conversation of `n` events: it starts with
 * session_started, then turns of message_received → (tool_called +
 * tool_result, one turn in four) → agent_response, with a state_changed (the
 * title) now and then.
 */
export function conversationKinds(seed: number, n: number): EventKindInput[] {
  const r = rng(seed);
  const out: EventKindInput[] = [
    { type: 'session_started', channel: 'webchat', peer_id: `user-${seed}` },
  ];
  let step = 0;
  while (out.length < n) {
    const phase = step++ % 3;
    if (phase === 0) {
      out.push({
        type: 'message_received',
        content: text(r, 40, 250),
        attachments: r() < 0.05 ? [{ kind: 'image', mime_type: 'image/png', size: 48213 }] : [],
      });
    } else if (phase === 1 && r() < 0.25) {
      const query = text(r, 15, 60);
      out.push({ type: 'tool_called', tool_name: 'search', params: { query, limit: 3 } });
      if (out.length < n) {
        out.push({
          type: 'tool_result',
          tool_name: 'search',
          result: {
            hits: [0, 1, 2].map((i) => ({ title: text(r, 10, 40), score: 0.9 - i * 0.1 })),
          },
          success: r() > 0.05,
        });
      }
    } else if (phase === 2 || phase === 1) {
      out.push({
        type: 'agent_response',
        content: text(r, 100, 450),
        model: 'claude-sonnet',
        tokens: {
          input_tokens: between(r, 200, 4000),
          output_tokens: between(r, 40, 400),
          cache_read_tokens: r() < 0.5 ? between(r, 0, 3000) : null,
        },
      });
      if (r() < 0.03 && out.length < n) {
        out.push({ type: 'state_changed', key: 'title', value: text(r, 10, 40) });
      }
    }
  }
  return out.slice(0, n);
}

/** The canonical key of benchmark session `i`. */
export function benchKey(i: number): string {
  return sessionKey({
    agent: 'assistant',
    channel: 'webchat',
    account: 'bench',
    peerType: 'dm',
    peer: `user-${i}`,
  });
}

/** `n` events of one session, created now (clock timestamps, real ids). */
export function sessionEvents(
  session: number,
  n: number,
  seed = session,
  clock?: HybridClock,
): AnyEvent[] {
  const key = benchKey(session);
  return conversationKinds(seed, n).map((kind) =>
    createEvent(key, 'assistant', kind, clock ? { clock } : {}),
  );
}

/**
 * `n` events spread over `sessions` conversations, interleaved as they would
 * arrive when several chats are active at once.
 */
export function mixedEvents(n: number, sessions: number, seed: number): AnyEvent[] {
  const per = Math.ceil(n / sessions);
  const kinds = Array.from({ length: sessions }, (_, s) => conversationKinds(seed * 1000 + s, per));
  const out: AnyEvent[] = [];
  for (let i = 0; out.length < n; i++) {
    const s = i % sessions;
    const kind = kinds[s]![Math.floor(i / sessions)];
    if (kind) out.push(createEvent(benchKey(seed * 1000 + s), 'assistant', kind));
  }
  return out;
}
