/**
 * sessionlog/sync: the browser client of the sync server (sessionlog/server).
 * This file only re-exports; see docs/sync.md.
 */

export type { LocalChanges } from '../store/types.js';
export { changesSince } from './changes.js';
export {
  createSync,
  type SyncClient,
  type SyncOptions,
  type SyncState,
  type SyncStatus,
} from './client.js';
export type {
  ErrorBody,
  PullResponse,
  PushRequest,
  PushResponse,
  WireTombstone,
} from './protocol.js';
export { toWireEvent } from './protocol.js';
export type { HeldEvent } from './state.js';
