/**
 * JSON Lines sources for import: whatever a page has at hand (a string, a
 * File or Blob, a fetch body, an async iterable) read as numbered lines,
 * without holding more than one chunk of a large file in memory.
 */

/** Anything `importEvents` reads from. */
export type LineSource =
  | string
  | Blob
  | ReadableStream<Uint8Array | string>
  | AsyncIterable<Uint8Array | string>
  | Iterable<string>;

/** One non-empty line with its 1-based number. */
export interface NumberedLine {
  line: number;
  text: string;
  /** Bytes consumed from the source so far (for progress). */
  bytesRead: number;
}

async function* chunksOf(source: LineSource): AsyncGenerator<Uint8Array | string> {
  if (typeof source === 'string') {
    yield source;
  } else if (typeof Blob !== 'undefined' && source instanceof Blob) {
    yield* chunksOf(source.stream());
  } else if (typeof ReadableStream !== 'undefined' && source instanceof ReadableStream) {
    const reader = source.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  } else if (Symbol.asyncIterator in (source as object)) {
    yield* source as AsyncIterable<Uint8Array | string>;
  } else {
    // An iterable of lines: keep each one a line even without a trailing newline.
    for (const line of source as Iterable<string>) yield `${line}\n`;
  }
}

/** Splits a source into numbered, non-blank lines (LF or CRLF). */
export async function* readLines(source: LineSource): AsyncGenerator<NumberedLine> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const encoder = new TextEncoder();
  let pending = '';
  let line = 0;
  let bytesRead = 0;
  const emit = function* (text: string): Generator<NumberedLine> {
    line++;
    const trimmed = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (trimmed.trim() !== '') yield { line, text: trimmed, bytesRead };
  };
  for await (const chunk of chunksOf(source)) {
    if (typeof chunk === 'string') {
      bytesRead += encoder.encode(chunk).length;
      pending += chunk;
    } else {
      bytesRead += chunk.byteLength;
      pending += decoder.decode(chunk, { stream: true });
    }
    let at = pending.indexOf('\n');
    while (at !== -1) {
      yield* emit(pending.slice(0, at));
      pending = pending.slice(at + 1);
      at = pending.indexOf('\n');
    }
  }
  pending += decoder.decode();
  if (pending !== '') yield* emit(pending);
}
