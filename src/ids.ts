/**
 * Content-addressed event ids (DESIGN §2): BLAKE2b-256 of the canonical JSON
 * of the event without its id. Any tab can recompute an id, so a corrupt record
 * or a forged message is detected.
 */
import { blake2b } from '@noble/hashes/blake2.js';
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

/** BLAKE2b-256 of the UTF-8 bytes of `text`, as hex (the reference's hash function). */
export function blake2b256Hex(text: string): string {
  return bytesToHex(blake2b(encoder.encode(text), { dkLen: 32 }));
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
