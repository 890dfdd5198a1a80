/**
 * sessionlog: offline-first, event-sourced chat sessions in IndexedDB, with
 * CRDT projections kept in step across tabs. This file only re-exports the
 * public API. Export/import and the Rust reference's shapes are in the
 * subpath modules `sessionlog/transfer` and `sessionlog/reference`.
 */
export { type ClockOptions, DEFAULT_MAX_CLOCK_SKEW_MS, HybridClock } from './clock.js';
export { type ErrorCode, type ErrorDetails, EventStoreError, isEventStoreError } from './errors.js';
export {
  type AgentResponse,
  type AnyEvent,
  type AttachmentMeta,
  type CreateEventOptions,
  compareEvents,
  createEvent,
  type DataPart,
  EVENT_TYPES,
  type EventKind,
  type EventKindInput,
  type EventType,
  EXTENSION_TYPES,
  type FilePart,
  type HeadSet,
  isExtensionKind,
  isKnownKind,
  MAX_CALL_ID_LENGTH,
  MAX_EVENT_BYTES,
  MAX_NAME_LENGTH,
  MAX_SESSION_KEY_LENGTH,
  type MessagePart,
  type MessageReceived,
  type MessageSent,
  mainSessionKey,
  type ParseEventOptions,
  type PeerType,
  parseEvent,
  REFERENCE_ORIGIN,
  type ReasoningPart,
  type SessionEnded,
  type SessionEvent,
  type SessionKeyParts,
  type SessionStarted,
  type SourcePart,
  type StateChanged,
  sessionKey,
  type TextPart,
  type TokenUsage,
  type ToolCalled,
  type ToolResult,
  type TreeLink,
  type UnknownKind,
  type UnknownPart,
  verifyEvent,
} from './event.js';
export { computeEventId } from './ids.js';
export { destroyEventStore } from './journal/destroy.js';
export type { JournalCheck, JournalStatus, RestoreReport } from './journal/journal.js';
export { canonicalJson, type JsonValue, MAX_JSON_DEPTH } from './json.js';
export {
  applyEvent,
  emptyProjection,
  type Message,
  type MessageDirection,
  mergeProjections,
  type Projection,
  type ProjectionVersions,
  project,
  type SessionState,
  type TokenTotals,
  type Version,
} from './projection.js';
export { estimateStorage, requestPersistentStorage, type StorageReport } from './storage.js';
export type {
  AppendResult,
  CorruptRecord,
  Cursor,
  DeleteOptions,
  Durability,
  JournalOptions,
  MessagePage,
  MessageQuery,
  OpenEventStoreOptions,
  RecordOptions,
  StoreEventMap,
} from './store/types.js';
export { EventStore, openEventStore } from './store.js';
export {
  DEFAULT_DRAFT_TIMING,
  type Draft,
  type DraftTiming,
  type StreamHandle,
  type StreamOptions,
} from './stream.js';
export type { SessionSummary } from './summary.js';
export { type ChannelStats, PROTOCOL_VERSION } from './tab-channel.js';
export {
  activePath,
  type NodeKind,
  newestLeafUnder,
  nodeById,
  siblingsOf,
  type TreeNode,
  type TreeView,
} from './tree.js';
