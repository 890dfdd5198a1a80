/**
 * Export (JSON Lines, sessionlog or Rust reference format, as a download) and
 * import (a file picker, a progress bar, a report of bad lines).
 */
import type { EventStore } from 'sessionlog';
import { type ExportFormat, exportEvents, importEvents } from 'sessionlog/transfer';
import { h } from './dom.js';
import { bytes, describeError, num } from './format.js';

/** Streams an export into a Blob and downloads it. */
export async function exportToFile(
  store: EventStore,
  options: { format: ExportFormat; sessions?: string[]; name: string },
): Promise<void> {
  const stream = exportEvents(store, {
    format: options.format,
    ...(options.sessions ? { sessions: options.sessions } : {}),
  });
  const blob = await new Response(stream.pipeThrough(new TextEncoderStream()), {
    headers: { 'content-type': 'application/x-ndjson' },
  }).blob();
  const url = URL.createObjectURL(blob);
  const link = h('a', { attrs: { href: url, download: options.name } });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** A file name made of safe characters. */
export function fileName(title: string, format: ExportFormat): string {
  const slug =
    title
      .normalize('NFKD')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'sessionlog';
  const date = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '');
  return `${slug}-${date}${format === 'reference' ? '.reference' : ''}.jsonl`;
}

export interface ImportElements {
  dialog: HTMLDialogElement;
  fileName: HTMLElement;
  progress: HTMLProgressElement;
  status: HTMLElement;
  errors: HTMLUListElement;
  cancel: HTMLButtonElement;
  close: HTMLButtonElement;
}

/**
 * Imports a file with a progress dialog. Bad lines are skipped and listed;
 * the valid ones are committed in batches. Resolves when the user closes the
 * dialog's report, with the number of events added.
 */
export async function importFile(
  store: EventStore,
  file: File,
  el: ImportElements,
): Promise<number> {
  const controller = new AbortController();
  el.fileName.textContent = `${file.name} · ${bytes(file.size)}`;
  el.progress.max = Math.max(file.size, 1);
  el.progress.value = 0;
  el.status.textContent = 'Reading…';
  el.errors.replaceChildren();
  el.cancel.hidden = false;
  el.close.hidden = true;
  el.dialog.dataset.state = 'running';
  const onCancel = () => controller.abort(new Error('cancelled by the user'));
  // Escape while importing cancels the import instead of hiding the dialog.
  const onEscape = (event: Event) => {
    event.preventDefault();
    onCancel();
  };
  el.cancel.addEventListener('click', onCancel);
  el.dialog.addEventListener('cancel', onEscape);
  el.dialog.showModal();
  let added = 0;
  try {
    const result = await importEvents(store, file, {
      onInvalid: 'skip',
      signal: controller.signal,
      onProgress: (p) => {
        el.progress.value = p.bytesRead;
        el.status.textContent = `${num(p.lines)} lines read · ${num(p.added)} new events · ${num(p.duplicates)} already stored`;
      },
    });
    added = result.added;
    el.progress.value = el.progress.max;
    const parts = [`${num(result.added)} new events from ${num(result.lines)} lines`];
    if (result.duplicates > 0) parts.push(`${num(result.duplicates)} already stored`);
    if (result.skipped > 0) parts.push(`${num(result.skipped)} of deleted chats skipped`);
    if (result.invalid > 0) parts.push(`${num(result.invalid)} invalid lines skipped`);
    el.status.textContent = `Imported: ${parts.join(' · ')}.`;
    for (const bad of result.invalidLines.slice(0, 50)) {
      el.errors.append(h('li', null, `Line ${bad.line}: ${bad.message}`));
    }
    el.dialog.dataset.state = 'done';
  } catch (error) {
    const { title, detail } = describeError(error);
    el.status.textContent = `${title}: ${detail}`;
    el.dialog.dataset.state = 'failed';
  } finally {
    el.cancel.removeEventListener('click', onCancel);
    el.dialog.removeEventListener('cancel', onEscape);
  }
  el.cancel.hidden = true;
  el.close.hidden = false;
  el.close.focus();
  await new Promise<void>((resolve) => {
    el.dialog.addEventListener('close', () => resolve(), { once: true });
    el.close.addEventListener('click', () => el.dialog.close(), { once: true });
  });
  return added;
}
