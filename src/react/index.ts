/**
 * sessionlog/react: hooks over an {@link EventStore} for React 18 and 19, built
 * on `useSyncExternalStore` (no tearing, snapshots that change only when the
 * data does). React is an optional peer dependency: the main entry never
 * imports it. This file only re-exports.
 */
export { MessageWindow, type MessageWindowState } from './message-window.js';
export { useDrafts } from './use-drafts.js';
export { type UseMessagesOptions, type UseMessagesResult, useMessages } from './use-messages.js';
export { useSession } from './use-session.js';
export { useSessions } from './use-sessions.js';
