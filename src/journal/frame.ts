/**
 * The journal's record framing (DESIGN §10): each record is a frame of a
 * magic marker, the payload's length and a BLAKE2b-64 check value over both,
 * then the payload. A frame cut short at the end of a file (the write a crash
 * interrupted) is a torn tail and ignored; a damaged frame elsewhere is
 * skipped, reported, and reading resumes at the next marker.
 */
import { blake2b } from '@noble/hashes/blake2.js';

/** Marks the start of every frame: "SLJ1". */
const MAGIC = [0x53, 0x4c, 0x4a, 0x31] as const;
const CHECK_BYTES = 8;
/** Magic, length (u32 little-endian), check value. */
export const FRAME_HEADER = 4 + 4 + CHECK_BYTES;
/** A frame's payload is never larger (a damaged length field reads as garbage). */
const MAX_PAYLOAD = 256 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** One frame read back: its payload and where it sits in the file. */
export interface DecodedFrame<T> {
  /** Byte offset of the frame in the file. */
  at: number;
  /** Byte offset just after it. */
  end: number;
  value: T;
}

/** A damaged frame that was skipped. */
export interface DamagedFrame {
  at: number;
  reason: string;
}

/** What {@link decodeFrames} found in a run of bytes. */
export interface DecodedFrames<T> {
  frames: DecodedFrame<T>[];
  damaged: DamagedFrame[];
  /** Offset just after the last good frame (or the start): where the next write goes. */
  end: number;
  /** Bytes after `end` that form no complete frame: a torn tail, ignored. */
  tornTail: number;
}

function check(header: Uint8Array, payload: Uint8Array): Uint8Array {
  const hash = blake2b.create({ dkLen: CHECK_BYTES });
  hash.update(header.subarray(4, 8));
  hash.update(payload);
  return hash.digest();
}

/** Frames `value` (as UTF-8 JSON) for appending to a journal file. */
export function encodeFrame(value: unknown): Uint8Array {
  const payload = encoder.encode(JSON.stringify(value));
  const frame = new Uint8Array(FRAME_HEADER + payload.length);
  frame.set(MAGIC, 0);
  new DataView(frame.buffer).setUint32(4, payload.length, true);
  frame.set(payload, FRAME_HEADER);
  frame.set(check(frame, payload), 8);
  return frame;
}

function magicAt(bytes: Uint8Array, i: number): boolean {
  return (
    bytes[i] === MAGIC[0] &&
    bytes[i + 1] === MAGIC[1] &&
    bytes[i + 2] === MAGIC[2] &&
    bytes[i + 3] === MAGIC[3]
  );
}

/** The payload length of the frame header at `i` of `bytes`; `undefined` when none starts there. */
export function frameLengthAt(bytes: Uint8Array, i: number): number | undefined {
  if (bytes.length - i < FRAME_HEADER || !magicAt(bytes, i)) return undefined;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(i + 4, true);
}

function nextMagic(bytes: Uint8Array, from: number): number {
  for (let i = from; i + 4 <= bytes.length; i++) if (magicAt(bytes, i)) return i;
  return -1;
}

/**
 * Reads the frames of `bytes`, which start at file offset `base`. A frame
 * that fails its check is a torn tail when nothing valid follows it, and a
 * damaged frame (skipped, listed) when a good frame does.
 */
export function decodeFrames<T = unknown>(bytes: Uint8Array, base = 0): DecodedFrames<T> {
  const frames: DecodedFrame<T>[] = [];
  const damaged: DamagedFrame[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 0;
  let end = 0;
  // A bad spot: skip to the next marker and decide later whether it was the tail.
  let pending: DamagedFrame | undefined;
  while (i < bytes.length) {
    let reason: string | undefined;
    let next = -1;
    if (bytes.length - i < FRAME_HEADER) reason = 'incomplete header';
    else if (!magicAt(bytes, i)) reason = 'no frame marker';
    else {
      const length = view.getUint32(i + 4, true);
      if (length > MAX_PAYLOAD || i + FRAME_HEADER + length > bytes.length)
        reason = 'length beyond the end';
      else {
        const payload = bytes.subarray(i + FRAME_HEADER, i + FRAME_HEADER + length);
        const expected = check(bytes.subarray(i, i + FRAME_HEADER), payload);
        const stored = bytes.subarray(i + 8, i + FRAME_HEADER);
        if (expected.some((b, k) => b !== stored[k])) reason = 'check value mismatch';
        else {
          try {
            const value = JSON.parse(decoder.decode(payload)) as T;
            next = i + FRAME_HEADER + length;
            if (pending) damaged.push(pending);
            pending = undefined;
            frames.push({ at: base + i, end: base + next, value });
            end = next;
          } catch {
            reason = 'payload is not JSON';
          }
        }
      }
    }
    if (reason !== undefined) {
      pending ??= { at: base + i, reason };
      const resume = nextMagic(bytes, i + 1);
      if (resume < 0) break;
      i = resume;
    } else i = next;
  }
  return { frames, damaged, end: base + end, tornTail: bytes.length - end };
}
