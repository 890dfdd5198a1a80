/**
 * JSON values: validation of untrusted input and the canonical serialization
 * (RFC 8785, JCS) that event ids are hashed over.
 */
import { validationError } from './errors.js';

/** Any value that survives a JSON round trip unchanged. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/** Deepest nesting accepted inside a JSON value, so hostile input cannot blow the stack. */
export const MAX_JSON_DEPTH = 64;

// A lone surrogate cannot be encoded as UTF-8: the id hash and other tabs would see different text.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Throws a `validation` error naming `field` unless `text` is well-formed UTF-16. */
export function checkWellFormed(text: string, field: string): void {
  if (LONE_SURROGATE.test(text))
    throw validationError(field, 'contains a lone surrogate (not valid Unicode)');
}

/** Whether `value` is an object and not an array or `null` (the JSON sense of object). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Compares strings by Unicode code point (serde_json's BTreeMap order), not by UTF-16 unit. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/**
 * Sets `target[key]` as an own data field, as a JSON parser would: a key
 * named "__proto__" stays a field instead of replacing the prototype.
 */
export function defineField(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Checks that `value` is plain JSON and returns a deep copy of it, so later
 * mutation by the caller cannot change a stored event. Rejects functions,
 * BigInt, symbols, `undefined`, NaN/±Infinity, cycles, class instances (Date,
 * Map, …), lone surrogates and nesting deeper than {@link MAX_JSON_DEPTH}.
 * Negative zero becomes 0, as JSON and the canonical form write it.
 */
export function toJsonValue(value: unknown, field: string): JsonValue {
  const ancestors = new Set<object>();
  const visit = (v: unknown, path: string, depth: number): JsonValue => {
    switch (typeof v) {
      case 'string':
        checkWellFormed(v, path);
        return v;
      case 'boolean':
        return v;
      case 'number':
        if (!Number.isFinite(v)) throw validationError(path, `${v} is not a JSON number`);
        // -0 would survive structured clone but hash (and JSON) as 0: one id, two contents.
        return v === 0 ? 0 : v;
      case 'object': {
        if (v === null) return null;
        if (depth >= MAX_JSON_DEPTH)
          throw validationError(path, `nested deeper than ${MAX_JSON_DEPTH} levels`);
        if (ancestors.has(v)) throw validationError(path, 'contains a cycle');
        ancestors.add(v);
        try {
          if (Array.isArray(v)) {
            const out: JsonValue[] = [];
            for (let i = 0; i < v.length; i++) out.push(visit(v[i], `${path}[${i}]`, depth + 1));
            return out;
          }
          if (!isPlainObject(v)) {
            throw validationError(
              path,
              `${v.constructor?.name ?? 'object'} is not a plain JSON object`,
            );
          }
          const out: { [key: string]: JsonValue } = {};
          for (const key of Object.keys(v)) {
            checkWellFormed(key, `${path}.${key}`);
            defineField(out, key, visit(v[key], `${path}.${key}`, depth + 1));
          }
          return out;
        } finally {
          ancestors.delete(v);
        }
      }
      default:
        throw validationError(path, `${typeof v} is not a JSON value`);
    }
  };
  return visit(value, field, 0);
}

/**
 * Canonical JSON (RFC 8785): object keys sorted by UTF-16 code units, no
 * whitespace, strings and numbers as `JSON.stringify` writes them. Equal values
 * always give equal text, which is what makes ids recomputable in any tab.
 * `undefined` object members are skipped, as in JSON.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(record).sort()) {
    if (record[key] !== undefined)
      parts.push(`${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  }
  return `{${parts.join(',')}}`;
}

/** Number of bytes `text` takes as UTF-8 (without allocating the encoding). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
