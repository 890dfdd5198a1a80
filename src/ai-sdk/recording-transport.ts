/**
 * A ChatTransport wrapper that keeps the chat in the store: on send it
 * records the messages the store does not have yet (the user's new message,
 * or an edited one as a sibling branch), then records the assistant's reply
 * from the chunk stream as it passes through (reply-recorder.ts). A
 * regenerate answers the same prompt again: a sibling reply, never a
 * truncation. `reconnectToStream` replays the stored draft (replay-stream.ts)
 * and otherwise asks the wrapped transport.
 */
import { validationError } from '../errors.js';
import { canonicalJson } from '../json.js';
import type { EventStore } from '../store.js';
import { appendUIMessage, type EventSpan } from './append-ui-message.js';
import { ChatReads, type StoredNode } from './chat-reads.js';
import { kindsOfUIMessage, type NodeKindInput } from './from-ui-message.js';
import { replayDraft } from './replay-stream.js';
import { ReplyRecorder } from './reply-recorder.js';
import { recordToolUpdates } from './tool-updates.js';
import type {
  ChatTransportLike,
  ReconnectOptions,
  SendMessagesOptions,
  UIChunk,
  UIMessageLike,
} from './ui-types.js';

/** Options of {@link recordingTransport}. */
export interface RecordingTransportOptions {
  /** agent_id of the recorded events; default `"assistant"`. */
  agentId?: string;
  /** Model recorded when the message metadata names none; default `"unknown"`. */
  model?: string;
  /** The session key of a chat id; default: the chat id itself. */
  sessionKeyOf?: (chatId: string) => string;
}

/** Whether a user message's kind has the text and parts of a stored node. */
function sameContent(kind: NodeKindInput, node: StoredNode | undefined): boolean {
  const content = (k: object) => {
    const { content, parts } = k as { content?: unknown; parts?: unknown };
    return canonicalJson({ content: content ?? null, parts: parts ?? null } as never);
  };
  return node !== undefined && content(kind) === content(node.kind);
}

/**
 * Wraps any AI SDK `ChatTransport` so that every message and reply of the chat
 * is kept in `store` (the chat id is the session key), offline, live in other
 * tabs, and safe when the tab dies mid-reply. Returns a transport of the same type.
 */
export function recordingTransport<T extends object>(
  store: EventStore,
  transport: T,
  options: RecordingTransportOptions = {},
): T {
  const agentId = options.agentId ?? 'assistant';
  const model = options.model ?? 'unknown';
  const keyOf = options.sessionKeyOf ?? ((id: string) => id);
  // UI ids this transport recorded under other ids (the SDK makes its own ids for new messages).
  const aliases = new Map<string, EventSpan>();

  /**
   * Records what the store lacks of `messages`; returns the parent of the
   * reply. Reads from the newest message back to the newest one the store
   * has (by id, through the log), so a long chat costs no more than a short one.
   */
  async function recordMessages(
    key: string,
    messages: readonly UIMessageLike[],
    trigger: SendMessagesOptions<UIMessageLike>['trigger'],
  ): Promise<string | null> {
    if (!Array.isArray(messages)) throw validationError('messages', 'must be an array');
    const reads = new ChatReads(store, key);
    const spanOf = async (message: UIMessageLike | undefined, i: number) => {
      const id = (message as { id?: unknown } | undefined)?.id;
      if (typeof id !== 'string' || id === '') return undefined; // a validation error when appended
      const span = aliases.get(id) ?? (await reads.span(id));
      const other = span ? undefined : await reads.sessionOf(id);
      if (other !== undefined && other !== key)
        throw validationError(`messages[${i}].id`, `is a message of another chat ("${other}")`);
      return span;
    };
    let at = messages.length - 1;
    let known: EventSpan | undefined;
    for (; at >= 0; at--) {
      known = await spanOf(messages[at], at);
      if (known) break;
    }
    // `at` is the newest message the store has (-1: none); those after it are new.
    let from = at + 1;
    let cursor: string | null = known?.last ?? null;
    let branched = trigger === 'regenerate-message';
    const newest = messages[at];
    if (known && newest && at === messages.length - 1) {
      const field = `messages[${at}]`;
      if (newest.role === 'user') {
        // Unchanged (a retry, a regenerate), or edited: useChat keeps an edited message's id.
        const kinds = kindsOfUIMessage(newest, { model, field });
        const node = await reads.node(known.first);
        if (kinds.length !== 1 || !sameContent(kinds[0]!, node)) {
          const parent = node && (await reads.parent(node));
          cursor = parent?.id ?? null;
          branched = true;
          from = at;
        }
      } else if (newest.role === 'assistant') {
        // Answers given since it was stored: approvals, client-side tool results.
        const span = await recordToolUpdates(store, key, newest, known, { agentId, field });
        aliases.set(newest.id, span);
        cursor = span.last;
      }
    }
    const drafts = from < messages.length ? await store.loadDrafts(key) : [];
    for (let j = from; j < messages.length; j++) {
      const message = messages[j]!;
      const span = await appendUIMessage(store, key, message, cursor, {
        agentId,
        model,
        field: `messages[${j}]`,
      });
      if (!span) continue;
      aliases.set(message.id, span);
      cursor = span.last;
      // A replayed draft the user went on from is now stored: the draft is done with.
      const draft = drafts.find((d) => d.id === message.id && d.status === 'interrupted');
      if (draft) await store.discardDraft(draft.id);
    }
    // A branch (an edit, a regenerate) is what the chat shows from now on, in every tab.
    if (branched && cursor)
      await store.record(key, agentId, { type: 'head_set', target_id: cursor });
    return cursor;
  }

  const inner = transport as unknown as ChatTransportLike;
  const wrapped: ChatTransportLike = {
    async sendMessages(request) {
      const key = keyOf(request.chatId);
      const parent = await recordMessages(key, request.messages, request.trigger);
      const stream = await inner.sendMessages(request);
      const recorder = new ReplyRecorder(store, key, parent, { agentId, model });
      const last = request.messages[request.messages.length - 1];
      let replyId =
        request.trigger === 'submit-message' && last?.role === 'assistant' ? last.id : undefined;
      request.abortSignal?.addEventListener('abort', () => void recorder.abort(), { once: true });
      const remember = () => {
        const range = recorder.range;
        if (replyId && range) aliases.set(replyId, range);
      };
      return stream.pipeThrough(
        new TransformStream<UIChunk, UIChunk>({
          async transform(chunk, controller) {
            let out = chunk;
            if (chunk.type === 'start') {
              // The reply's UI id must be known to map it to its events later: name it if the stream does not.
              if (typeof chunk.messageId === 'string') replyId ??= chunk.messageId;
              else {
                replyId ??= crypto.randomUUID();
                out = { ...chunk, messageId: replyId };
              }
            }
            await recorder.handle(out);
            remember();
            controller.enqueue(out);
          },
          async flush() {
            await recorder.end();
            remember();
          },
        }),
      );
    },
    async reconnectToStream(request: ReconnectOptions) {
      const replay = await replayDraft(store, keyOf(request.chatId), request.abortSignal);
      return replay ?? inner.reconnectToStream(request);
    },
  };
  return { ...transport, ...wrapped } as unknown as T;
}
