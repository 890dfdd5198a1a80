/**
 * The sync wire protocol, shared by the server handlers (`sessionlog/server`)
 * and the browser client (`sessionlog/sync`). Plain JSON over HTTP; see
 * docs/sync.md.
 */
import type { ErrorCode } from '../errors.js';
import { type AnyEvent, REFERENCE_ORIGIN } from '../event.js';
import { idToBytes } from '../reference.js';

/** A deletion as it crosses the wire: events of the session at or before `timestamp` are gone. */
export interface WireTombstone {
  session_key: string;
  /** RFC 3339, normalized (9 fraction digits). */
  timestamp: string;
}

/** Body of `POST …/push`. */
export interface PushRequest {
  /** Events in this library's form, or the reference's (id as 32 numbers, then unverifiable). */
  events: unknown[];
  tombstones?: WireTombstone[];
}

/** Answer of a successful push: what became of the batch. */
export interface PushResponse {
  /** Events newly stored. */
  added: number;
  /** Events already stored with the same content: no-ops. */
  duplicates: number;
  /** Events at or before a deletion of their session: dropped. */
  dropped: number;
  /** Deletions newly recorded. */
  tombstones: number;
}

/** Answer of `GET …/pull`. */
export interface PullResponse {
  /** Events in wire form (reference events with their id as 32 numbers). */
  events: unknown[];
  tombstones: WireTombstone[];
  /** Opaque position to pass as `cursor` next time. */
  cursor: string;
  /** Whether more is ready right now (pull again without waiting). */
  more: boolean;
  /** With `count=1`: how many events and deletions are ready after `cursor` (for progress). */
  remaining?: number;
}

/** The body of every 4xx/5xx answer. */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    field?: string;
    index?: number;
  };
}

/** Most events one push may carry. */
export const MAX_PUSH_EVENTS = 1000;
/** Most tombstones one push may carry. */
export const MAX_PUSH_TOMBSTONES = 1000;
/** Largest push body, in bytes (16 MiB: a full batch of large events). */
export const MAX_PUSH_BYTES = 16 * 1024 * 1024;
/** Default and largest pull page, in rows. */
export const DEFAULT_PULL_LIMIT = 1000;
/** Largest pull page a client may ask for. */
export const MAX_PULL_LIMIT = 5000;
/** Longest long poll (`wait`, seconds) a client may ask for. */
export const MAX_WAIT_SECONDS = 60;

/**
 * An event as it crosses the wire: a reference event (whose id cannot be
 * recomputed) goes in the reference's form, its id as 32 numbers and no
 * origin, so the receiver knows it is unverifiable without trusting a field;
 * every other event goes as stored, and its id is always re-verified.
 */
export function toWireEvent(event: AnyEvent): unknown {
  if (event.origin !== REFERENCE_ORIGIN) return event;
  const { id, origin: _, ...rest } = event;
  return { id: idToBytes(id), ...rest };
}
