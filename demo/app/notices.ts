/**
 * Notices: the banners above the conversation where the app tells the user
 * about errors (quota, a newer tab, no IndexedDB…) and other events worth
 * knowing. A notice with an id replaces the previous one with that id.
 */
import { h } from './dom.js';
import { describeError } from './format.js';

export type Level = 'error' | 'warn' | 'info';

export interface NoticeAction {
  label: string;
  run(): void;
}

export interface Notice {
  id?: string;
  level: Level;
  title: string;
  detail?: string;
  action?: NoticeAction;
  /** Whether the user can dismiss it; default true. */
  dismissible?: boolean;
  /** Dismisses itself after this many milliseconds. */
  timeoutMs?: number;
}

export class Notices {
  readonly #root: HTMLElement;
  #next = 0;

  constructor(root: HTMLElement) {
    this.#root = root;
  }

  show(notice: Notice): () => void {
    const id = notice.id ?? `n${this.#next++}`;
    const existing = [...this.#root.children].find(
      (el) => (el as HTMLElement).dataset.noticeId === id,
    );
    const close = () => el.remove();
    const el = h(
      'div',
      {
        class: `notice notice-${notice.level}`,
        dataset: { noticeId: id, level: notice.level },
        attrs: { role: notice.level === 'error' ? 'alert' : 'status' },
      },
      h(
        'div',
        'notice-body',
        h('div', 'notice-title', notice.title),
        notice.detail ? h('div', null, notice.detail) : null,
      ),
      notice.action
        ? h(
            'button',
            {
              class: 'btn btn-small btn-primary',
              attrs: { type: 'button' },
              on: { click: () => notice.action?.run() },
            },
            notice.action.label,
          )
        : null,
      notice.dismissible === false
        ? null
        : h(
            'button',
            {
              class: 'btn btn-icon btn-small',
              attrs: { type: 'button', 'aria-label': 'Dismiss' },
              on: { click: close },
            },
            '✕',
          ),
    );
    if (existing) existing.replaceWith(el);
    else this.#root.append(el);
    if (notice.timeoutMs) setTimeout(close, notice.timeoutMs);
    return close;
  }

  /** Shows an error the way a user can act on it (by its stable code). */
  error(error: unknown, id?: string): void {
    const { title, detail } = describeError(error);
    this.show({ id: id ?? `error:${title}`, level: 'error', title, detail });
  }

  dismiss(id: string): void {
    for (const el of [...this.#root.children]) {
      if ((el as HTMLElement).dataset.noticeId === id) el.remove();
    }
  }
}
