/**
 * Export and import as JSON Lines: a whole store (or some sessions) out as a
 * stream of lines, in this library's form or the Rust reference's, and back
 * in, validated line by line and committed in batches. It talks to the store
 * through {@link TransferHost} only.
 */
import { EventStoreError, validationError } from './errors.js';
import { type AnyEvent, isExtensionKind } from './event.js';
import { type LineSource, readLines } from './jsonl.js';
import { toReferenceEventJson } from './reference.js';
import type { EventRecord } from './schema.js';
import type { Db } from './store/connection.js';
import { type EventStore, transferHostOf } from './store.js';
import type { TreeReads } from './tree-log.js';

/** A position in a session's (timestamp, id) order. */
interface Position {
  timestamp: string;
  id: string;
}

/** What export and import need from a store (see `transferHostOf` in store.ts). */
export interface TransferHost {
  listSessions(): Promise<string[]>;
  /**
   * Up to `count` stored records of a session after `after`, in order, decoded
   * (corrupt ones skipped); `last` is the position of the last record read.
   */
  readEvents(
    sessionKey: string,
    after: Position | undefined,
    count: number,
  ): Promise<{ events: AnyEvent[]; last: Position | undefined }>;
  append(
    events: AnyEvent[],
  ): Promise<{ added: unknown[]; duplicates: unknown[]; skipped: unknown[] }>;
  /** Validates one parsed line (throws `validation`), with the store's clock bound. */
  parse(value: unknown): AnyEvent;
  /** The conversation tree read from the log (src/tree-log.ts): for the chat-UI subpaths. */
  reads: TreeReads;
  /** Runs `work` on the open database (reopened once if it was lost): for the sync subpath. */
  run<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /** The valid events of stored records, in order; corrupt ones are skipped and reported. */
  decode(records: readonly EventRecord[]): AnyEvent[];
}

/**
 * Export formats: this library's JSON, or the Rust reference's (ids as 32
 * numbers, no origin). The reference's format cannot hold the kinds this
 * library adds: a reference export leaves out `head_set` events (the branch a
 * UI showed; the tree itself survives in `parent_id`). Tree links (`parent_id`), `call_id` and
 * `parts` stay inside their kinds, where the reference's parser ignores them.
 */
export type ExportFormat = 'sessionlog' | 'reference';

/** Options of {@link exportEvents}. */
export interface ExportOptions {
  /** Sessions to export; all by default. */
  sessions?: string[];
  format?: ExportFormat;
}

/** Progress of an import, reported after each committed batch. */
export interface ImportProgress {
  /** Non-blank lines read so far. */
  lines: number;
  /** Bytes of the source read so far. */
  bytesRead: number;
  added: number;
  duplicates: number;
  skipped: number;
  invalid: number;
}

/** A line an import could not use. */
export interface InvalidLine {
  line: number;
  field: string | undefined;
  message: string;
}

/** Options of {@link importEvents}. */
export interface ImportOptions {
  onProgress?: (progress: ImportProgress) => void;
  /** Stops the import between batches; it rejects with `aborted` (committed batches stay). */
  signal?: AbortSignal;
  /**
   * `reject` (default): read and validate the whole source first and write
   * nothing if any line is bad. `skip`: stream, commit valid lines in batches
   * and report the bad ones in the result.
   */
  onInvalid?: 'reject' | 'skip';
  /** Events per transaction; default 500. */
  batchSize?: number;
}

/** What an import did. */
export interface ImportResult extends ImportProgress {
  invalidLines: InvalidLine[];
}

const EXPORT_PAGE = 500;

/**
 * The events of `store` as JSON Lines (one event and a newline per chunk),
 * sessions in byte order and events in (timestamp, id) order, read page by
 * page so a large store streams. `format: 'reference'` writes the Rust
 * reference's form. Corrupt records are skipped (and reported by the store).
 */
export function exportEvents(
  store: EventStore,
  options: ExportOptions = {},
): ReadableStream<string> {
  const host = transferHostOf(store);
  const toLine =
    options.format === 'reference' ? toReferenceEventJson : (e: AnyEvent) => JSON.stringify(e);
  let keys: string[] | undefined = options.sessions ? [...options.sessions] : undefined;
  let index = 0;
  let after: Position | undefined;
  return new ReadableStream<string>({
    pull: async (controller) => {
      keys ??= await host.listSessions();
      for (;;) {
        const key = keys[index];
        if (key === undefined) return controller.close();
        const { events, last } = await host.readEvents(key, after, EXPORT_PAGE);
        if (last === undefined) {
          index++;
          after = undefined;
          continue;
        }
        after = last;
        let written = 0;
        for (const event of events) {
          if (options.format === 'reference' && isExtensionKind(event.kind)) continue;
          controller.enqueue(`${toLine(event)}\n`);
          written++;
        }
        if (written > 0) return; // a page of only corrupt or left-out records reads on
      }
    },
  });
}

/**
 * Imports JSON Lines of events (this library's form or the reference's) into
 * `store`. Idempotent: stored events are counted as duplicates. Commits in
 * batches. See {@link ImportOptions.onInvalid} for what happens to bad lines;
 * a bad line is named by its line number.
 */
export async function importEvents(
  store: EventStore,
  source: LineSource,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const host = transferHostOf(store);
  const batchSize = options.batchSize ?? 500;
  // 0 would loop forever committing nothing; NaN or a negative size would import nothing.
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw validationError('batchSize', 'must be a positive integer');
  }
  if (options.onInvalid !== undefined && !['reject', 'skip'].includes(options.onInvalid)) {
    throw validationError('onInvalid', "must be 'reject' or 'skip'");
  }
  const skip = options.onInvalid === 'skip';
  const progress: ImportProgress = {
    lines: 0,
    bytesRead: 0,
    added: 0,
    duplicates: 0,
    skipped: 0,
    invalid: 0,
  };
  const invalidLines: InvalidLine[] = [];
  const checkAbort = () => {
    if (options.signal?.aborted) {
      throw new EventStoreError('aborted', 'import aborted', { cause: options.signal.reason });
    }
  };
  const commit = async (events: AnyEvent[]) => {
    checkAbort();
    const r = await host.append(events);
    progress.added += r.added.length;
    progress.duplicates += r.duplicates.length;
    progress.skipped += r.skipped.length;
    options.onProgress?.({ ...progress });
  };
  const batch: AnyEvent[] = [];
  const held: AnyEvent[] = []; // 'reject' mode: nothing is written before every line is valid
  try {
    for await (const { line, text, bytesRead } of readLines(source)) {
      checkAbort();
      progress.lines++;
      progress.bytesRead = bytesRead;
      let event: AnyEvent;
      try {
        event = host.parse(JSON.parse(text));
      } catch (error) {
        const e = error instanceof EventStoreError ? error : undefined;
        progress.invalid++;
        invalidLines.push({
          line,
          field: e?.field,
          message: e?.message ?? `not JSON: ${(error as Error).message}`,
        });
        continue;
      }
      if (!skip) held.push(event);
      else {
        batch.push(event);
        if (batch.length >= batchSize) await commit(batch.splice(0));
      }
    }
  } catch (error) {
    if (error instanceof EventStoreError) throw error;
    throw new EventStoreError(
      'serialization',
      `could not read the import source: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (!skip && invalidLines.length > 0) {
    const first = invalidLines[0]!;
    throw new EventStoreError(
      'validation',
      `line ${first.line}: ${first.message} (${invalidLines.length} invalid line(s); nothing was imported)`,
      { line: first.line, field: first.field },
    );
  }
  for (let i = 0; i < held.length; i += batchSize) await commit(held.slice(i, i + batchSize));
  if (batch.length > 0) await commit(batch);
  return { ...progress, invalidLines };
}
