/** Messages between the journal's main-thread client and its worker (src/journal/worker.ts). */
import type { InPlaceRewrite } from './sync-handle.js';

/** Where a segment file lives: OPFS directory path and file name. */
interface FileRef {
  dir: readonly string[];
  file: string;
}

/** A request to the journal worker; answered by a {@link WorkerReply} with the same id. */
export type WorkerRequest = { id: number } & FileRef &
  (
    | { op: 'open' }
    | { op: 'write'; at: number; bytes: ArrayBuffer; flush: boolean }
    | { op: 'truncate'; size: number }
    | { op: 'grow'; size: number }
    | ({ op: 'rewrite'; rename: string } & InPlaceRewrite)
    | { op: 'read'; from: number }
    | { op: 'replace'; bytes: ArrayBuffer; remove: readonly string[]; keepOpen: boolean }
    | { op: 'close' }
  );

/** The worker's answer: a value (file size, bytes read) or the error it met. */
export interface WorkerReply {
  id: number;
  value?: unknown;
  error?: { name: string; message: string };
}
