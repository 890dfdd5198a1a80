/**
 * The hybrid logical clock (docs/design.md §3) that stamps new events. A timestamp is
 * max(wall clock, last timestamp seen + 1 ns), so a reply always sorts after
 * what it answers even when the wall clock steps back, and the reference (which
 * sorts by timestamp alone) reads the same order.
 */
import { validationError } from './errors.js';
import { formatTimestamp, parseTimestamp } from './timestamp.js';

/**
 * How far ahead of this device's wall clock a timestamp may be, by default
 * one hour. A device whose clock is wrong by more must not drag every tab's
 * clock into the future with it, so such events are refused, not trusted.
 */
export const DEFAULT_MAX_CLOCK_SKEW_MS = 60 * 60 * 1000;

/** Options of {@link HybridClock}. */
export interface ClockOptions {
  /** Wall clock in milliseconds since the epoch; `Date.now` by default (tests inject their own). */
  now?: () => number;
  /** Largest accepted lead of a timestamp over the wall clock, in ms. */
  maxSkewMs?: number;
}

/** A hybrid logical clock producing strictly increasing normalized timestamps. */
export class HybridClock {
  readonly #now: () => number;
  readonly #maxSkewNs: bigint;
  #last = -1n;

  constructor(options: ClockOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#maxSkewNs =
      BigInt(Math.round(options.maxSkewMs ?? DEFAULT_MAX_CLOCK_SKEW_MS)) * 1_000_000n;
  }

  #wallNs(): bigint {
    return BigInt(Math.floor(this.#now())) * 1_000_000n;
  }

  /** The next timestamp: later than every timestamp this clock made or observed. */
  next(): string {
    const wall = this.#wallNs();
    this.#last = wall > this.#last ? wall : this.#last + 1n;
    return formatTimestamp(this.#last);
  }

  /**
   * Throws a `validation` error naming `field` if `timestamp` is further ahead
   * of the wall clock than the skew bound allows; returns its nanoseconds.
   */
  check(timestamp: string, field = 'timestamp'): bigint {
    const ns = parseTimestamp(timestamp, field);
    const limit = this.#wallNs() + this.#maxSkewNs;
    if (ns > limit) {
      throw validationError(
        field,
        `${timestamp} is more than ${this.#maxSkewNs / 1_000_000n} ms ahead of this device's clock`,
      );
    }
    return ns;
  }

  /**
   * Advances the clock past a timestamp received from elsewhere (another tab,
   * an import). Timestamps beyond the skew bound advance it only to the bound.
   */
  observe(timestamp: string): void {
    const ns = parseTimestamp(timestamp);
    const limit = this.#wallNs() + this.#maxSkewNs;
    // biome-ignore lint/complexity/useMathMinMax: Math.min does not take bigint.
    const seen = ns > limit ? limit : ns;
    if (seen > this.#last) this.#last = seen;
  }

  /** The latest timestamp made or observed, or `null` before the first. */
  get last(): string | null {
    return this.#last < 0n ? null : formatTimestamp(this.#last);
  }
}

/** The clock `createEvent` uses when none is passed; each store owns its own. */
export const defaultClock = new HybridClock();
