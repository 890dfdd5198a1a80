/**
 * The conversation view. It opens on the latest page of messages
 * (`getMessages`, 50 by default), loads older pages when scrolled to the top,
 * and renders every event of the loaded window (tool calls and state changes
 * too, read with `getEventsSince`). It stays live through `subscribe` (new
 * events from this tab or any other) and `subscribeDrafts` (replies being
 * streamed, here or elsewhere). All content is rendered as text.
 */
import {
  type AnyEvent,
  activePath,
  compareEvents,
  type EventStore,
  isKnownKind,
  type Message,
  newestLeafUnder,
  type SessionEvent,
} from 'sessionlog';
import type { Agent, ToolOutcome, Turn } from './agent.js';
import { type BranchActions, decorateRow } from './branches.js';
import { h } from './dom.js';
import { longTime, num, oneLine, pretty, shortTime, toMillis } from './format.js';

type Draft = ReturnType<EventStore['getDraftsSnapshot']>[number];

/** A row of the thread: an event (messages are events too). */
interface Item {
  id: string;
  timestamp: string;
  kind: AnyEvent['kind'];
}

const PAGE = 50;
const CLAMP = 3000;
// Kinds that are nodes of the conversation tree: shown only on the active path.
const NODE_KINDS = new Set([
  'message_received',
  'message_sent',
  'agent_response',
  'tool_called',
  'tool_result',
]);
const SHOWN_KINDS = new Set([
  'message_received',
  'message_sent',
  'agent_response',
  'tool_called',
  'tool_result',
  'session_started',
  'session_ended',
  'state_changed',
]);

/** The normalized timestamp one nanosecond earlier (so `getEventsSince` includes `ts`). */
export function justBefore(ts: string): string {
  const m = /^(.*T\d\d:\d\d:\d\d)\.(\d{9})Z$/.exec(ts);
  if (!m) return ts;
  const fraction = Number(m[2]);
  if (fraction > 0) return `${m[1]}.${String(fraction - 1).padStart(9, '0')}Z`;
  const second = new Date(Date.parse(`${m[1]}Z`) - 1000).toISOString().slice(0, 19);
  return `${second}.999999999Z`;
}

export interface ThreadOptions {
  store: EventStore;
  agent: Agent;
  scroller: HTMLElement;
  list: HTMLOListElement;
  drafts: HTMLElement;
  loadOlder: HTMLButtonElement;
  start: HTMLElement;
  onError(error: unknown): void;
}

export class ThreadView {
  readonly #o: ThreadOptions;
  #key: string | null = null;
  #epoch = 0;
  #windowStart: Message | null = null;
  #hasOlder = false;
  #loadingOlder = false;
  #items = new Map<string, Item>();
  #elements = new Map<string, HTMLElement>();
  #draftElements = new Map<string, HTMLElement>();
  #unsubscribe: Array<() => void> = [];
  #refreshing = false;
  #dirty = false;

  constructor(options: ThreadOptions) {
    this.#o = options;
    options.loadOlder.addEventListener('click', () => void this.#loadOlder());
    options.scroller.addEventListener('scroll', () => {
      if (options.scroller.scrollTop < 150) void this.#loadOlder();
    });
  }

  get sessionKey(): string | null {
    return this.#key;
  }

  /** Shows a session (or nothing). */
  async open(key: string | null): Promise<void> {
    const epoch = ++this.#epoch;
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
    this.#key = key;
    this.#items.clear();
    this.#elements.clear();
    this.#draftElements.clear();
    this.#windowStart = null;
    this.#hasOlder = false;
    this.#o.list.replaceChildren();
    this.#o.drafts.replaceChildren();
    this.#o.loadOlder.hidden = true;
    this.#o.start.hidden = true;
    if (key === null) return;
    const { store } = this.#o;
    try {
      const page = await store.getMessages(key, { limit: PAGE });
      if (epoch !== this.#epoch) return;
      this.#windowStart = page.messages[0] ?? null;
      this.#hasOlder = page.hasMore;
      for (const m of page.messages) this.#items.set(m.id, m);
      await this.#loadWindow(epoch);
      if (epoch !== this.#epoch) return;
    } catch (error) {
      this.#o.onError(error);
    }
    this.#render();
    this.#scrollToBottom();
    this.#unsubscribe.push(
      store.subscribe(key, () => this.#refresh()),
      store.subscribeDrafts(key, (drafts) => this.#renderDrafts(drafts)),
    );
    this.#renderDrafts(store.getDraftsSnapshot(key));
  }

  /** Renders again without reading (the agent started or stopped: Edit / Regenerate change). */
  update(): void {
    if (this.#key !== null) this.#render();
  }

  /** Scrolls to the newest message. */
  scrollToBottom(): void {
    this.#scrollToBottom();
  }

  /** Reads every event of the loaded window (from the oldest loaded message on). */
  async #loadWindow(epoch: number): Promise<void> {
    const key = this.#key;
    if (key === null) return;
    const { store } = this.#o;
    const events =
      this.#hasOlder && this.#windowStart
        ? await store.getEventsSince(key, justBefore(this.#windowStart.timestamp))
        : await store.getEvents(key);
    if (epoch !== this.#epoch) return;
    const next = new Map<string, Item>();
    if (this.#windowStart) next.set(this.#windowStart.id, this.#windowStart);
    // Other branches' messages are in the log too: keep the active path's (once it is known).
    const snapshot = store.getSnapshot(key);
    const onPath = snapshot && new Set(activePath(snapshot).map((n) => n.id));
    for (const e of events) {
      if (onPath && NODE_KINDS.has(e.kind.type) && !onPath.has(e.id)) continue;
      if (SHOWN_KINDS.has(e.kind.type) || !isKnownKind(e.kind)) next.set(e.id, e);
    }
    this.#items = next;
  }

  #refresh(): void {
    if (this.#refreshing) {
      this.#dirty = true;
      return;
    }
    this.#refreshing = true;
    const epoch = this.#epoch;
    void (async () => {
      try {
        do {
          this.#dirty = false;
          await this.#loadWindow(epoch);
          if (epoch !== this.#epoch) return;
          this.#render();
        } while (this.#dirty);
      } catch (error) {
        this.#o.onError(error);
      } finally {
        this.#refreshing = false;
        if (epoch === this.#epoch) this.#dropLeavingDrafts();
      }
    })();
  }

  async #loadOlder(): Promise<void> {
    const key = this.#key;
    if (key === null || !this.#hasOlder || this.#loadingOlder || !this.#windowStart) return;
    this.#loadingOlder = true;
    const epoch = this.#epoch;
    const { scroller, store } = this.#o;
    try {
      const page = await store.getMessages(key, { limit: PAGE, before: this.#windowStart });
      if (epoch !== this.#epoch) return;
      this.#windowStart = page.messages[0] ?? this.#windowStart;
      this.#hasOlder = page.hasMore;
      await this.#loadWindow(epoch);
      if (epoch !== this.#epoch) return;
      const fromBottom = scroller.scrollHeight - scroller.scrollTop;
      this.#render();
      scroller.scrollTop = scroller.scrollHeight - fromBottom;
    } catch (error) {
      this.#o.onError(error);
    } finally {
      this.#loadingOlder = false;
    }
  }

  #nearBottom(): boolean {
    const s = this.#o.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 120;
  }

  #scrollToBottom(): void {
    const s = this.#o.scroller;
    s.scrollTop = s.scrollHeight;
  }

  #render(): void {
    const key = this.#key;
    const snapshot = key === null ? undefined : this.#o.store.getSnapshot(key);
    const busy = key !== null && this.#o.agent.isRunning(key);
    const stick = this.#nearBottom();
    const items = [...this.#items.values()].sort(compareEvents);
    const list = this.#o.list;
    let ref = list.firstElementChild;
    const keep = new Set<string>();
    for (const item of items) {
      keep.add(item.id);
      let el = this.#elements.get(item.id);
      if (!el) {
        el = renderItem(item);
        this.#elements.set(item.id, el);
      }
      decorateRow(el, snapshot, this.#actions, busy);
      if (el === ref) ref = ref.nextElementSibling;
      else list.insertBefore(el, ref);
    }
    while (ref) {
      const next = ref.nextElementSibling;
      ref.remove();
      ref = next;
    }
    for (const id of this.#elements.keys()) if (!keep.has(id)) this.#elements.delete(id);
    this.#o.loadOlder.hidden = !this.#hasOlder;
    this.#o.start.hidden = this.#hasOlder || items.length === 0;
    if (stick) this.#scrollToBottom();
  }

  // ---------------------------------------------------------------- branches

  readonly #actions: BranchActions = {
    switchTo: (id) =>
      this.#branch(async (key, store) => {
        const snapshot = store.getSnapshot(key);
        // The leaf below the sibling: what its branch last showed, and cheap to page.
        const leaf = snapshot ? newestLeafUnder(snapshot, id) : undefined;
        await store.setHead(key, leaf?.id ?? id);
      }),
    edit: (id, text) =>
      this.#branch(async (key, store) => {
        const history = this.#pathBefore(id).filter(
          (n) => n.kind.type === 'message_received',
        ).length;
        const message = await store.edit(key, id, text, { agentId: 'assistant' });
        void this.#o.agent.reply(key, { userText: text, userEventId: message.id, history });
      }),
    regenerate: (id) =>
      this.#branch(async (key) => {
        const before = this.#pathBefore(id);
        let turn: Turn | null = null;
        let tool: ToolOutcome | null = null;
        let history = 0;
        for (const node of before) {
          if (node.kind.type === 'message_received') {
            if (turn) history++;
            turn = { userText: node.kind.content, userEventId: node.id, history };
            tool = null;
          } else if (node.kind.type === 'tool_result') {
            tool = {
              name: node.kind.tool_name,
              result: node.kind.result,
              success: node.kind.success,
            };
          }
        }
        await this.#o.agent.regenerate(
          key,
          id,
          turn ?? { userText: '', userEventId: id, history: 0 },
          tool,
        );
      }),
  };

  /** The active path's nodes before `id`. */
  #pathBefore(id: string) {
    const snapshot = this.#key === null ? undefined : this.#o.store.getSnapshot(this.#key);
    const path = snapshot ? activePath(snapshot) : [];
    const at = path.findIndex((n) => n.id === id);
    return at < 0 ? [] : path.slice(0, at);
  }

  #branch(run: (key: string, store: EventStore) => Promise<void>): void {
    const key = this.#key;
    if (key === null) return;
    run(key, this.#o.store).catch((error) => this.#o.onError(error));
  }

  // ---------------------------------------------------------------- drafts

  #renderDrafts(drafts: readonly Draft[]): void {
    const stick = this.#nearBottom();
    const present = new Set<string>();
    for (const draft of drafts) {
      present.add(draft.id);
      let el = this.#draftElements.get(draft.id);
      if (!el || el.dataset.status !== draft.status) {
        const fresh = this.#renderDraft(draft);
        if (el) el.replaceWith(fresh);
        else this.#o.drafts.append(fresh);
        el = fresh;
        this.#draftElements.set(draft.id, el);
      }
      const bubble = el.querySelector<HTMLElement>('.bubble')!;
      if (draft.text === '') {
        if (!bubble.querySelector('.typing')) {
          bubble.replaceChildren(h('span', 'typing', h('i'), h('i'), h('i')));
        }
      } else if (bubble.textContent !== draft.text) bubble.textContent = draft.text;
    }
    let gone = false;
    for (const [id, el] of this.#draftElements) {
      if (!present.has(id) && el.dataset.leaving !== 'true') {
        // Keep the bubble until the committed reply is rendered, so it does not flicker.
        el.dataset.leaving = 'true';
        el.classList.remove('draft-streaming');
        gone = true;
      }
    }
    if (gone) this.#refresh();
    if (stick) this.#scrollToBottom();
  }

  #dropLeavingDrafts(): void {
    for (const [id, el] of this.#draftElements) {
      if (el.dataset.leaving === 'true') {
        el.remove();
        this.#draftElements.delete(id);
      }
    }
  }

  #renderDraft(draft: Draft): HTMLElement {
    const interrupted = draft.status === 'interrupted';
    const foot = h(
      'div',
      'msg-foot',
      interrupted
        ? 'Interrupted: the tab writing this reply went away. Its text is kept up to the last checkpoint.'
        : draft.local
          ? `${draft.model} · typing…`
          : `${draft.model} · typing in another tab…`,
    );
    const col = h('div', 'msg-col', h('div', { class: 'bubble', attrs: { dir: 'auto' } }), foot);
    if (interrupted) {
      const act = (label: string, cls: string, run: () => Promise<void>) =>
        h(
          'button',
          {
            class: `btn btn-small ${cls}`,
            attrs: { type: 'button' },
            on: {
              click: (event) => {
                (event.currentTarget as HTMLButtonElement).disabled = true;
                run().catch((error) => this.#o.onError(error));
              },
            },
          },
          label,
        );
      const context = this.#turnBefore(draft.startedAt);
      col.append(
        h(
          'div',
          'draft-actions',
          act('Resume', 'btn-primary', () =>
            this.#o.agent.resume(draft.sessionKey, draft.id, context.turn, context.tool, true),
          ),
          act('Keep as is', 'btn-ghost', () =>
            this.#o.agent.resume(draft.sessionKey, draft.id, context.turn, context.tool, false),
          ),
          act('Discard', 'btn-ghost btn-danger', () => this.#o.store.discardDraft(draft.id)),
        ),
      );
    }
    return h(
      'div',
      {
        class: `msg msg-agent draft ${interrupted ? 'draft-interrupted' : 'draft-streaming'}`,
        dataset: { draftId: draft.id, status: draft.status, local: String(draft.local) },
      },
      h('div', { class: 'avatar', attrs: { 'aria-hidden': 'true' } }, 'AI'),
      col,
    );
  }

  /** The user message a draft answers, and the tool result it got (to resume it). */
  #turnBefore(startedAt: number): { turn: Turn | null; tool: ToolOutcome | null } {
    const items = [...this.#items.values()].sort(compareEvents);
    let turn: Turn | null = null;
    let tool: ToolOutcome | null = null;
    let history = 0;
    for (const item of items) {
      if (toMillis(item.timestamp) > startedAt) break;
      if (item.kind.type === 'message_received') {
        if (turn) history++;
        turn = { userText: String(item.kind.content), userEventId: item.id, history };
        tool = null;
      } else if (item.kind.type === 'tool_result') {
        const k = (item as SessionEvent).kind as Extract<
          SessionEvent['kind'],
          { type: 'tool_result' }
        >;
        tool = { name: k.tool_name, result: k.result, success: k.success };
      }
    }
    return { turn, tool };
  }
}

// ---------------------------------------------------------------- rendering

function clampedText(text: string): HTMLElement {
  const bubble = h('div', { class: 'bubble', attrs: { dir: 'auto' } });
  if (text.length <= CLAMP) {
    bubble.textContent = text;
    return bubble;
  }
  bubble.textContent = `${text.slice(0, CLAMP)}…`;
  const more = h(
    'button',
    {
      class: 'btn btn-ghost btn-small more',
      attrs: { type: 'button' },
      on: {
        click: () => {
          bubble.textContent = text;
          more.remove();
        },
      },
    },
    `Show all ${num([...text].length)} characters`,
  );
  const wrap = h('div', null, bubble, more);
  return wrap;
}

function time(timestamp: string): HTMLElement {
  return h(
    'time',
    { attrs: { datetime: timestamp.replace(/(\.\d{3})\d*Z$/, '$1Z'), title: longTime(timestamp) } },
    shortTime(timestamp),
  );
}

function bubbleRow(
  item: Item,
  who: 'user' | 'agent',
  text: string,
  extra: Array<Node | string>,
  foot: Array<Node | string>,
): HTMLElement {
  return h(
    'li',
    { class: `msg msg-${who}`, dataset: { id: item.id, kind: item.kind.type } },
    h('div', { class: 'avatar', attrs: { 'aria-hidden': 'true' } }, who === 'user' ? 'You' : 'AI'),
    h(
      'div',
      'msg-col',
      clampedText(text),
      ...extra,
      h('div', 'msg-foot', time(item.timestamp), ...foot),
    ),
  );
}

function systemRow(item: Item, text: string): HTMLElement {
  return h(
    'li',
    {
      class: 'system',
      dataset: { id: item.id, kind: item.kind.type },
      attrs: { title: longTime(item.timestamp) },
    },
    text,
  );
}

function toolRow(
  item: Item,
  icon: string,
  cls: string,
  label: Array<Node | string>,
  body: unknown,
): HTMLElement {
  return h(
    'li',
    { class: `tool ${cls}`, dataset: { id: item.id, kind: item.kind.type } },
    h(
      'details',
      null,
      h(
        'summary',
        null,
        h('span', { class: 'tool-icon', attrs: { 'aria-hidden': 'true' } }, icon),
        ...label,
        h('span', 'tool-preview', oneLine(body, 70)),
      ),
      h('pre', 'json', pretty(body)),
    ),
  );
}

/** The element of one thread row. Events are immutable, so it never changes. */
export function renderItem(item: Item): HTMLElement {
  if (!isKnownKind(item.kind)) {
    return systemRow(
      item,
      `Event of an unknown kind “${item.kind.type}” (kept, ignored by the projection)`,
    );
  }
  const k = item.kind;
  switch (k.type) {
    case 'message_received':
      return bubbleRow(
        item,
        'user',
        k.content,
        k.attachments.length > 0
          ? [
              h(
                'div',
                'attachments',
                ...k.attachments.map((a) =>
                  h(
                    'span',
                    'attachment',
                    `📎 ${a.kind}${a.mime_type ? ` · ${a.mime_type}` : ''}${a.size !== null ? ` · ${num(a.size)} B` : ''}`,
                  ),
                ),
              ),
            ]
          : [],
        [],
      );
    case 'agent_response':
      return bubbleRow(
        item,
        'agent',
        k.content,
        [],
        [
          h('span', null, k.model),
          h(
            'span',
            { attrs: { title: 'input / output tokens' } },
            `${num(k.tokens.input_tokens)} in · ${num(k.tokens.output_tokens)} out`,
          ),
        ],
      );
    case 'message_sent':
      return bubbleRow(item, 'agent', k.content, [], [h('span', null, `sent · ${k.message_id}`)]);
    case 'tool_called':
      return toolRow(item, 'ƒ', 'tool-call', ['Called ', h('code', null, k.tool_name)], k.params);
    case 'tool_result':
      return toolRow(
        item,
        k.success ? '✓' : '✗',
        k.success ? 'tool-ok' : 'tool-fail',
        [h('code', null, k.tool_name), k.success ? ' returned' : ' failed'],
        k.result,
      );
    case 'session_started':
      return systemRow(
        item,
        k.channel === 'web'
          ? `Chat started · ${shortTime(item.timestamp)}`
          : `Session started on ${k.channel} with ${k.peer_id}`,
      );
    case 'session_ended':
      return systemRow(item, `Session ended${k.reason ? `: ${k.reason}` : ''}`);
    case 'state_changed':
      return systemRow(
        item,
        k.key === 'title' && typeof k.value === 'string'
          ? `Title: “${k.value}”`
          : `State ${k.key === '' ? '(empty key)' : k.key} = ${oneLine(k.value, 80)}`,
      );
    case 'head_set':
      return systemRow(item, 'Switched branch');
  }
}
