/**
 * `reconnectToStream` from the store: a reply being written (in this tab or
 * another) or left interrupted is replayed as UI message chunks, its text and
 * reasoning so far first, then the live deltas while its writer lives. It
 * ends when the draft is committed, aborted or interrupted. Generating the
 * rest of an interrupted reply is the app's server's job, not the store's.
 */
import type { EventStore } from '../store.js';
import type { Draft } from '../stream.js';
import type { UIChunk } from './ui-types.js';

/** The chunks of a session's latest draft, live; `null` when the session has no draft. */
export async function replayDraft(
  store: EventStore,
  sessionKey: string,
  signal?: AbortSignal,
): Promise<ReadableStream<UIChunk> | null> {
  const drafts = await store.loadDrafts(sessionKey);
  const draft =
    [...drafts].reverse().find((d) => d.status === 'streaming') ?? drafts[drafts.length - 1];
  if (!draft) return null;
  let stop: (() => void) | undefined;
  return new ReadableStream<UIChunk>({
    start(controller) {
      const sent = { text: 0, reasoning: 0 };
      const open = { text: false, reasoning: false };
      let closed = false;
      const emit = (d: Pick<Draft, 'text' | 'reasoning'>) => {
        for (const field of ['reasoning', 'text'] as const) {
          const value = d[field] ?? '';
          if (value.length <= sent[field]) continue;
          if (!open[field]) controller.enqueue({ type: `${field}-start`, id: field });
          open[field] = true;
          controller.enqueue({
            type: `${field}-delta`,
            id: field,
            delta: value.slice(sent[field]),
          });
          sent[field] = value.length;
        }
      };
      const finish = (reason?: 'aborted') => {
        if (closed) return;
        closed = true;
        stop?.();
        for (const field of ['reasoning', 'text'] as const)
          if (open[field]) controller.enqueue({ type: `${field}-end`, id: field });
        controller.enqueue({ type: 'finish-step' });
        controller.enqueue(reason ? { type: 'abort', reason } : { type: 'finish' });
        controller.close();
      };
      controller.enqueue({ type: 'start', messageId: draft.id });
      controller.enqueue({ type: 'start-step' });
      emit(draft);
      if (draft.status === 'interrupted') return finish();
      let last: Draft = draft;
      stop = store.subscribeDrafts(sessionKey, (list) => {
        const current = list.find((d) => d.id === draft.id);
        if (current) {
          last = current;
          emit(current);
          if (current.status === 'interrupted') finish();
          return;
        }
        // Gone: committed (its full text is in the log) or aborted.
        void committedText(store, sessionKey, last).then(
          (text) => {
            if (text !== undefined)
              emit({ text, ...(last.reasoning ? { reasoning: last.reasoning } : {}) });
            finish(text === undefined ? 'aborted' : undefined);
          },
          () => finish('aborted'),
        );
      });
      signal?.addEventListener('abort', () => finish('aborted'), { once: true });
    },
    cancel() {
      stop?.();
    },
  });
}

/** The text of the response a draft became, found by its parent and its text so far. */
async function committedText(
  store: EventStore,
  sessionKey: string,
  draft: Draft,
): Promise<string | undefined> {
  const projection = await store.getProjection(sessionKey);
  for (let i = projection.nodes.length - 1; i >= 0; i--) {
    const node = projection.nodes[i]!;
    if (
      node.kind.type === 'agent_response' &&
      node.kind.model === draft.model &&
      node.kind.content.startsWith(draft.text) &&
      (draft.parentId === undefined || node.kind.parent_id === draft.parentId)
    )
      return node.kind.content;
  }
  return undefined;
}
