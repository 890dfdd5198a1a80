/**
 * sessionlog/server: the PostgreSQL schema and the stateless sync handlers
 * (Node). Mount them in the app's own backend; see docs/sync.md. This file
 * only re-exports.
 */

export type {
  ErrorBody,
  PullResponse,
  PushRequest,
  PushResponse,
  WireTombstone,
} from '../sync/protocol.js';
export {
  fromPGlite,
  fromPgPool,
  type PGliteLike,
  type PgClientLike,
  type PgPoolLike,
  type SqlClient,
  type SqlDatabase,
} from './database.js';
export {
  type CorsOptions,
  createSyncHandler,
  type SyncHandler,
  type SyncHandlerOptions,
} from './handler.js';
export { migrate, NOTIFY_CHANNEL, SERVER_SCHEMA_VERSION } from './schema.js';
