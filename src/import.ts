/**
 * `sessionlog/import`: importers of chat exports from other apps. A separate
 * entry point, so apps that never import pay nothing for it in their bundle.
 */
export {
  type ConversationFormat,
  type ConversationImportResult,
  type ConversationProgress,
  type ConversationSource,
  type ConversationTarget,
  type ImportConversationsOptions,
  type InvalidConversation,
  importConversations,
} from './conversations/import.js';
