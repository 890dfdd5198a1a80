/**
 * assistant-ui's RemoteThreadListAdapter over sessionlog sessions: each thread
 * is a session (its key is the thread's remote id); title, archived state and
 * custom metadata are `state_changed` events under the reserved keys of
 * keys.ts, so they sync across tabs and merge like any other state; deleting a
 * thread deletes the session everywhere.
 */
import { type RemoteThreadListAdapter, type ThreadMessage, useAui } from '@assistant-ui/react';
import { createAssistantStream } from 'assistant-stream';
import { useEffect, useMemo, useRef } from 'react';
import { EventStoreError, validationError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { EventStore } from '../store.js';
import type { SessionSummary } from '../summary.js';
import { createThreadHistoryAdapter } from './history-adapter.js';
import { ARCHIVED_KEY, CUSTOM_KEY, TITLE_KEY } from './keys.js';
import { type LiveThreadsHost, useLiveThreads } from './live-threads.js';
import { threadMetadataOf } from './thread-metadata.js';

/** Options of {@link createThreadListAdapter}. */
export interface ThreadListAdapterOptions {
  /** agent_id of the events the adapter records; default `"assistant"`. */
  agentId?: string;
  /** The session key of a new thread, from assistant-ui's local thread id; default: the id itself. */
  sessionKeyOf?: (threadId: string) => string;
  /** Which sessions are threads; default: all of them. */
  includes?: (summary: SessionSummary) => boolean;
  /** A title for a thread from its messages; default: the first user text, at most 60 characters. */
  title?: (messages: readonly ThreadMessage[]) => string | Promise<string>;
  /** The `session_started` channel of new threads; default `"web"`. */
  channel?: string;
}

const MAX_TITLE = 60;

function firstUserText(messages: readonly ThreadMessage[]): string {
  for (const message of messages) {
    if (message.role !== 'user') continue;
    for (const part of message.content)
      if (part.type === 'text' && part.text.trim()) return part.text.trim();
  }
  return '';
}

function defaultTitle(messages: readonly ThreadMessage[]): string {
  const text = firstUserText(messages).replace(/\s+/g, ' ');
  return text.length > MAX_TITLE ? `${text.slice(0, MAX_TITLE - 1)}…` : text;
}

/**
 * The adapters of the thread assistant-ui renders (a hook: it reads the thread
 * from context), kept live across tabs by live-threads.ts.
 */
function useThreadAdapters(
  store: EventStore,
  agentId: string,
  live: Omit<LiveThreadsHost, 'history'>,
) {
  const aui = useAui();
  const current = useRef(aui);
  useEffect(() => {
    current.current = aui;
  });
  const adapters = useMemo(
    () => ({
      history: createThreadHistoryAdapter(
        store,
        {
          current: () => current.current.threadListItem.getState().remoteId,
          initialize: async () => (await current.current.threadListItem.initialize()).remoteId,
        },
        { agentId },
      ),
    }),
    [store, agentId],
  );
  const host = useMemo(() => ({ ...live, history: adapters.history }), [live, adapters]);
  useLiveThreads(host);
  return adapters;
}

/**
 * A RemoteThreadListAdapter for `useRemoteThreadListRuntime`, with each thread
 * a session of `store`. Renaming, archiving and custom metadata are recorded as
 * `state_changed` events under {@link TITLE_KEY}, {@link ARCHIVED_KEY} and
 * {@link CUSTOM_KEY}; `delete` is `store.deleteSession`. Each thread's history is a
 * {@link createThreadHistoryAdapter} on its session (through `unstable_useAdapters`).
 * Live across tabs: threads another tab adds, renames, archives or deletes
 * reload the list, and messages it stores in the open thread appear there.
 */
export function createThreadListAdapter(
  store: EventStore,
  options: ThreadListAdapterOptions = {},
): RemoteThreadListAdapter {
  const agentId = options.agentId ?? 'assistant';
  const sessionKeyOf = options.sessionKeyOf ?? ((id: string) => id);
  const includes = options.includes ?? (() => true);
  const makeTitle = options.title ?? defaultTitle;
  const setState = (key: string, stateKey: string, value: JsonValue) =>
    store.record(key, agentId, { type: 'state_changed', key: stateKey, value });
  const summaryOf = async (key: string): Promise<SessionSummary> => {
    const summary = (await store.listSummaries()).find((s) => s.sessionKey === key);
    if (!summary) throw new EventStoreError('not_found', `thread ${key} not found`);
    return summary;
  };
  const known = async (key: string): Promise<string> => (await summaryOf(key)).sessionKey;
  // The live sync holds off while a write of ours is under way (assistant-ui updates its own state).
  let writes = 0;
  const own = new Set<string>();
  const writing =
    <A extends unknown[], R>(method: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      writes++;
      try {
        return await method(...args);
      } finally {
        writes--;
      }
    };
  const live = { store, includes, own, busy: () => writes > 0 };

  return {
    async list() {
      const summaries = await store.listSummaries();
      return { threads: summaries.filter(includes).map(threadMetadataOf) };
    },
    rename: writing(async (remoteId: string, newTitle: string) => {
      if (typeof newTitle !== 'string') throw validationError('title', 'must be a string');
      await setState(await known(remoteId), TITLE_KEY, newTitle);
    }),
    updateCustom: writing(async (remoteId: string, custom: Record<string, unknown> | undefined) => {
      await setState(await known(remoteId), CUSTOM_KEY, (custom ?? null) as JsonValue);
    }),
    archive: writing(async (remoteId: string) => {
      await setState(await known(remoteId), ARCHIVED_KEY, true);
    }),
    unarchive: writing(async (remoteId: string) => {
      await setState(await known(remoteId), ARCHIVED_KEY, false);
    }),
    delete: writing(async (remoteId: string) => {
      // Gone already (deleted in another tab): a second tombstone would only be later, not truer.
      if (await store.getSummary(remoteId)) await store.deleteSession(remoteId);
    }),
    initialize: writing(async (threadId: string, init?: { custom?: Record<string, unknown> }) => {
      const key = sessionKeyOf(threadId);
      own.add(key);
      await store.record(key, agentId, {
        type: 'session_started',
        channel: options.channel ?? 'web',
        peer_id: threadId,
      });
      if (init?.custom) await setState(key, CUSTOM_KEY, init.custom as JsonValue);
      return { remoteId: key, externalId: undefined };
    }),
    generateTitle: writing(async (remoteId: string, messages: readonly ThreadMessage[]) => {
      const key = await known(remoteId);
      const title = await makeTitle(messages);
      if (title) await setState(key, TITLE_KEY, title);
      return createAssistantStream((controller) => {
        if (title) controller.appendText(title);
      });
    }),
    async fetch(threadId) {
      return threadMetadataOf(await summaryOf(threadId));
    },
    // assistant-ui calls this hook inside each thread: its history follows that thread's session.
    unstable_useAdapters: function useAdapters() {
      return useThreadAdapters(store, agentId, live);
    },
  };
}
