/**
 * sessionlog/assistant-ui: assistant-ui's RemoteThreadListAdapter and
 * ThreadHistoryAdapter over a sessionlog store. This file only re-exports.
 */
export {
  createThreadHistoryAdapter,
  type ThreadHistoryOptions,
  type ThreadRef,
} from './history-adapter.js';
export { ARCHIVED_KEY, CUSTOM_KEY, TITLE_KEY } from './keys.js';
export { createThreadListAdapter, type ThreadListAdapterOptions } from './thread-list-adapter.js';
export { threadMessageOfUIMessage, uiMessageOfThreadMessage } from './thread-message.js';
export { type ThreadMetadata, threadMetadataOf } from './thread-metadata.js';
