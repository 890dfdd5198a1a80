/**
 * Branch controls of a message row: the switcher ("‹ 2/3 ›") on a message
 * with siblings, "Edit" on the user's messages and "Regenerate" on replies,
 * and the inline editor. Rows are built once (events never change); these
 * controls are refreshed on every render because siblings arrive later.
 */
import { type Projection, siblingsOf } from 'sessionlog';
import { h } from './dom.js';

/** What the controls do; the thread view supplies it. */
export interface BranchActions {
  /** Shows the sibling `id` (and the newest path below it). */
  switchTo(id: string): void;
  /** Stores an edited copy of the user message `id`. */
  edit(id: string, text: string): void;
  /** Streams a new reply beside the reply `id`. */
  regenerate(id: string): void;
}

/** Adds or refreshes the branch bar of a message row. */
export function decorateRow(
  row: HTMLElement,
  projection: Projection | undefined,
  actions: BranchActions,
  busy: boolean,
): void {
  const id = row.dataset.id!;
  const kind = row.dataset.kind;
  const col = row.querySelector<HTMLElement>('.msg-col');
  if (!col || (kind !== 'message_received' && kind !== 'agent_response')) return;
  // In the footer line (time, model), so a row is no taller for having controls.
  const foot = col.querySelector<HTMLElement>(':scope > .msg-foot');
  let bar = foot?.querySelector<HTMLElement>(':scope > .branch-bar') ?? null;
  if (!foot) return;
  if (!bar) {
    bar = h('span', 'branch-bar');
    foot.append(bar);
  }
  const siblings = projection ? siblingsOf(projection, id) : [];
  const at = siblings.findIndex((n) => n.id === id);
  const key = `${at}/${siblings.length}/${busy}`;
  if (bar.dataset.key === key) return;
  bar.dataset.key = key;
  const button = (label: string, title: string, cls: string, run: () => void, disabled = false) =>
    h(
      'button',
      {
        class: `branch-button ${cls}`,
        attrs: { type: 'button', title, 'aria-label': title, disabled },
        on: { click: run },
      },
      label,
    );
  const parts: HTMLElement[] = [];
  if (siblings.length > 1) {
    parts.push(
      h(
        'span',
        { class: 'branch-switch', attrs: { role: 'group', 'aria-label': 'Versions' } },
        button(
          '‹',
          'Previous version',
          'branch-prev',
          () => actions.switchTo(siblings[at - 1]!.id),
          at <= 0,
        ),
        h('span', 'branch-count', `${at + 1}/${siblings.length}`),
        button(
          '›',
          'Next version',
          'branch-next',
          () => actions.switchTo(siblings[at + 1]!.id),
          at >= siblings.length - 1,
        ),
      ),
    );
  }
  if (kind === 'message_received') {
    parts.push(
      button('Edit', 'Edit this message', 'branch-edit', () => openEditor(row, col, actions), busy),
    );
  } else {
    parts.push(
      button(
        'Regenerate',
        'Write another reply',
        'branch-regenerate',
        () => actions.regenerate(id),
        busy,
      ),
    );
  }
  bar.replaceChildren(...parts);
}

function openEditor(row: HTMLElement, col: HTMLElement, actions: BranchActions): void {
  if (col.querySelector('.branch-editor')) return;
  const bubble = col.querySelector<HTMLElement>('.bubble');
  const area = h('textarea', {
    class: 'branch-input',
    attrs: { rows: 3, 'aria-label': 'Edited message' },
  });
  area.value = bubble?.textContent ?? '';
  const close = () => {
    form.remove();
    if (bubble) bubble.hidden = false;
  };
  const form = h(
    'form',
    {
      class: 'branch-editor',
      on: {
        submit: (event) => {
          event.preventDefault();
          const text = area.value.trim();
          if (text === '') return;
          close();
          actions.edit(row.dataset.id!, text);
        },
      },
    },
    area,
    h(
      'div',
      'branch-editor-actions',
      h(
        'button',
        { class: 'btn btn-small btn-ghost', attrs: { type: 'button' }, on: { click: close } },
        'Cancel',
      ),
      h('button', { class: 'btn btn-small btn-primary', attrs: { type: 'submit' } }, 'Save & send'),
    ),
  );
  if (bubble) bubble.hidden = true;
  col.insertBefore(form, bubble?.nextSibling ?? null);
  area.focus();
}
