/**
 * The AI SDK shapes this integration reads and writes, declared structurally
 * so that one build works with `ai` 5, 6 and 7: UIMessage, its parts, the UI
 * message stream chunks and ChatTransport have kept these fields across those
 * versions. Pass your own `UIMessage` type as the type parameter where a
 * function returns messages.
 */

/** A part of a UI message: `type` plus that type's fields. */
export interface UIPart {
  type: string;
  [field: string]: unknown;
}

/** An AI SDK UIMessage, structurally. */
export interface UIMessageLike {
  id: string;
  role: 'system' | 'user' | 'assistant';
  metadata?: unknown;
  parts: UIPart[];
}

/** A chunk of the UI message stream (`text-delta`, `tool-input-available`, `finish`…), structurally. */
export interface UIChunk {
  type: string;
  [field: string]: unknown;
}

/** The options `useChat` passes to `ChatTransport.sendMessages`. */
export interface SendMessagesOptions<M extends UIMessageLike> {
  trigger: 'submit-message' | 'regenerate-message';
  chatId: string;
  messageId: string | undefined;
  messages: M[];
  abortSignal: AbortSignal | undefined;
  headers?: Record<string, string> | Headers;
  body?: object;
  metadata?: unknown;
}

/** The options `useChat` passes to `ChatTransport.reconnectToStream`. */
export interface ReconnectOptions {
  chatId: string;
  abortSignal?: AbortSignal;
  headers?: Record<string, string> | Headers;
  body?: object;
  metadata?: unknown;
}

/**
 * An AI SDK ChatTransport, structurally. Its methods are declared as
 * properties (checked bivariantly) so that any SDK version's transport fits.
 */
export interface ChatTransportLike<M extends UIMessageLike = UIMessageLike> {
  sendMessages: (options: SendMessagesOptions<M>) => Promise<ReadableStream<UIChunk>>;
  reconnectToStream: (options: ReconnectOptions) => Promise<ReadableStream<UIChunk> | null>;
}
