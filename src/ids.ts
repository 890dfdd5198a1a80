/**
 * Content-addressed event ids (docs/design.md §2): BLAKE2b-256 of the canonical JSON
 * of the event without its id. Any tab can recompute an id, so a corrupt record
 * or a forged message is detected.
 */
import { type _BLAKE2b, blake2b } from '@noble/hashes/blake2.js';
import { canonicalJson } from './json.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const encoder = new TextEncoder();

/** An event id as 64 lowercase hex characters. */
export const EVENT_ID_PATTERN = /^[0-9a-f]{64}$/;

/** Lowercase hex of `bytes`. */
export function bytesToHex(bytes: ArrayLike<number>): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]! & 0xff];
  return out;
}

// One hasher in BLAKE2b-256's initial state, copied into one reused hasher per
// hash: constructing one per id (its options checked, sixteen fields, two
// buffers) took about 4 of a cold open's 17 ms of hashing (bench scenario 5).
const INITIAL = blake2b.create({ dkLen: 32 });
let hasher: _BLAKE2b | undefined;
const digest = new Uint8Array(32);

/** BLAKE2b-256 of `bytes`, as hex (the reference's hash function). */
export function blake2b256HexOf(bytes: Uint8Array): string {
  const h = INITIAL._cloneInto(hasher);
  hasher = undefined; // a throw below must not leave a half-used hasher for the next call
  h.update(bytes);
  h.digestInto(digest);
  hasher = h;
  return bytesToHex(digest);
}

/** The UTF-8 bytes of `text`. */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** BLAKE2b-256 of the UTF-8 bytes of `text`, as hex. */
export function blake2b256Hex(text: string): string {
  return blake2b256HexOf(encoder.encode(text));
}

/** The hashed part of an event: every field but `id`. */
export interface EventContent {
  session_key: string;
  agent_id: string;
  timestamp: string;
  origin?: string | undefined;
  kind: unknown;
}

/** Computes the id of an event's content (its timestamp must already be normalized). */
export function computeEventId(content: EventContent): string {
  const { session_key, agent_id, timestamp, origin, kind } = content;
  return blake2b256Hex(canonicalJson({ session_key, agent_id, timestamp, origin, kind }));
}

/** `bytes` random bytes as lowercase hex (ids of replicas, drafts, database instances). */
export function randomHex(bytes = 8): string {
  return bytesToHex(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** A random replica id (16 hex chars) that keeps identical content from two tabs apart. */
export function randomOrigin(): string {
  return randomHex(8);
}
