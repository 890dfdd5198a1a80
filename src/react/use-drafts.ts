import { useCallback, useSyncExternalStore } from 'react';
import type { EventStore } from '../store.js';
import type { Draft } from '../stream.js';

/**
 * Live drafts of a session: replies streaming in this tab or another, and
 * interrupted ones left by a tab that died. The same array until one changes.
 */
export function useDrafts(store: EventStore, sessionKey: string): readonly Draft[] {
  const subscribe = useCallback(
    (onChange: () => void) => store.subscribeDrafts(sessionKey, onChange),
    [store, sessionKey],
  );
  const getSnapshot = useCallback(() => store.getDraftsSnapshot(sessionKey), [store, sessionKey]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
