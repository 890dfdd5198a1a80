/**
 * `sessionlog/transfer`: export and import of JSON Lines, in this library's
 * form or the Rust reference's. Kept out of the main entry: a chat UI's main
 * path does not need it. This file only re-exports.
 */
export type { LineSource } from '../jsonl.js';
export {
  type ExportFormat,
  type ExportOptions,
  exportEvents,
  type ImportOptions,
  type ImportProgress,
  type ImportResult,
  type InvalidLine,
  importEvents,
} from '../transfer.js';
