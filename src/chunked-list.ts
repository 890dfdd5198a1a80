/**
 * A persistent sorted list in chunks: inserting or replacing an item copies
 * one chunk (at most {@link MAX_CHUNK} items) and the list of chunks, and
 * shares every other chunk with the list it came from. A live projection of
 * 50,000 messages then costs an append what one chunk costs, where copying the
 * whole array (and, in V8, collecting the large arrays left behind) grew with
 * the session.
 */

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

  /** The last item, or `undefined` when the list is empty. */
  last(): T | undefined {
    const chunk = this.#chunks[this.#chunks.length - 1];
    return chunk?.[chunk.length - 1];
  }

  // Where an item comparing like `key` is or would go: [chunk, position in it].
  #locate<K>(key: K, compare: (a: T, b: K) => number): [number, number] {
    const chunks = this.#chunks;
    // The first chunk whose last item is not before `key` (or the last chunk).
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = chunks[mid]!;
      if (compare(chunk[chunk.length - 1]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    const chunk = chunks[lo] ?? [];
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (compare(chunk[mid]!, key) < 0) a = mid + 1;
      else b = mid;
    }
    return [lo, a];
  }

  /** The item comparing equal to `key`, or `undefined`. */
  find<K>(key: K, compare: (a: T, b: K) => number): T | undefined {
    const [c, i] = this.#locate(key, compare);
    const item = this.#chunks[c]?.[i];
    return item !== undefined && compare(item, key) === 0 ? item : undefined;
  }

  /** The list with the item comparing equal to `item` replaced by it (one chunk copied). */
  replace(item: T, compare: (a: T, b: T) => number): ChunkedList<T> {
    const [c, i] = this.#locate(item, compare);
    const chunk = this.#chunks[c];
    if (!chunk || i >= chunk.length || compare(chunk[i]!, item) !== 0) return this;
    const copy = chunk.slice();
    copy[i] = item;
    const next = this.#chunks.slice();
    next[c] = copy;
    return new ChunkedList(next, this.length);
  }

  /**
   * The list with `item` inserted in `compare` order, or this same list when
   * an item comparing equal is already in it.
   */
  insert(item: T, compare: (a: T, b: T) => number): ChunkedList<T> {
    const chunks = this.#chunks;
    const [lo, a] = this.#locate(item, compare);
    const chunk = chunks[lo] ?? [];
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
