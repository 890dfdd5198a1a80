import { useCallback, useSyncExternalStore } from 'react';
import type { EventStore } from '../store.js';
import type { SessionSummary } from '../summary.js';

/**
 * Live summaries of every session, most recent first (what a sidebar lists);
 * `undefined` while they load. The same array until a session changes.
 */
export function useSessions(store: EventStore): readonly SessionSummary[] | undefined {
  const subscribe = useCallback(
    (onChange: () => void) => store.subscribeSummaries(onChange),
    [store],
  );
  const getSnapshot = useCallback(() => store.getSummariesSnapshot(), [store]);
  return useSyncExternalStore(subscribe, getSnapshot, getSnapshot);
}
