/**
 * Listener sets by key, the one helper behind store events, live projections,
 * session summaries and drafts: a listener that throws is reported and never
 * keeps the others from being called.
 */

/** A callback that receives one value. */
export type Listener<T> = (value: T) => void;

/** Listener sets by key. */
export class Listeners<K, T> {
  readonly #sets = new Map<K, Set<Listener<T>>>();
  readonly #report: (error: unknown, key: K) => void;

  /** @param report receives what a listener threw, with the key it was called for */
  constructor(report: (error: unknown, key: K) => void) {
    this.#report = report;
  }

  /**
   * Adds `listener` under `key`; returns the function that removes it, which
   * calls `onEmpty` when it removed the key's last listener.
   */
  add(key: K, listener: Listener<T>, onEmpty?: () => void): () => void {
    let set = this.#sets.get(key);
    if (!set) {
      set = new Set();
      this.#sets.set(key, set);
    }
    set.add(listener);
    const own = set;
    return () => {
      if (!own.delete(listener) || own.size > 0) return;
      if (this.#sets.get(key) === own) this.#sets.delete(key);
      onEmpty?.();
    };
  }

  /** Whether any listener is registered under `key`. */
  has(key: K): boolean {
    return this.#sets.has(key);
  }

  /** How many keys have listeners. */
  get size(): number {
    return this.#sets.size;
  }

  /** Calls every listener of `key` with `value`. */
  emit(key: K, value: T): void {
    const set = this.#sets.get(key);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(value);
      } catch (error) {
        this.#report(error, key);
      }
    }
  }

  /** Removes every listener. */
  clear(): void {
    this.#sets.clear();
  }
}
