/**
 * The demo's sync panel: the server, the client's status and the last sync.
 * Shown only when the demo runs with a sync server (`npm run demo:sync`).
 */
import type { EventStore } from 'sessionlog';
import { createSync, type SyncClient, type SyncStatus } from 'sessionlog/sync';
import { byId } from './dom.js';
import { shortTime } from './format.js';

function statusText(status: SyncStatus): string {
  const parts: string[] = [status.state];
  if (status.state === 'syncing' && status.progress.remaining !== undefined)
    parts.push(`${status.progress.pulled} pulled, ${status.progress.remaining} to go`);
  if (status.cause) parts.push(status.cause.message);
  if (status.held > 0) parts.push(`${status.held} held aside`);
  if (!status.leader) parts.push('via another tab');
  return parts.join(' · ');
}

/** Starts syncing `store` with the server at `url` and keeps the panel up to date. */
export function startSyncPanel(store: EventStore, url: string): SyncClient {
  const panel = byId('sync');
  const state = byId('sync-state');
  const last = byId('sync-last');
  byId('sync-server').textContent = new URL(url, location.href).href;
  panel.hidden = false;
  const sync = createSync(store, { url });
  const render = (status: SyncStatus) => {
    state.textContent = statusText(status);
    state.className =
      status.state === 'error' ? 'status-warn' : status.state === 'idle' ? 'status-ok' : '';
    panel.dataset.state = status.state;
    last.textContent = status.lastSync
      ? `last sync ${shortTime(new Date(status.lastSync).toISOString())}`
      : 'not synced yet';
  };
  render(sync.status);
  sync.subscribe(render);
  byId<HTMLButtonElement>('sync-now').addEventListener('click', () => {
    sync.syncNow().catch(() => {}); // the panel shows the error
  });
  return sync;
}
