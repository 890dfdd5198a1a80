/**
 * The sessionlog demo: an offline-first chat whose history is an event log in
 * IndexedDB. Plain TypeScript and DOM, no framework: the library's
 * subscriptions (sessions, one session's projection, its drafts) drive the
 * views directly.
 */

import { registerSW } from 'virtual:pwa-register';
import {
  activePath,
  createEvent,
  type EventStore,
  estimateStorage,
  openEventStore,
  type RestoreReport,
  requestPersistentStorage,
  type SessionSummary,
  sessionKey,
} from 'sessionlog';
import type { ExportFormat } from 'sessionlog/transfer';
import { AGENT_ID, Agent } from './app/agent.js';
import { byId, h } from './app/dom.js';
import { bytes, num, sessionTitle, shortTime, tokenLine } from './app/format.js';
import { Inspector } from './app/inspector.js';
import { Notices } from './app/notices.js';
import { startSyncPanel } from './app/sync-panel.js';
import { ThreadView } from './app/thread.js';
import { exportToFile, fileName, importFile } from './app/transfer.js';

/** The database the demo uses (other apps on the origin keep theirs). */
export const DATABASE = 'sessionlog-demo';

declare global {
  interface Window {
    /** The demo's store, for poking at it from the console (and for tests). */
    sessionlogDemo?: { store: EventStore };
  }
}

const app = byId('app');
const notices = new Notices(byId('notices'));
let swReady = false;

function setOfflineText(): void {
  const online = navigator.onLine;
  const text = byId('offline-text');
  const parts = [online ? 'Online' : 'Offline'];
  if (swReady) parts.push('works offline');
  else if (import.meta.env.DEV) parts.push('no service worker in dev');
  text.textContent = parts.join(' · ');
  text.title = swReady
    ? 'The app is cached by a service worker: it loads without the network.'
    : import.meta.env.DEV
      ? 'The dev server has no service worker: run `npm run demo:offline` for the offline build.'
      : 'Caching the app for offline use…';
  text.className = online ? '' : 'status-warn';
}

function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  if (navigator.serviceWorker.controller) swReady = true;
  registerSW({
    immediate: true,
    onOfflineReady() {
      swReady = true;
      setOfflineText();
      notices.show({
        id: 'offline-ready',
        level: 'info',
        title: 'Ready to work offline',
        detail: 'The app is cached: it will load and keep your chats even without a network.',
        timeoutMs: 6000,
      });
    },
    onRegisteredSW(_url, registration) {
      if (registration?.active) {
        swReady = true;
        setOfflineText();
      }
    },
    onNeedReload() {
      notices.show({
        id: 'update',
        level: 'info',
        title: 'A new version of the app is ready',
        detail: 'Reload to use it. Your chats stay where they are.',
        action: { label: 'Reload', run: () => location.reload() },
      });
    },
    onRegisterError(error) {
      notices.show({
        id: 'sw',
        level: 'warn',
        title: 'Offline mode is not available',
        detail: `The service worker could not be registered: ${String(error)}`,
      });
    },
  });
}

async function boot(): Promise<void> {
  registerServiceWorker();
  setOfflineText();
  addEventListener('online', setOfflineText);
  addEventListener('offline', setOfflineText);

  let store: EventStore;
  try {
    store = await openEventStore({ name: DATABASE });
  } catch (error) {
    notices.error(error, 'open');
    byId('welcome').hidden = false;
    for (const id of [
      'welcome-new',
      'welcome-import',
      'new-session',
      'import-button',
      'export-button',
    ]) {
      byId<HTMLButtonElement>(id).disabled = true;
    }
    byId('storage-text').textContent = 'unavailable';
    app.dataset.ready = 'error';
    return;
  }
  window.sessionlogDemo = { store };
  // `npm run demo:sync` serves a sync server at this path (docs/sync.md).
  const syncUrl = import.meta.env.VITE_SESSIONLOG_SYNC;
  if (syncUrl) startSyncPanel(store, syncUrl);
  // The journal (a copy of every commit outside IndexedDB) gives back what the database lacked:
  // a reset database before the store opens; one a crash left behind just after (the event).
  const showRestored = (restored: RestoreReport) => {
    if (restored.events + restored.deletions === 0) return;
    notices.show({
      id: 'restored',
      level: 'info',
      title: restored.reset
        ? `Restored ${restored.events} events after the browser reset its database`
        : `Restored ${restored.events} events the database had lost`,
      detail: `Your chats are back from sessionlog's journal${restored.deletions ? ` (${restored.deletions} deleted chats stay deleted)` : ''}${restored.damaged ? `; ${restored.damaged} damaged journal records were skipped` : ''}.`,
    });
  };
  store.on('restored', showRestored);
  if (store.restored) showRestored(store.restored);
  else if (store.wasReset) {
    notices.show({
      id: 'reset',
      level: 'warn',
      title: 'The browser reset this app’s storage',
      detail:
        store.journal === 'on'
          ? 'The chats stored here were deleted since the last visit, and the journal held nothing to restore.'
          : 'The chats stored here were deleted since the last visit (the browser does this to a damaged database after a crash). Import an export to restore them.',
    });
  }
  new App(store).start();
}

class App {
  readonly store: EventStore;
  readonly agent: Agent;
  readonly thread: ThreadView;
  readonly inspector: Inspector;
  summaries: readonly SessionSummary[] = [];
  current: string | null = null;
  /** Keys seen in the last session list: a key that disappears was deleted. */
  known = new Set<string>();
  deletingHere = new Set<string>();
  dead = false;
  loaded = false;

  readonly el = {
    list: byId<HTMLUListElement>('session-list'),
    empty: byId('session-empty'),
    title: byId('session-title'),
    meta: byId('session-meta'),
    actions: byId('session-actions'),
    renameForm: byId<HTMLFormElement>('rename-form'),
    renameInput: byId<HTMLInputElement>('rename-input'),
    composer: byId<HTMLFormElement>('composer'),
    input: byId<HTMLTextAreaElement>('composer-input'),
    send: byId<HTMLButtonElement>('send-button'),
    stop: byId<HTMLButtonElement>('stop-button'),
    welcome: byId('welcome'),
    thread: byId('thread'),
    secondTab: byId<HTMLAnchorElement>('second-tab'),
    importInput: byId<HTMLInputElement>('import-file'),
  };

  constructor(store: EventStore) {
    this.store = store;
    const onError = (error: unknown) => notices.error(error);
    this.agent = new Agent(store, () => this.#agentChanged(), onError);
    this.thread = new ThreadView({
      store,
      agent: this.agent,
      scroller: this.el.thread,
      list: byId<HTMLOListElement>('messages'),
      drafts: byId('drafts'),
      loadOlder: byId<HTMLButtonElement>('load-older'),
      start: byId('thread-start'),
      onError,
    });
    this.inspector = new Inspector(
      store,
      {
        panel: byId('inspector'),
        toggle: byId<HTMLButtonElement>('inspector-button'),
        close: byId<HTMLButtonElement>('inspector-close'),
        tabEvents: byId<HTMLButtonElement>('tab-events'),
        tabProjection: byId<HTMLButtonElement>('tab-projection'),
        eventsPanel: byId('inspector-events'),
        projectionPanel: byId('inspector-projection'),
        summary: byId('events-summary'),
        list: byId<HTMLOListElement>('event-list'),
        projection: byId('projection-json'),
      },
      onError,
    );
  }

  start(): void {
    this.#watchStore();
    this.#wireSidebar();
    this.#wireHeader();
    this.#wireComposer();
    this.#wireTransfer();
    this.#wireKeyboard();
    this.store.subscribeSummaries((summaries) => this.#sessionsChanged(summaries));
    addEventListener('hashchange', () => {
      const key = keyFromHash();
      if (key !== this.current) void this.select(key);
    });
    void this.#storage(true);
  }

  // ---------------------------------------------------------------- store events

  #watchStore(): void {
    const { store } = this;
    store.on('versionchange', () => {
      this.#die();
      notices.dismiss('closed');
      notices.show({
        id: 'versionchange',
        level: 'error',
        title: 'This tab was disconnected',
        detail:
          'A newer version of the app opened the database in another tab, so this one closed its connection. Reload to continue.',
        action: { label: 'Reload', run: () => location.reload() },
        dismissible: false,
      });
    });
    store.on('close', () => {
      if (this.dead) return;
      this.#die();
      notices.show({
        id: 'closed',
        level: 'error',
        title: 'The database connection was lost',
        detail: 'The browser closed the database (site data cleared?). Reload to continue.',
        action: { label: 'Reload', run: () => location.reload() },
        dismissible: false,
      });
    });
    let corrupt = 0;
    store.on('corrupt', () => {
      corrupt++;
      notices.show({
        id: 'corrupt',
        level: 'warn',
        title: `${num(corrupt)} damaged record${corrupt === 1 ? ' was' : 's were'} skipped`,
        detail: 'They failed validation; everything else is readable.',
      });
    });
    store.on('error', (error) => notices.error(error));
  }

  #die(): void {
    this.dead = true;
    this.el.input.disabled = true;
    this.el.send.disabled = true;
    for (const id of [
      'new-session',
      'import-button',
      'export-button',
      'rename-button',
      'delete-button',
    ]) {
      byId<HTMLButtonElement>(id).disabled = true;
    }
  }

  // ---------------------------------------------------------------- sessions

  #sessionsChanged(summaries: readonly SessionSummary[]): void {
    const first = !this.loaded;
    this.loaded = true;
    this.summaries = summaries;
    const keys = new Set(summaries.map((s) => s.sessionKey));
    // A chat deleted here or in another tab: stop answering in it (a reply
    // committed after the deletion would start it anew).
    for (const key of this.known) if (!keys.has(key)) this.agent.cancel(key);
    const current = this.current;
    if (current !== null && this.known.has(current) && !keys.has(current)) {
      if (!this.deletingHere.has(current)) {
        notices.show({
          level: 'info',
          title: 'This chat was deleted in another tab',
          timeoutMs: 6000,
        });
      }
      this.deletingHere.delete(current);
      void this.select(summaries[0]?.sessionKey ?? null);
    }
    this.known = keys;
    this.#renderList();
    this.#renderHeader();
    if (first) {
      const wanted = keyFromHash();
      // Ready once the open chat is on screen, not just the list: tests and
      // users read the thread right after.
      void this.select(
        wanted && keys.has(wanted) ? wanted : (summaries[0]?.sessionKey ?? null),
      ).finally(() => {
        app.dataset.ready = 'true';
      });
    } else if (this.current === null && summaries.length > 0 && !this.dead) {
      void this.select(summaries[0]!.sessionKey);
    }
    this.#storageSoon();
  }

  #renderList(): void {
    const focusedKey = (document.activeElement as HTMLElement | null)?.dataset?.key;
    const items = this.summaries.map((s) => {
      const button = h(
        'button',
        {
          class: 'session-item',
          attrs: {
            type: 'button',
            'aria-current': s.sessionKey === this.current ? 'true' : 'false',
            title: s.sessionKey,
          },
          dataset: { key: s.sessionKey },
          on: { click: () => void this.select(s.sessionKey, true) },
        },
        h(
          'div',
          'session-item-title',
          h('span', null, sessionTitle(s)),
          this.agent.isRunning(s.sessionKey)
            ? h('span', { class: 'live-dot', attrs: { title: 'Replying…' } })
            : null,
          s.state === 'ended' ? h('span', 'pill', 'ended') : null,
        ),
        h(
          'div',
          'session-item-meta',
          h(
            'span',
            { class: 'count', dataset: { count: String(s.messageCount) } },
            `${num(s.messageCount)} message${s.messageCount === 1 ? '' : 's'}`,
          ),
          s.lastActivity ? ` · ${shortTime(s.lastActivity)}` : '',
        ),
      );
      return h('li', null, button);
    });
    this.el.list.replaceChildren(...items);
    this.el.empty.hidden = items.length > 0;
    if (focusedKey) {
      this.el.list.querySelector<HTMLElement>(`[data-key="${CSS.escape(focusedKey)}"]`)?.focus();
    }
  }

  #summary(): SessionSummary | undefined {
    return this.summaries.find((s) => s.sessionKey === this.current);
  }

  #renderHeader(): void {
    const s = this.#summary();
    const key = this.current;
    this.el.actions.hidden = key === null;
    this.el.composer.hidden = key === null;
    byId('composer-hint').hidden = key === null;
    this.el.thread.hidden = key === null;
    this.el.welcome.hidden = key !== null;
    if (key === null) {
      this.el.title.textContent = 'sessionlog';
      this.el.meta.replaceChildren(h('span', null, 'No chat open'));
      document.title = 'sessionlog demo';
      return;
    }
    const title = s ? sessionTitle(s) : 'New chat';
    this.el.title.textContent = title;
    document.title = `${title} · sessionlog demo`;
    if (!s) {
      this.el.meta.replaceChildren();
      return;
    }
    const parts: HTMLElement[] = [
      h(
        'span',
        null,
        h('b', null, num(s.messageCount)),
        ` message${s.messageCount === 1 ? '' : 's'}`,
      ),
      h(
        'span',
        'meta-extra',
        h('b', null, num(s.tokens.responses)),
        ` repl${s.tokens.responses === 1 ? 'y' : 'ies'}`,
      ),
      h(
        'span',
        { class: 'tokens', attrs: { title: 'Token totals of this chat (summary.tokens)' } },
        `Tokens: ${tokenLine(s.tokens)}`,
      ),
      h('span', 'meta-extra', `${num(s.eventCount)} events · ${bytes(s.bytes)}`),
    ];
    if (s.state === 'ended') parts.push(h('span', 'pill', 'ended'));
    this.el.meta.replaceChildren(...parts);
  }

  /** Opens a session (or the welcome screen). */
  async select(key: string | null, fromUser = false): Promise<void> {
    this.current = key;
    const hash = key === null ? '' : `#session=${encodeURIComponent(key)}`;
    if (location.hash !== hash)
      history.replaceState(null, '', hash === '' ? location.pathname : hash);
    this.el.secondTab.href = location.href;
    this.#cancelRename();
    this.#renderList();
    this.#renderHeader();
    this.#agentChanged();
    this.inspector.setSession(key);
    if (fromUser) app.classList.remove('nav-open');
    await this.thread.open(key);
    if (fromUser && key !== null && matchMedia('(min-width: 761px)').matches) this.el.input.focus();
  }

  async #newSession(): Promise<void> {
    if (this.dead) return;
    const peer = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) =>
      b.toString(16).padStart(2, '0'),
    ).join('');
    const key = sessionKey({
      agent: AGENT_ID,
      channel: 'web',
      account: 'demo',
      peerType: 'dm',
      peer,
    });
    try {
      await this.store.record(key, AGENT_ID, {
        type: 'session_started',
        channel: 'web',
        peer_id: 'you',
      });
      await this.select(key, true);
      this.el.input.focus();
    } catch (error) {
      notices.error(error);
    }
  }

  // ---------------------------------------------------------------- sidebar

  #wireSidebar(): void {
    byId('new-session').addEventListener('click', () => void this.#newSession());
    byId('welcome-new').addEventListener('click', () => void this.#newSession());
    const menu = byId('menu-button');
    menu.addEventListener('click', () => {
      const open = app.classList.toggle('nav-open');
      menu.setAttribute('aria-expanded', String(open));
      if (open) this.el.list.querySelector<HTMLElement>('[aria-current="true"], button')?.focus();
    });
    byId('scrim').addEventListener('click', () => {
      app.classList.remove('nav-open');
      menu.setAttribute('aria-expanded', 'false');
    });
    // Arrow keys move between chats.
    this.el.list.addEventListener('keydown', (event) => {
      if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(event.key)) return;
      const buttons = [...this.el.list.querySelectorAll<HTMLButtonElement>('.session-item')];
      const at = buttons.indexOf(document.activeElement as HTMLButtonElement);
      const to =
        event.key === 'Home'
          ? 0
          : event.key === 'End'
            ? buttons.length - 1
            : Math.min(buttons.length - 1, Math.max(0, at + (event.key === 'ArrowDown' ? 1 : -1)));
      buttons[to]?.focus();
      event.preventDefault();
    });
  }

  // ---------------------------------------------------------------- header: rename, delete

  #wireHeader(): void {
    const { renameForm, renameInput, title } = this.el;
    byId('rename-button').addEventListener('click', () => this.#startRename());
    title.addEventListener('dblclick', () => this.#startRename());
    byId('rename-cancel').addEventListener('click', () => this.#cancelRename(true));
    renameInput.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.#cancelRename(true);
      }
    });
    renameForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const key = this.current;
      const value = renameInput.value.trim();
      this.#cancelRename(true);
      if (key === null || value === '') return;
      const s = this.#summary();
      if (s && sessionTitle(s) === value) return;
      this.store
        .record(key, AGENT_ID, { type: 'state_changed', key: 'title', value })
        .catch((error) => notices.error(error));
    });

    const dialog = byId<HTMLDialogElement>('delete-dialog');
    byId('delete-button').addEventListener('click', () => {
      const s = this.#summary();
      byId('delete-text').textContent =
        `“${s ? sessionTitle(s) : 'This chat'}” and its ${num(s?.eventCount ?? 0)} events will be removed from this browser, in every tab. A tombstone keeps an older copy from coming back.`;
      dialog.returnValue = '';
      dialog.showModal();
      byId('delete-confirm').focus();
    });
    dialog.addEventListener('close', () => {
      const key = this.current;
      if (dialog.returnValue !== 'delete' || key === null) return;
      this.agent.cancel(key);
      this.deletingHere.add(key);
      this.store.deleteSession(key).catch((error) => {
        this.deletingHere.delete(key);
        notices.error(error);
      });
    });
  }

  #startRename(): void {
    if (this.current === null || this.dead) return;
    const s = this.#summary();
    this.el.renameInput.value = s ? sessionTitle(s) : '';
    this.el.title.hidden = true;
    this.el.renameForm.hidden = false;
    this.el.renameInput.focus();
    this.el.renameInput.select();
  }

  #cancelRename(focus = false): void {
    if (this.el.renameForm.hidden) return;
    this.el.renameForm.hidden = true;
    this.el.title.hidden = false;
    if (focus) byId('rename-button').focus();
  }

  // ---------------------------------------------------------------- composer

  #wireComposer(): void {
    const { composer, input, stop } = this.el;
    const resize = () => {
      input.style.height = 'auto';
      input.style.height = `${Math.min(input.scrollHeight, 200)}px`;
    };
    input.addEventListener('input', resize);
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      }
    });
    composer.addEventListener('submit', (event) => {
      event.preventDefault();
      const text = input.value;
      if (text.trim() === '' || this.current === null || this.dead) return;
      input.value = '';
      resize();
      void this.#send(this.current, text);
    });
    stop.addEventListener('click', () => {
      if (this.current !== null) this.agent.stop(this.current);
      input.focus();
    });
  }

  async #send(key: string, text: string): Promise<void> {
    const s = this.summaries.find((x) => x.sessionKey === key);
    const options = { clock: this.store.clock, origin: this.store.origin };
    try {
      const events = [];
      const untitled = !s || typeof s.customState.title !== 'string';
      if (untitled && (s?.messageCount ?? 0) === 0 && (s?.channel ?? 'web') === 'web') {
        const title = text.trim().replace(/\s+/g, ' ');
        events.push(
          createEvent(
            key,
            AGENT_ID,
            {
              type: 'state_changed',
              key: 'title',
              value: title.length > 48 ? `${title.slice(0, 47)}…` : title,
            },
            options,
          ),
        );
      }
      // A new message continues the branch on screen. When that branch ends in the newest
      // node it needs no link (it follows the newest node, as in a linear log); after a
      // switch to an older branch it names the shown branch's last node.
      const snapshot = this.store.getSnapshot(key);
      const end = snapshot ? activePath(snapshot).at(-1) : undefined;
      const leaf = end && end.id !== snapshot?.nodes.at(-1)?.id ? end : undefined;
      const message = createEvent(
        key,
        AGENT_ID,
        { type: 'message_received', content: text, ...(leaf ? { parent_id: leaf.id } : {}) },
        options,
      );
      events.push(message);
      await this.store.append(events);
      this.thread.scrollToBottom();
      void this.agent.reply(key, {
        userText: text,
        userEventId: message.id,
        history: s?.messageCount ?? 0,
      });
    } catch (error) {
      if (this.el.input.value === '') this.el.input.value = text;
      notices.error(error);
    }
  }

  #agentChanged(): void {
    const running = this.current !== null && this.agent.isRunning(this.current);
    this.el.stop.hidden = !running;
    this.#renderList();
    this.thread.update();
  }

  // ---------------------------------------------------------------- import / export

  #wireTransfer(): void {
    const { importInput } = this.el;
    const pick = () => importInput.click();
    byId('import-button').addEventListener('click', pick);
    byId('welcome-import').addEventListener('click', pick);
    importInput.addEventListener('change', () => {
      const file = importInput.files?.[0];
      if (!file) return;
      void (async () => {
        await importFile(this.store, file, {
          dialog: byId<HTMLDialogElement>('import-dialog'),
          fileName: byId('import-file-name'),
          progress: byId<HTMLProgressElement>('import-progress'),
          status: byId('import-status'),
          errors: byId<HTMLUListElement>('import-errors'),
          cancel: byId<HTMLButtonElement>('import-cancel'),
          close: byId<HTMLButtonElement>('import-close'),
        });
        importInput.value = '';
        void this.#storage();
      })();
    });

    const dialog = byId<HTMLDialogElement>('export-dialog');
    const form = byId<HTMLFormElement>('export-form');
    byId('export-button').addEventListener('click', () => {
      const current = form.querySelector<HTMLInputElement>('input[name="scope"][value="current"]')!;
      current.disabled = this.current === null;
      if (this.current === null)
        form.querySelector<HTMLInputElement>('input[name="scope"][value="all"]')!.checked = true;
      dialog.returnValue = '';
      dialog.showModal();
    });
    dialog.addEventListener('close', () => {
      if (dialog.returnValue !== 'export') return;
      const data = new FormData(form);
      const format = (
        data.get('format') === 'reference' ? 'reference' : 'sessionlog'
      ) as ExportFormat;
      const one = data.get('scope') === 'current' && this.current !== null;
      const s = this.#summary();
      exportToFile(this.store, {
        format,
        ...(one ? { sessions: [this.current as string] } : {}),
        name: fileName(one && s ? sessionTitle(s) : 'sessionlog-all', format),
      }).catch((error) => notices.error(error));
    });
  }

  // ---------------------------------------------------------------- storage

  #storageTimer: ReturnType<typeof setTimeout> | undefined;

  #storageSoon(): void {
    if (this.#storageTimer) return;
    this.#storageTimer = setTimeout(() => {
      this.#storageTimer = undefined;
      void this.#storage();
    }, 1500);
  }

  async #storage(ask = false): Promise<void> {
    if (ask) await requestPersistentStorage();
    const report = await estimateStorage();
    const text = byId('storage-text');
    const persist = byId('persist-text');
    if (report.quota === 0) {
      text.textContent = 'usage unknown';
    } else {
      text.textContent = `${bytes(report.usage)} of ${bytes(report.quota)}`;
      byId('storage-fill').style.width = `${Math.min(100, (report.usage / report.quota) * 100)}%`;
    }
    persist.textContent = report.persisted ? '✓ Persistent' : 'Best effort';
    persist.className = report.persisted ? 'status-ok' : '';
    persist.title = report.persisted
      ? 'The browser promised not to evict this site’s data.'
      : 'The browser may evict this data under storage pressure (it grants persistence to sites you use often or install).';
  }

  // ---------------------------------------------------------------- keyboard

  #wireKeyboard(): void {
    addEventListener('keydown', (event) => {
      const target = event.target as HTMLElement;
      const typing = target.closest('input, textarea, [contenteditable]') !== null;
      if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === 'KeyN') {
        event.preventDefault();
        void this.#newSession();
      } else if (
        event.key === 'Escape' &&
        !typing &&
        document.querySelector('dialog[open]') === null
      ) {
        if (this.inspector.isOpen) {
          this.inspector.hide();
          byId('inspector-button').focus();
        } else if (app.classList.contains('nav-open')) {
          app.classList.remove('nav-open');
          byId('menu-button').focus();
        }
      } else if (event.key === '/' && !typing && this.current !== null) {
        event.preventDefault();
        this.el.input.focus();
      }
    });
  }
}

function keyFromHash(): string | null {
  const m = /^#session=(.+)$/.exec(location.hash);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

void boot();
