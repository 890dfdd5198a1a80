/**
 * RFC 3339 timestamps. In memory every timestamp has exactly 9 fraction digits
 * ("normalized"): then text order is time order, which RFC 3339 strings with
 * different fraction lengths do not give.
 */
import { validationError } from './errors.js';

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;
const NS_PER_SECOND = 1_000_000_000n;
const SECONDS_PER_DAY = 86_400n;

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  return m === 2
    ? isLeapYear(y)
      ? 29
      : 28
    : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's days_from_civil).
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

/**
 * Parses an RFC 3339 UTC timestamp (`Z` suffix, 0–9 fraction digits) into
 * nanoseconds since the Unix epoch. Throws a `validation` error naming `field`.
 */
export function parseTimestamp(text: unknown, field = 'timestamp'): bigint {
  if (typeof text !== 'string') throw validationError(field, 'must be an RFC 3339 string');
  const m = RFC3339.exec(text);
  if (!m)
    throw validationError(
      field,
      `"${text.slice(0, 40)}" is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SS[.fraction]Z)`,
    );
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (y < 1) throw validationError(field, 'year must be between 0001 and 9999');
  if (mo < 1 || mo > 12) throw validationError(field, `month ${mo} is out of range`);
  if (d < 1 || d > daysInMonth(y, mo))
    throw validationError(field, `day ${d} is out of range for ${y}-${mo}`);
  if (h > 23) throw validationError(field, `hour ${h} is out of range`);
  if (mi > 59) throw validationError(field, `minute ${mi} is out of range`);
  if (s > 59)
    throw validationError(field, `second ${s} is out of range (leap seconds are not accepted)`);
  const fraction = BigInt((m[7] ?? '').padEnd(9, '0'));
  const seconds =
    BigInt(daysFromCivil(y, mo, d)) * SECONDS_PER_DAY + BigInt(h * 3600 + mi * 60 + s);
  return seconds * NS_PER_SECOND + fraction;
}

/** Formats nanoseconds since the epoch as a normalized timestamp (always 9 fraction digits). */
export function formatTimestamp(ns: bigint): string {
  let seconds = ns / NS_PER_SECOND;
  let fraction = ns % NS_PER_SECOND;
  if (fraction < 0n) {
    fraction += NS_PER_SECOND;
    seconds -= 1n;
  }
  let days = seconds / SECONDS_PER_DAY;
  let rest = seconds % SECONDS_PER_DAY;
  if (rest < 0n) {
    rest += SECONDS_PER_DAY;
    days -= 1n;
  }
  const [y, mo, d] = civilFromDays(Number(days));
  const r = Number(rest);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const time = `${p2(Math.floor(r / 3600))}:${p2(Math.floor(r / 60) % 60)}:${p2(r % 60)}`;
  return `${String(y).padStart(4, '0')}-${p2(mo)}-${p2(d)}T${time}.${String(fraction).padStart(9, '0')}Z`;
}

/** Normalizes any accepted RFC 3339 timestamp to the 9-digit form. */
export function normalizeTimestamp(text: unknown, field = 'timestamp'): string {
  return formatTimestamp(parseTimestamp(text, field));
}

/**
 * The reference's form of a normalized timestamp: no fraction when it is zero,
 * else 3, 6 or 9 digits (chrono's `AutoSi`). Pass `separator: ' '` and
 * `suffix: ' UTC'` for its display form.
 */
export function referenceTimestamp(normalized: string, separator = 'T', suffix = 'Z'): string {
  const date = normalized.slice(0, 10);
  const time = normalized.slice(11, 19);
  const digits = normalized.slice(20, 29);
  let fraction = '';
  if (digits.endsWith('000000')) fraction = digits === '000000000' ? '' : `.${digits.slice(0, 3)}`;
  else if (digits.endsWith('000')) fraction = `.${digits.slice(0, 6)}`;
  else fraction = `.${digits}`;
  return `${date}${separator}${time}${fraction}${suffix}`;
}
