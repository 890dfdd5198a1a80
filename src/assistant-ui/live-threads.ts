/**
 * Keeps an assistant-ui runtime live across tabs. assistant-ui's adapters are
 * pull-only (`list`, `load`), so this hook watches the store's summaries and
 * pulls again when another tab changed something: a thread list that no
 * longer matches the stored threads (new, renamed, archived, deleted) is
 * refetched with `threads.reload()`, and messages another tab stored in the
 * open thread (or a branch it switched to) are loaded and put in with
 * `thread.import`, which keeps the composer's draft. Never while the thread
 * runs, an adapter write is under way, or this tab has messages not yet
 * stored: those would be lost; the sync waits for the runtime to settle.
 */
import { type ThreadHistoryAdapter, useAui } from '@assistant-ui/react';
import { useEffect, useRef } from 'react';
import { messageTree } from '../ai-sdk/message-tree.js';
import { isEventStoreError } from '../errors.js';
import type { Projection } from '../projection.js';
import type { EventStore } from '../store.js';
import type { SessionSummary } from '../summary.js';
import { storedIdOf } from './history-adapter.js';
import { threadMetadataOf } from './thread-metadata.js';

/** What the live sync needs from its thread list adapter. */
export interface LiveThreadsHost {
  readonly store: EventStore;
  /** Which sessions are threads. */
  includes(summary: SessionSummary): boolean;
  /** Whether one of the adapter's writes is under way (assistant-ui is updating its own state). */
  busy(): boolean;
  /** Sessions the adapter created: assistant-ui knows them before their id reaches its list. */
  readonly own: ReadonlySet<string>;
  /** The history adapter of the thread the hook runs in. */
  readonly history: ThreadHistoryAdapter;
}

type Aui = ReturnType<typeof useAui>;
const WAIT = 'wait';

/** Whether the shown list differs from the stored threads; `WAIT` while assistant-ui is mid-change. */
async function listIsStale(aui: Aui, host: LiveThreadsHost, summaries: readonly SessionSummary[]) {
  const threads = aui.threads.getState();
  if (host.busy() || threads.isLoading) return WAIT;
  const shown = new Map(
    threads.threadItems.flatMap((item) => (item.remoteId ? [[item.remoteId, item] as const] : [])),
  );
  let stale = false;
  for (const summary of summaries) {
    if (!host.includes(summary)) continue;
    const stored = threadMetadataOf(summary);
    const item = shown.get(stored.remoteId);
    shown.delete(stored.remoteId);
    if (!item) stale ||= !host.own.has(stored.remoteId);
    else stale ||= item.title !== stored.title || item.status !== stored.status;
  }
  // Shown but not in the snapshot: deleted elsewhere, or written here after it (a read decides).
  for (const key of shown.keys()) stale ||= (await host.store.getSummary(key)) === undefined;
  return stale;
}

/** Puts messages stored by another tab into the open thread; `WAIT` while that could lose this tab's. */
async function syncThread(aui: Aui, host: LiveThreadsHost, itemId: string, key: string) {
  const thread = aui.threads.thread('main');
  if (thread.getState().isRunning || thread.getState().isLoading) return WAIT;
  let projection: Projection;
  try {
    projection = await host.store.getProjection(key);
  } catch (error) {
    if (isEventStoreError(error, 'not_found')) return undefined;
    throw error;
  }
  const { groups, headId } = messageTree(projection);
  const stored = new Set(groups.map((g) => g.nodes[0]!.id));
  const shown = thread.export();
  const ids = await Promise.all(
    shown.messages.map((m) => storedIdOf(host.store, key, m.message.id)),
  );
  if (ids.some((id) => !stored.has(id))) return WAIT; // this tab's messages are still being written
  const head = shown.headId ? await storedIdOf(host.store, key, shown.headId) : null;
  if (ids.length === stored.size && head === headId) return undefined;
  const loaded = await host.history.load();
  // Still the same thread, unchanged meanwhile (an import into another one would initialize it).
  const now = aui.threads.item('main').getState();
  if (now.id !== itemId || now.remoteId !== key || thread.getState().isRunning) return WAIT;
  thread.import({ headId: loaded.headId ?? null, messages: [...loaded.messages] });
  return undefined;
}

/**
 * Makes the runtime around it follow changes other tabs make to `host.store`
 * (see the file comment). Runs in the thread body assistant-ui mounts
 * (`unstable_useAdapters`); only the main thread's body syncs.
 */
export function useLiveThreads(host: LiveThreadsHost): void {
  const aui = useAui();
  const current = useRef(aui);
  useEffect(() => {
    current.current = aui;
  });
  useEffect(() => {
    let stopped = false;
    let waiting = false; // something changed while the runtime was busy: try again when it settles
    let again = false;
    let running = false;
    const seen = new WeakSet<SessionSummary>();
    const pass = async () => {
      const aui = current.current;
      if (aui.threadListItem.getState().id !== aui.threads.getState().mainThreadId) return;
      const summaries =
        host.store.getSummariesSnapshot() ?? (await host.store.listSummaries().catch(() => []));
      const stale = await listIsStale(aui, host, summaries);
      if (stale === WAIT) waiting = true;
      else if (stale) {
        // The open thread deleted elsewhere stays in assistant-ui's list: delete it here too,
        // through assistant-ui, which then leaves it (deleting a deleted session writes nothing new).
        const open = aui.threads.item('main').getState();
        if (open.remoteId && (await host.store.getSummary(open.remoteId)) === undefined)
          await aui.threads.item({ id: open.id }).delete();
        await aui.threads.reload();
      }
      const item = aui.threads.item('main').getState();
      const key = item.status === 'new' ? undefined : item.remoteId;
      const summary = summaries.find((s) => s.sessionKey === key);
      // A summary object is replaced when its session changes: an unchanged one needs no reading.
      if (!key || !summary || seen.has(summary)) return;
      if ((await syncThread(aui, host, item.id, key)) === WAIT) waiting = true;
      else seen.add(summary);
    };
    const sync = () => {
      again = true;
      if (running || stopped) return;
      running = true;
      void (async () => {
        try {
          while (again && !stopped) {
            again = false;
            waiting = false;
            await pass();
          }
        } catch {
          // A failed pass (a closed store, a thread gone meanwhile) is retried on the next change.
        } finally {
          running = false;
        }
      })();
    };
    const unsubscribe = host.store.subscribeSummaries(sync);
    const unwatch = current.current.subscribe(() => {
      if (waiting) sync();
    });
    return () => {
      stopped = true;
      unsubscribe();
      unwatch();
    };
  }, [host]);
}
