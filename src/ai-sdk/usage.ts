/**
 * Token usage from AI SDK message metadata. The SDK stores nothing itself;
 * its documented pattern is to put the usage of a reply into the message
 * metadata (`messageMetadata` on `finish`). Read here: `totalUsage` or `usage`
 * (`LanguageModelUsage`: inputTokens, outputTokens, and cached input as
 * `cachedInputTokens` (SDK 5) or `inputTokenDetails.cacheReadTokens` (SDK 6),
 * and `model`.
 */

/** Token usage in the store's fields. */
export interface StoredUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens?: number | null;
  cache_write_tokens?: number | null;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;

/** The token usage in a message's metadata; zeros when it has none. */
export function usageFromMetadata(metadata: unknown): StoredUsage {
  const m = isRecord(metadata) ? metadata : {};
  const u = isRecord(m.totalUsage) ? m.totalUsage : isRecord(m.usage) ? m.usage : {};
  const details = isRecord(u.inputTokenDetails) ? u.inputTokenDetails : {};
  const cacheRead = count(u.cachedInputTokens) ?? count(details.cacheReadTokens);
  const cacheWrite = count(details.cacheWriteTokens);
  return {
    input_tokens: count(u.inputTokens) ?? 0,
    output_tokens: count(u.outputTokens) ?? 0,
    ...(cacheRead === undefined ? {} : { cache_read_tokens: cacheRead }),
    ...(cacheWrite === undefined ? {} : { cache_write_tokens: cacheWrite }),
  };
}

/** The model named in a message's metadata, if any. */
export function modelFromMetadata(metadata: unknown): string | undefined {
  return isRecord(metadata) && typeof metadata.model === 'string' ? metadata.model : undefined;
}

/** Shallow merge of message metadata, as the SDK merges `start`, `message-metadata` and `finish`. */
export function mergeMetadata(base: unknown, next: unknown): unknown {
  if (next === undefined) return base;
  return isRecord(base) && isRecord(next) ? { ...base, ...next } : next;
}
