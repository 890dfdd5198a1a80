/**
 * The simulated agent: no network and no model, just canned replies that are
 * deterministic for a given message (chosen by its event id). It does what a
 * real agent integration does with sessionlog: records tool calls and their
 * results as events, streams its reply through `store.stream()` (a draft that
 * other tabs see live and that survives a reload as "interrupted"), and
 * commits it with token usage as one `agent_response`.
 */
import type { EventStore, JsonValue } from 'sessionlog';

export const AGENT_ID = 'assistant';
export const MODEL = 'sim-1';

type StreamHandle = ReturnType<EventStore['stream']>;

/** What the agent answers: the user's message, and the tool result it got, if any. */
export interface Turn {
  userText: string;
  userEventId: string;
  /** How many user messages the session had before this one. */
  history: number;
}

interface ToolPlan {
  name: string;
  params: JsonValue;
  run(): { result: JsonValue; success: boolean };
}

export interface ToolOutcome {
  name: string;
  result: JsonValue;
  success: boolean;
}

// ---------------------------------------------------------------- tools

/** Evaluates + - * / and parentheses (no eval). Throws on anything else. */
export function evaluate(expression: string): number {
  const src = expression.replace(/×/g, '*').replace(/÷/g, '/').replace(/\s+/g, '');
  let i = 0;
  const peek = () => src[i];
  const expr = (): number => {
    let v = term();
    while (peek() === '+' || peek() === '-') v = src[i++] === '+' ? v + term() : v - term();
    return v;
  };
  const term = (): number => {
    let v = factor();
    while (peek() === '*' || peek() === '/') v = src[i++] === '*' ? v * factor() : v / factor();
    return v;
  };
  const factor = (): number => {
    if (peek() === '-') {
      i++;
      return -factor();
    }
    if (peek() === '(') {
      i++;
      const v = expr();
      if (src[i++] !== ')') throw new Error('missing )');
      return v;
    }
    const m = /^\d+(\.\d+)?/.exec(src.slice(i));
    if (!m) throw new Error(`unexpected "${peek() ?? 'end'}"`);
    i += m[0].length;
    return Number(m[0]);
  };
  const v = expr();
  if (i !== src.length) throw new Error(`unexpected "${src[i]}"`);
  return v;
}

function findExpression(text: string): string | null {
  let best: string | null = null;
  for (const m of text.matchAll(/[-(\d][\d\s.+\-*/×÷()]*[\d)]/g)) {
    const candidate = m[0].trim();
    if (!/\d\s*\)*\s*[-+*/×÷]\s*\(*\s*-?\d/.test(candidate)) continue;
    if (!best || candidate.length > best.length) best = candidate;
  }
  return best;
}

const DOCS: Array<{ topic: string; keys: RegExp; text: string }> = [
  {
    topic: 'offline',
    keys: /offline|service worker|\bpwa\b|network/i,
    text: 'The app shell is precached by a Workbox service worker and the data lives in IndexedDB, so reading and writing never need the network.',
  },
  {
    topic: 'tabs',
    keys: /\btabs?\b|broadcast|\bsync/i,
    text: 'After each commit a tab posts the committed events on a BroadcastChannel; the other tabs merge them into their live projections, and a sequence number lets a tab that missed a message catch up from the log.',
  },
  {
    topic: 'streaming',
    keys: /stream|draft|typing/i,
    text: 'A reply streams as a draft: other tabs see its text live, it is checkpointed to IndexedDB every 250 ms, and it becomes one agent_response event when done. A reload mid-reply leaves an interrupted draft that can be resumed.',
  },
  {
    topic: 'events',
    keys: /\bevents?\b|hash|blake|\bids?\b/i,
    text: 'Every change is an immutable event whose id is the BLAKE2b hash of its content, so the same event imported twice is stored once.',
  },
  {
    topic: 'CRDT merge',
    keys: /crdt|merge|conflict|projection/i,
    text: 'The projection is a pure function of the set of events: a union of messages plus last-writer-wins registers ordered by (timestamp, id), so replicas merge to the same state in any order.',
  },
  {
    topic: 'export and import',
    keys: /export|import|backup|jsonl|json lines/i,
    text: 'Export writes JSON Lines in sessionlog’s format or the Rust reference’s; import validates every line, commits in batches and reports progress.',
  },
  {
    topic: 'deletion',
    keys: /delete|tombstone/i,
    text: 'Deleting a chat removes its events in one transaction and leaves a tombstone, so an older copy arriving later does not bring it back.',
  },
  {
    topic: 'storage',
    keys: /quota|storage|persist|disk space/i,
    text: 'The app asks the browser for persistent storage and shows usage and quota; a full disk surfaces as a typed quota error, shown as a notice.',
  },
];

/** The tool the agent calls for this message, if any. */
export function planTool(text: string): ToolPlan | null {
  const expression = findExpression(text);
  if (expression) {
    return {
      name: 'calculator',
      params: { expression },
      run(): { result: JsonValue; success: boolean } {
        try {
          const value = evaluate(expression);
          if (!Number.isFinite(value))
            return { result: { error: 'division by zero' }, success: false };
          return { result: { value: Math.round(value * 1e10) / 1e10 }, success: true };
        } catch (error) {
          return { result: { error: (error as Error).message }, success: false };
        }
      },
    };
  }
  if (/\b(time|date|today|what day)\b/i.test(text)) {
    const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    return {
      name: 'clock',
      params: { timeZone },
      run() {
        const now = new Date();
        return {
          result: { iso: now.toISOString(), local: now.toLocaleString(), timeZone },
          success: true,
        };
      },
    };
  }
  const hits = DOCS.filter((d) => d.keys.test(text)).slice(0, 3);
  if (hits.length > 0) {
    return {
      name: 'search_docs',
      params: { query: text.slice(0, 80) },
      run: () => ({
        result: { hits: hits.map(({ topic, text }) => ({ topic, text })) },
        success: true,
      }),
    };
  }
  return null;
}

// ---------------------------------------------------------------- replies

function seedOf(id: string): number {
  return Number.parseInt(id.slice(0, 8), 16) || 0;
}

const GENERAL = [
  (t: Turn) =>
    `Noted. Your message is now event ${t.userEventId.slice(0, 12)}…, named by the BLAKE2b hash of its content and stored in IndexedDB. Reload the page, or go offline and reload: it will still be here, and so will this reply.`,
  () =>
    `I’m a simulated agent: no network and no model, just canned replies streamed word by word through store.stream(). Open this chat in a second tab and send another message to watch my reply appear there while I am still typing.`,
  (t: Turn) =>
    `You wrote ${[...t.userText].length} characters, and they are now part of an append-only log. Open the Inspector (top right) to see every event of this chat with its id, whether the id verifies, and the projection built from them.`,
  () =>
    `Here’s a trick: reload this tab while I’m answering. My half-written reply is checkpointed as a draft, so after the reload it shows up as interrupted, and you can resume it, keep it as it is, or discard it.`,
  () =>
    `Ask me to calculate something (“what is 17 * 23?”), for the time, or about offline use, tabs, streaming, events, CRDT merge, export or deletion. Some answers use a tool, and the tool call and its result are stored as events too.`,
];

const GREETINGS = [
  'Hello! I’m the sessionlog demo agent. Everything we say here is stored as events in your browser, synced live across tabs, and kept when you go offline. Ask me something, or try “what is 6 * 7?”.',
  'Hi there! This chat lives entirely in IndexedDB: no server involved. My replies stream in as drafts that every open tab can see. Try asking “how does streaming work?”.',
];

/** The reply to a turn: deterministic for the same message and tool result. */
export function composeReply(turn: Turn, tool: ToolOutcome | null): string {
  const seed = seedOf(turn.userEventId);
  if (tool?.name === 'calculator') {
    const r = tool.result as { value?: number; error?: string };
    const expression = (planTool(turn.userText)?.params as { expression?: string })?.expression;
    return tool.success
      ? `${expression} = ${r.value}\n\nI used the calculator tool for that. Its call and its result are events of this chat, like your message and this reply: open the Inspector to see them.`
      : `I couldn’t work out ${expression}: ${r.error}. The failed call is stored as a tool_result with success set to false, so you can see it in the thread and in the Inspector.`;
  }
  if (tool?.name === 'clock') {
    const r = tool.result as { local?: string; timeZone?: string };
    return `It’s ${r.local} (${r.timeZone}), according to the clock tool.\n\nThis answer streamed in as a draft and was committed as one agent_response event, with its token usage, when it was complete.`;
  }
  if (tool?.name === 'search_docs') {
    const hits = (tool.result as { hits?: Array<{ topic: string; text: string }> }).hits ?? [];
    const lines = hits.map((hit) => `• ${hit.topic}: ${hit.text}`);
    return `Here’s what the sessionlog docs say:\n\n${lines.join('\n')}\n\nAsk me about another topic, or open a second tab to watch this happen live.`;
  }
  if (/^\s*(hi|hello|hey|hallo|good (morning|afternoon|evening))\b/i.test(turn.userText)) {
    return GREETINGS[seed % GREETINGS.length]!;
  }
  return GENERAL[seed % GENERAL.length]!(turn);
}

/** Word-sized pieces a reply streams in. */
export function pieces(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Plausible token usage for a turn. */
export function usage(turn: Turn, reply: string) {
  const system = 160;
  const history = turn.history * 48;
  const input = system + history + Math.ceil(turn.userText.length / 4);
  return {
    input_tokens: input,
    output_tokens: Math.max(1, Math.ceil(reply.length / 4)),
    cache_read_tokens: turn.history > 0 ? system + history : 0,
    cache_write_tokens: turn.history > 0 ? 48 : system,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Run {
  stopped: boolean;
  cancelled: boolean;
}

/**
 * Runs the agent for the sessions of one store. Replies in a session are
 * queued, one at a time, so a user can type ahead. `stop` ends the current
 * reply early and keeps what was written; `cancel` drops it.
 */
export class Agent {
  readonly #store: EventStore;
  readonly #runs = new Map<string, Run>();
  readonly #queues = new Map<string, Array<(run: Run) => Promise<void>>>();
  readonly #onChange: () => void;
  readonly #onError: (error: unknown) => void;

  constructor(store: EventStore, onChange: () => void, onError: (error: unknown) => void) {
    this.#store = store;
    this.#onChange = onChange;
    this.#onError = onError;
  }

  /** Whether this tab is writing (or about to write) a reply in the session. */
  isRunning(sessionKey: string): boolean {
    return this.#runs.has(sessionKey);
  }

  /** Ends the current reply now, committing the text written so far; drops queued ones. */
  stop(sessionKey: string): void {
    this.#queues.get(sessionKey)?.splice(0);
    const run = this.#runs.get(sessionKey);
    if (run) run.stopped = true;
  }

  /** Drops the current and queued replies (the session is being deleted). */
  cancel(sessionKey: string): void {
    this.#queues.get(sessionKey)?.splice(0);
    const run = this.#runs.get(sessionKey);
    if (run) run.cancelled = true;
  }

  /**
   * Answers a user message: maybe a tool call, then a streamed reply. They
   * name no parent: each follows the newest node, as in a linear log, so a
   * message sent while a reply streams stays in line (an edit or a switched
   * branch has moved the newest node onto the shown branch already).
   */
  reply(sessionKey: string, turn: Turn): Promise<void> {
    return this.#enqueue(sessionKey, async (run) => {
      await sleep(350);
      let outcome: ToolOutcome | null = null;
      const tool = planTool(turn.userText);
      if (tool && !run.cancelled) {
        // The call id pairs the result with its call (parallel calls stay apart).
        const callId = `call_${turn.userEventId.slice(0, 12)}`;
        await this.#store.record(sessionKey, AGENT_ID, {
          type: 'tool_called',
          tool_name: tool.name,
          params: tool.params,
          call_id: callId,
        });
        await sleep(300);
        const { result, success } = tool.run();
        outcome = { name: tool.name, result, success };
        await this.#store.record(sessionKey, AGENT_ID, {
          type: 'tool_result',
          tool_name: tool.name,
          result,
          success,
          call_id: callId,
        });
        await sleep(200);
      }
      if (run.cancelled) return;
      const reply = composeReply(turn, outcome);
      const handle = this.#store.stream(sessionKey, { agentId: AGENT_ID, model: MODEL });
      await this.#stream(run, handle, turn, reply);
    });
  }

  /**
   * Regenerates a reply: a new one beside it, streamed through
   * `store.regenerate()`. The canned text is picked anew (seeded by the
   * draft's id), so the sibling usually differs.
   */
  regenerate(
    sessionKey: string,
    replyId: string,
    turn: Turn,
    tool: ToolOutcome | null,
  ): Promise<void> {
    return this.#enqueue(sessionKey, async (run) => {
      const handle = await this.#store.regenerate(sessionKey, replyId, {
        agentId: AGENT_ID,
        model: MODEL,
      });
      const reply = composeReply({ ...turn, userEventId: handle.id.padEnd(8, '0') }, tool);
      await this.#stream(run, handle, turn, reply);
    });
  }

  /**
   * Continues an interrupted draft. With `finish`, the agent writes the rest of
   * the reply it was giving; without, the text is committed as it is.
   */
  resume(
    sessionKey: string,
    draftId: string,
    turn: Turn | null,
    tool: ToolOutcome | null,
    finish: boolean,
  ): Promise<void> {
    return this.#enqueue(sessionKey, async (run) => {
      const handle = await this.#store.resumeDraft(draftId);
      const reply = turn && finish ? composeReply(turn, tool) : handle.text;
      await this.#stream(run, handle, turn, reply.startsWith(handle.text) ? reply : handle.text);
    });
  }

  #enqueue(sessionKey: string, work: (run: Run) => Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      let queue = this.#queues.get(sessionKey);
      if (!queue) {
        queue = [];
        this.#queues.set(sessionKey, queue);
      }
      queue.push(async (run) => {
        try {
          await work(run);
        } finally {
          resolve();
        }
      });
      if (!this.#runs.has(sessionKey)) void this.#drain(sessionKey, queue);
    });
  }

  async #drain(sessionKey: string, queue: Array<(run: Run) => Promise<void>>): Promise<void> {
    for (let work = queue.shift(); work; work = queue.shift()) {
      const run: Run = { stopped: false, cancelled: false };
      this.#runs.set(sessionKey, run);
      this.#onChange();
      try {
        await work(run);
      } catch (error) {
        if (!run.cancelled) this.#onError(error);
      }
    }
    this.#runs.delete(sessionKey);
    this.#queues.delete(sessionKey);
    this.#onChange();
  }

  async #stream(run: Run, handle: StreamHandle, turn: Turn | null, reply: string): Promise<void> {
    const rest = pieces(reply.slice(handle.text.length));
    const seed = turn ? seedOf(turn.userEventId) : 0;
    for (let i = 0; i < rest.length; i++) {
      if (run.cancelled) return handle.abort('cancelled');
      if (run.stopped) break;
      handle.push(rest[i]!);
      await sleep(30 + ((seed + i * 7) % 45));
    }
    if (run.cancelled) return handle.abort('cancelled');
    if (handle.text.trim() === '') handle.push('…');
    await handle.done({
      tokens: usage(turn ?? { userText: '', userEventId: '0', history: 0 }, handle.text),
    });
  }
}
