import { useMemo, useSyncExternalStore } from 'react';
import type { Message } from '../projection.js';
import type { EventStore } from '../store.js';
import { MessageWindow } from './message-window.js';

/** Options of {@link useMessages}. */
export interface UseMessagesOptions {
  /** Messages per page (the first and each older one); default 50, at most 1000. */
  pageSize?: number;
}

/** What {@link useMessages} returns. */
export interface UseMessagesResult {
  /** The loaded messages, oldest first; stable identities, a new array only on change. */
  messages: readonly Message[];
  /** Whether older messages exist before the first loaded one. */
  hasOlder: boolean;
  /** Reads the previous page; a stable function. */
  loadOlder: () => Promise<void>;
  /** True while the first page or an older page is being read. */
  loading: boolean;
  /** The last read's failure, if it failed. */
  error: unknown;
}

/**
 * A session's messages a page at a time, read through the message index (the
 * cost of a page does not grow with the session), live for messages added in
 * any tab. Starts with the latest page; `loadOlder` pages back.
 */
export function useMessages(
  store: EventStore,
  sessionKey: string,
  options: UseMessagesOptions = {},
): UseMessagesResult {
  const pageSize = options.pageSize ?? 50;
  const window = useMemo(
    () => new MessageWindow(store, sessionKey, pageSize),
    [store, sessionKey, pageSize],
  );
  const state = useSyncExternalStore(window.subscribe, window.getSnapshot, window.getSnapshot);
  return useMemo(() => ({ ...state, loadOlder: window.loadOlder }), [state, window]);
}
