import { useCallback, useSyncExternalStore } from 'react';
import type { Projection } from '../projection.js';
import type { EventStore } from '../store.js';

/**
 * The live projection of a session, re-rendering when it changes in this tab or
 * any other; `undefined` while it loads. The same object until the session changes.
 */
export function useSession(store: EventStore, sessionKey: string): Projection | undefined {
  const subscribe = useCallback(
    (onChange: () => void) => store.subscribe(sessionKey, onChange),
    [store, sessionKey],
  );
  const getSnapshot = useCallback(() => store.getSnapshot(sessionKey), [store, sessionKey]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
