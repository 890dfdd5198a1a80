/**
 * The event inspector: the raw log of the open session (newest first), each
 * event with its id, kind and whether its id verifies, and the projection as
 * JSON. It follows the session live while it is open.
 */
import {
  type AnyEvent,
  type EventStore,
  type Projection,
  REFERENCE_ORIGIN,
  verifyEvent,
} from 'sessionlog';
import { h } from './dom.js';
import { num, pretty } from './format.js';

const SHOWN = 300;

export interface InspectorElements {
  panel: HTMLElement;
  toggle: HTMLButtonElement;
  close: HTMLButtonElement;
  tabEvents: HTMLButtonElement;
  tabProjection: HTMLButtonElement;
  eventsPanel: HTMLElement;
  projectionPanel: HTMLElement;
  summary: HTMLElement;
  list: HTMLOListElement;
  projection: HTMLElement;
}

/** How an event's id checks out. */
export function idStatus(event: AnyEvent): { label: string; cls: string; title: string } {
  if (verifyEvent(event)) {
    return {
      label: 'verified',
      cls: 'badge-verified',
      title: 'The id is the BLAKE2b hash of this content',
    };
  }
  if (event.origin === REFERENCE_ORIGIN) {
    return {
      label: 'reference id',
      cls: 'badge-reference',
      title:
        'Made by the Rust reference: its id hashes a debug string that cannot be rebuilt, so it is kept as given',
    };
  }
  return { label: 'mismatch', cls: 'badge-mismatch', title: 'The id does not match the content' };
}

export class Inspector {
  readonly #store: EventStore;
  readonly #el: InspectorElements;
  readonly #onError: (error: unknown) => void;
  #key: string | null = null;
  #unsubscribe: (() => void) | undefined;
  #rows = new Map<string, HTMLElement>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #epoch = 0;

  constructor(store: EventStore, el: InspectorElements, onError: (error: unknown) => void) {
    this.#store = store;
    this.#el = el;
    this.#onError = onError;
    el.toggle.addEventListener('click', () => (this.isOpen ? this.hide() : this.show()));
    el.close.addEventListener('click', () => {
      this.hide();
      el.toggle.focus();
    });
    el.tabEvents.addEventListener('click', () => this.#tab('events'));
    el.tabProjection.addEventListener('click', () => this.#tab('projection'));
    for (const tab of [el.tabEvents, el.tabProjection]) {
      tab.addEventListener('keydown', (event) => {
        if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
        const other = tab === el.tabEvents ? el.tabProjection : el.tabEvents;
        other.click();
        other.focus();
      });
    }
  }

  get isOpen(): boolean {
    return !this.#el.panel.hidden;
  }

  show(): void {
    this.#el.panel.hidden = false;
    this.#el.toggle.setAttribute('aria-expanded', 'true');
    this.#follow();
  }

  hide(): void {
    this.#el.panel.hidden = true;
    this.#el.toggle.setAttribute('aria-expanded', 'false');
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Follows another session (or none). */
  setSession(key: string | null): void {
    if (key === this.#key) return;
    this.#key = key;
    this.#rows.clear();
    this.#el.list.replaceChildren();
    this.#el.projection.textContent = '';
    this.#el.summary.textContent = '';
    if (key === null) this.hide();
    else if (this.isOpen) this.#follow();
  }

  #tab(which: 'events' | 'projection'): void {
    const events = which === 'events';
    this.#el.tabEvents.setAttribute('aria-selected', String(events));
    this.#el.tabProjection.setAttribute('aria-selected', String(!events));
    this.#el.tabEvents.tabIndex = events ? 0 : -1;
    this.#el.tabProjection.tabIndex = events ? -1 : 0;
    this.#el.eventsPanel.hidden = !events;
    this.#el.projectionPanel.hidden = events;
  }

  #follow(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    const key = this.#key;
    if (key === null) return;
    this.#unsubscribe = this.#store.subscribe(key, (projection) => this.#schedule(projection));
    const snapshot = this.#store.getSnapshot(key);
    if (snapshot) this.#schedule(snapshot);
  }

  #schedule(projection: Projection): void {
    this.#el.projection.textContent = pretty(projection);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#loadEvents(), 120);
  }

  async #loadEvents(): Promise<void> {
    const key = this.#key;
    if (key === null || !this.isOpen) return;
    const epoch = ++this.#epoch;
    try {
      const events = await this.#store.getEvents(key);
      if (epoch !== this.#epoch || key !== this.#key) return;
      this.#renderEvents(events);
    } catch (error) {
      this.#onError(error);
    }
  }

  #renderEvents(events: AnyEvent[]): void {
    const shown = events.slice(-SHOWN).reverse();
    let verified = 0;
    let reference = 0;
    for (const e of events) {
      if (e.origin === REFERENCE_ORIGIN) reference++;
      else if (verifyEvent(e)) verified++;
    }
    const parts = [`${num(events.length)} events`, `${num(verified)} verified`];
    if (reference > 0) parts.push(`${num(reference)} with reference ids`);
    if (events.length > SHOWN) parts.push(`showing the latest ${SHOWN}`);
    this.#el.summary.textContent = `${parts.join(' · ')}. Newest first; open one for its JSON.`;
    const list = this.#el.list;
    let ref = list.firstElementChild;
    const keep = new Set<string>();
    for (const event of shown) {
      keep.add(event.id);
      let row = this.#rows.get(event.id);
      if (!row) {
        row = renderEvent(event);
        this.#rows.set(event.id, row);
      }
      if (row === ref) ref = ref.nextElementSibling;
      else list.insertBefore(row, ref);
    }
    while (ref) {
      const next = ref.nextElementSibling;
      ref.remove();
      ref = next;
    }
    for (const id of this.#rows.keys()) if (!keep.has(id)) this.#rows.delete(id);
  }
}

function renderEvent(event: AnyEvent): HTMLElement {
  const status = idStatus(event);
  return h(
    'li',
    { class: 'event', dataset: { id: event.id, kind: event.kind.type, verify: status.label } },
    h(
      'details',
      null,
      h(
        'summary',
        null,
        h('span', 'event-kind', event.kind.type),
        h('span', { class: 'event-id', attrs: { title: event.id } }, `${event.id.slice(0, 12)}…`),
        h('span', { class: `badge ${status.cls}`, attrs: { title: status.title } }, status.label),
        h('span', 'event-time', `${event.timestamp}${event.origin ? ` · ${event.origin}` : ''}`),
      ),
      h('pre', 'json', pretty(event)),
    ),
  );
}
