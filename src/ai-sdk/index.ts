/**
 * sessionlog/ai-sdk: AI SDK (`ai` 5–7, `@ai-sdk/react`) chats kept in a
 * sessionlog store: `loadChat` for `useChat({ id, messages })`, a
 * `recordingTransport` that records every message and streamed reply, and the
 * mappings between UI messages and events. This file only re-exports.
 */
export {
  type AppendUIMessageOptions,
  appendUIMessage,
  type EventSpan,
} from './append-ui-message.js';
export {
  isToolPart,
  type KindsOptions,
  kindsOfUIMessage,
  messagePartOf,
  type NodeKindInput,
} from './from-ui-message.js';
export { loadChat } from './load-chat.js';
export { type RecordingTransportOptions, recordingTransport } from './recording-transport.js';
export { replayDraft } from './replay-stream.js';
export {
  type AssistantMetadata,
  groupNodes,
  type NodeGroup,
  toUIMessage,
  toUIMessages,
  type UsageMetadata,
  uiPartOf,
} from './to-ui-messages.js';
export type {
  ChatTransportLike,
  ReconnectOptions,
  SendMessagesOptions,
  UIChunk,
  UIMessageLike,
  UIPart,
} from './ui-types.js';
export { mergeMetadata, modelFromMetadata, type StoredUsage, usageFromMetadata } from './usage.js';
