/**
 * A session summary as assistant-ui's thread metadata: the title, archived
 * state and custom metadata come from the reserved state keys of keys.ts.
 */
import type { SessionSummary } from '../summary.js';
import { ARCHIVED_KEY, CUSTOM_KEY, TITLE_KEY } from './keys.js';

/** What assistant-ui shows of a thread, from its session's summary. */
export interface ThreadMetadata {
  readonly status: 'regular' | 'archived';
  readonly remoteId: string;
  readonly externalId?: string | undefined;
  readonly title?: string | undefined;
  readonly lastMessageAt?: Date | undefined;
  readonly custom?: Record<string, unknown> | undefined;
}

/** The thread metadata of a session summary (see {@link createThreadListAdapter}). */
export function threadMetadataOf(summary: SessionSummary): ThreadMetadata {
  const state = summary.customState;
  const title = state[TITLE_KEY];
  const custom = state[CUSTOM_KEY];
  return {
    status: state[ARCHIVED_KEY] === true ? 'archived' : 'regular',
    remoteId: summary.sessionKey,
    title: typeof title === 'string' ? title : undefined,
    lastMessageAt: summary.lastActivity ? new Date(summary.lastActivity) : undefined,
    custom:
      custom !== null && typeof custom === 'object' && !Array.isArray(custom)
        ? { ...custom }
        : undefined,
  };
}
