/**
 * The one error type sessionlog throws or rejects with. Every failure carries a
 * stable `code` so callers can branch without parsing messages.
 */

/**
 * Stable error codes. The first three mirror the Rust reference
 * (`storage`, `serialization`, `not_found`); the rest are what a browser adds,
 * and sync: `conflict` (an id stored under other content), `unauthorized`
 * (the sync server found no tenant for the request).
 */
export type ErrorCode =
  | 'validation'
  | 'serialization'
  | 'not_found'
  | 'storage'
  | 'quota'
  | 'version_change'
  | 'blocked'
  | 'closed'
  | 'unavailable'
  | 'aborted'
  | 'conflict'
  | 'unauthorized';

/** Where a validation error points: a field path, and for batches or files, the position. */
export interface ErrorDetails {
  /** Dotted path of the offending field, e.g. `kind.attachments[2].size`. */
  field?: string;
  /** Index of the offending event inside a batch. */
  index?: number;
  /** 1-based line number inside an imported JSON Lines file. */
  line?: number;
  /** The underlying error (a DOMException from IndexedDB, a JSON SyntaxError, …). */
  cause?: unknown;
}

/** The error every sessionlog API throws or rejects with. */
export class EventStoreError extends Error {
  override readonly name = 'EventStoreError';
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** Field path for `validation` errors. */
  readonly field: string | undefined;
  /** Batch index for errors about one event of a batch. */
  readonly index: number | undefined;
  /** Line number for errors about one line of an import. */
  readonly line: number | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.field = details.field;
    this.index = details.index;
    this.line = details.line;
  }
}

/** Shorthand for a `validation` error about one field. */
export function validationError(field: string, message: string): EventStoreError {
  return new EventStoreError('validation', `${field}: ${message}`, { field });
}

/** Whether `value` is an {@link EventStoreError}, optionally with the given code. */
export function isEventStoreError(value: unknown, code?: ErrorCode): value is EventStoreError {
  return value instanceof EventStoreError && (code === undefined || value.code === code);
}
