/**
 * The hybrid logical clock (docs/design.md §3, issue 2): under any interleaving of
 * local next(), observed remote timestamps and wall-clock steps (backwards
 * too), next() strictly increases and sorts after everything seen before it;
 * timestamps beyond the skew bound are bounded, not trusted.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DEFAULT_MAX_CLOCK_SKEW_MS, HybridClock } from '../src/clock.js';
import { EventStoreError } from '../src/errors.js';
import { formatTimestamp, parseTimestamp, referenceTimestamp } from '../src/timestamp.js';

const MS = 1_000_000n;
const BASE = Date.UTC(2025, 0, 15, 12);

type Command =
  | { op: 'next' }
  | { op: 'wall'; deltaMs: number }
  | { op: 'observe'; offsetNs: bigint; referenceForm: boolean }
  | { op: 'observeBeyond'; extraNs: bigint }
  | { op: 'check'; offsetNs: bigint };

function commandArb(skewNs: bigint): fc.Arbitrary<Command> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constant({ op: 'next' as const }) },
    {
      weight: 2,
      arbitrary: fc.record({
        op: fc.constant('wall' as const),
        // Small steps both ways, fractional milliseconds, and the odd big jump back (NTP, sleep).
        deltaMs: fc.oneof(
          fc.integer({ min: -3000, max: 3000 }),
          fc.double({ min: -5, max: 5, noNaN: true }),
          fc.constantFrom(-86_400_000, -3_600_000, 3_600_000),
        ),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('observe' as const),
        // Anywhere from well in the past up to exactly the skew bound.
        offsetNs: fc.oneof(
          fc.bigInt({ min: -3n * skewNs, max: skewNs }),
          fc.bigInt({ min: skewNs - 5n, max: skewNs }),
          fc.bigInt({ min: -5n, max: 5n }),
        ),
        referenceForm: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('observeBeyond' as const),
        extraNs: fc.bigInt({ min: 1n, max: 100n * skewNs }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        op: fc.constant('check' as const),
        offsetNs: fc.bigInt({ min: -skewNs, max: 2n * skewNs }),
      }),
    },
  );
}

const max = (a: bigint, b: bigint) => (a > b ? a : b);

function expectValidation(run: () => unknown, field: string): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(EventStoreError);
  expect((caught as EventStoreError).code).toBe('validation');
  expect((caught as EventStoreError).field).toBe(field);
  expect((caught as EventStoreError).message).toContain(field);
}

/** Runs commands against a clock and a model of it; returns what next() produced. */
function run(commands: Command[], skewMs: number): bigint[] {
  const skewNs = BigInt(skewMs) * MS;
  let now = BASE;
  const clock = new HybridClock({ now: () => now, maxSkewMs: skewMs });
  const wallNs = () => BigInt(Math.floor(now)) * MS;
  // The model: the greatest timestamp made or observed (observations clamped to the bound).
  let seen = -1n;
  let maxObserved = -1n;
  let lastNext = -1n;
  const produced: bigint[] = [];
  for (const c of commands) {
    switch (c.op) {
      case 'next': {
        const text = clock.next();
        expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
        const t = parseTimestamp(text);
        expect(t).toBeGreaterThan(lastNext); // strictly increasing
        expect(t).toBeGreaterThan(maxObserved); // after everything observed before it
        expect(t).toBeGreaterThanOrEqual(wallNs()); // never behind the wall clock
        expect(t).toBe(max(wallNs(), seen + 1n)); // exactly the HLC rule of docs/design.md §3
        expect(clock.last).toBe(text);
        lastNext = t;
        seen = t;
        produced.push(t);
        break;
      }
      case 'wall':
        now += c.deltaMs;
        break;
      case 'observe': {
        const ts = wallNs() + c.offsetNs;
        const normalized = formatTimestamp(ts);
        clock.observe(c.referenceForm ? referenceTimestamp(normalized) : normalized);
        maxObserved = max(maxObserved, ts);
        seen = max(seen, ts);
        expect(clock.last).toBe(formatTimestamp(seen));
        break;
      }
      case 'observeBeyond': {
        const bound = wallNs() + skewNs;
        clock.observe(formatTimestamp(bound + c.extraNs));
        // Advances only to the bound: a clock far ahead cannot drag this one with it.
        seen = max(seen, bound);
        maxObserved = max(maxObserved, bound);
        expect(clock.last).toBe(formatTimestamp(seen));
        break;
      }
      case 'check': {
        const ts = wallNs() + c.offsetNs;
        const text = formatTimestamp(ts);
        if (c.offsetNs > skewNs) expectValidation(() => clock.check(text), 'timestamp');
        else expect(clock.check(text)).toBe(ts);
        // check() never moves the clock.
        expect(clock.last).toBe(seen < 0n ? null : formatTimestamp(seen));
        break;
      }
    }
  }
  return produced;
}

describe('HybridClock', () => {
  test('property: next() strictly increases and follows everything observed, whatever the wall clock does', () => {
    const skewMs = 1000;
    fc.assert(
      fc.property(fc.array(commandArb(BigInt(skewMs) * MS), { maxLength: 40 }), (commands) => {
        run(commands, skewMs);
      }),
      { numRuns: 1000 },
    );
  });

  test('property: the same with the default skew bound of one hour', () => {
    fc.assert(
      fc.property(
        fc.array(commandArb(BigInt(DEFAULT_MAX_CLOCK_SKEW_MS) * MS), { maxLength: 40 }),
        (commands) => {
          run(commands, DEFAULT_MAX_CLOCK_SKEW_MS);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('a reply sorts after the message it answers even when the wall clock stepped back', () => {
    let now = BASE;
    const clock = new HybridClock({ now: () => now });
    const message = clock.next();
    now -= 60_000; // NTP correction: one minute back
    const reply = clock.next();
    expect(reply > message).toBe(true);
    expect(parseTimestamp(reply) - parseTimestamp(message)).toBe(1n);
    now += 120_000;
    expect(clock.next()).toBe(formatTimestamp(BigInt(now) * MS));
  });

  test('the default bound is one hour: observe() clamps to it, check() rejects beyond it', () => {
    const now = BASE;
    const clock = new HybridClock({ now: () => now });
    const bound = BigInt(now + DEFAULT_MAX_CLOCK_SKEW_MS) * MS;
    expect(DEFAULT_MAX_CLOCK_SKEW_MS).toBe(3_600_000);
    expect(clock.check(formatTimestamp(bound))).toBe(bound);
    expectValidation(() => clock.check(formatTimestamp(bound + 1n)), 'timestamp');
    expectValidation(() => clock.check(formatTimestamp(bound + 1n), 'kind.when'), 'kind.when');
    expect(clock.last).toBeNull();
    clock.observe('9999-12-31T23:59:59.999999999Z');
    expect(clock.last).toBe(formatTimestamp(bound));
    expect(clock.next()).toBe(formatTimestamp(bound + 1n));
  });

  test('observe() of a past timestamp does not move the clock back', () => {
    const clock = new HybridClock({ now: () => BASE });
    const first = clock.next();
    clock.observe('2001-01-01T00:00:00Z');
    expect(clock.last).toBe(first);
  });

  test('bad timestamps given to observe() and check() are validation errors', () => {
    const clock = new HybridClock({ now: () => BASE });
    expectValidation(() => clock.observe('2025-02-30T00:00:00Z'), 'timestamp');
    expectValidation(() => clock.check('yesterday'), 'timestamp');
    expect(clock.last).toBeNull();
  });
});
