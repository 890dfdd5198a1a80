/**
 * A persistent sorted list in chunks: inserting an item copies one chunk (at
 * most {@link MAX_CHUNK} items) and the list of chunks, and shares every other
 * chunk with the list it came from. A live projection of 50,000 messages then
 * costs an append what one chunk costs, where copying the whole array (and,
 * in V8, collecting the large arrays left behind) grew with the session.
 */
import { deepFreeze } from './freeze.js';
import type { Message, Projection, RegisterBuilder } from './projection.js';

/** Most items one chunk holds before it is split in two. */
export const MAX_CHUNK = 512;

/** An immutable sorted list; `toArray()` gives it as a frozen array, made once. */
export class ChunkedList<T> {
  readonly #chunks: ReadonlyArray<readonly T[]>;
  /** Number of items. */
  readonly length: number;
  #array: readonly T[] | undefined;

  private constructor(chunks: ReadonlyArray<readonly T[]>, length: number) {
    this.#chunks = chunks;
    this.length = length;
  }

  /** The list of `items`, which must already be sorted. */
  static from<T>(items: readonly T[]): ChunkedList<T> {
    const chunks: T[][] = [];
    for (let i = 0; i < items.length; i += MAX_CHUNK) chunks.push(items.slice(i, i + MAX_CHUNK));
    const list = new ChunkedList<T>(chunks, items.length);
    if (Object.isFrozen(items)) list.#array = items;
    return list;
  }

  /**
   * The list with `item` inserted in `compare` order, or this same list when
   * an item comparing equal is already in it.
   */
  insert(item: T, compare: (a: T, b: T) => number): ChunkedList<T> {
    const chunks = this.#chunks;
    // The first chunk whose last item is not before `item` (or the last chunk).
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid]!;
      if (compare(chunk[chunk.length - 1]!, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    const chunk = chunks[lo] ?? [];
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (compare(chunk[mid]!, item) < 0) a = mid + 1;
      else b = mid;
    }
    if (a < chunk.length && compare(chunk[a]!, item) === 0) return this;
    const grown = chunk.slice();
    grown.splice(a, 0, item);
    const next = chunks.slice();
    if (grown.length > MAX_CHUNK) {
      const half = grown.length >>> 1;
      next.splice(lo, 1, grown.slice(0, half), grown.slice(half));
    } else next[lo] = grown;
    return new ChunkedList(next, this.length + 1);
  }

  /** The items as one frozen array, built on first use and kept. */
  toArray(): readonly T[] {
    if (!this.#array) {
      const out = new Array<T>(this.length);
      let i = 0;
      for (const chunk of this.#chunks) for (const item of chunk) out[i++] = item;
      this.#array = Object.freeze(out);
    }
    return this.#array;
  }
}

// The chunked list behind each projection made by `withMessageList`.
const lists = new WeakMap<Projection, ChunkedList<Message>>();

/** The messages of `projection` as a chunked list (made once for a projection made elsewhere). */
export function messageListOf(projection: Projection): ChunkedList<Message> {
  let list = lists.get(projection);
  if (!list) {
    list = ChunkedList.from(projection.messages);
    lists.set(projection, list);
  }
  return list;
}

/**
 * A copy of `projection`'s fields, not frozen yet, whose `messages` is `list`:
 * an enumerable getter that makes the array on first read, so a projection
 * nobody reads the messages of never builds one. Its `versions` is a copy too.
 */
export function withMessageList(
  projection: Projection,
  list: ChunkedList<Message>,
): RegisterBuilder {
  const out = {} as Record<string, unknown>;
  for (const key of Object.keys(projection)) {
    if (key === 'messages')
      Object.defineProperty(out, key, { enumerable: true, get: () => list.toArray() });
    else out[key] = projection[key as keyof Projection];
  }
  out.versions = { ...projection.versions };
  lists.set(out as unknown as Projection, list);
  return out as unknown as RegisterBuilder;
}

/** Freezes a projection made by {@link withMessageList}, without making its message array. */
export function freezeProjection(p: RegisterBuilder): Projection {
  for (const key of Object.keys(p) as Array<keyof RegisterBuilder>) {
    if (key !== ('messages' as string)) deepFreeze(p[key]);
  }
  return Object.freeze(p) as unknown as Projection;
}
