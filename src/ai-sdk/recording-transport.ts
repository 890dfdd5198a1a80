/**
 * A ChatTransport wrapper that keeps the chat in the store: on send it
 * records the messages the store does not have yet (the user's new message,
 * or an edited one as a sibling branch), then records the assistant's reply
 * from the chunk stream as it passes through (reply-recorder.ts). A
 * regenerate answers the same prompt again: a sibling reply, never a
 * truncation. `reconnectToStream` replays the stored draft (replay-stream.ts)
 * and otherwise asks the wrapped transport.
 */
import { isEventStoreError } from '../errors.js';
import { canonicalJson } from '../json.js';
import type { Projection } from '../projection.js';
import type { EventStore } from '../store.js';
import { activePath, type TreeNode } from '../tree.js';
import { appendUIMessage, type EventSpan } from './append-ui-message.js';
import {
  isToolPart,
  kindsOfUIMessage,
  type NodeKindInput,
  toolKindsOf,
} from './from-ui-message.js';
import { replayDraft } from './replay-stream.js';
import { ReplyRecorder } from './reply-recorder.js';
import { groupNodes } from './to-ui-messages.js';
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

/** What the store holds of a chat: its nodes, and the span of each UI message on the active path. */
async function readChat(store: EventStore, key: string) {
  const spans = new Map<string, EventSpan>();
  const nodes = new Map<string, TreeNode>();
  let projection: Projection;
  try {
    projection = await store.getProjection(key);
  } catch (error) {
    if (isEventStoreError(error, 'not_found')) return { spans, nodes };
    throw error;
  }
  for (const node of projection.nodes) nodes.set(node.id, node);
  for (const group of groupNodes(activePath(projection))) {
    const first = group.nodes[0]!.id;
    spans.set(first, { first, last: group.nodes[group.nodes.length - 1]!.id });
  }
  return { spans, nodes };
}

/** Whether a user message's kind has the text and parts of a stored node. */
function sameContent(kind: NodeKindInput, node: TreeNode | undefined): boolean {
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

  /** Records what the store lacks of `messages`; returns the parent of the reply. */
  async function recordMessages(
    key: string,
    messages: readonly UIMessageLike[],
    trigger: SendMessagesOptions<UIMessageLike>['trigger'],
  ): Promise<string | null> {
    const { spans, nodes } = await readChat(store, key);
    const drafts = await store.loadDrafts(key);
    let cursor: string | null = null;
    let branched = trigger === 'regenerate-message';
    for (const [i, message] of messages.entries()) {
      const field = `messages[${i}]`;
      const known = aliases.get(message.id) ?? spans.get(message.id);
      const isLast = i === messages.length - 1;
      if (known && isLast && message.role === 'user') {
        // The last user message: unchanged (a retry), or edited (useChat keeps an edited message's id).
        const kinds = kindsOfUIMessage(message, { model, field });
        if (kinds.length === 1 && sameContent(kinds[0]!, nodes.get(known.first))) {
          cursor = known.last;
          continue;
        }
        branched = true;
      } else if (known) {
        cursor = known.last;
        if (isLast && message.role === 'assistant')
          cursor = await recordToolOutputs(key, message, cursor, field);
        continue;
      }
      const span = await appendUIMessage(store, key, message, cursor, { agentId, model, field });
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

  /** Results of client-side tools, added to the last assistant message after it was stored. */
  async function recordToolOutputs(
    key: string,
    message: UIMessageLike,
    cursor: string,
    field: string,
  ): Promise<string> {
    const projection = await store.getProjection(key);
    const answered = new Set(
      projection.nodes.flatMap((n) =>
        n.kind.type === 'tool_result' && n.kind.call_id ? [n.kind.call_id] : [],
      ),
    );
    let last = cursor;
    for (const [j, part] of message.parts.entries()) {
      if (!isToolPart(part)) continue;
      const result = toolKindsOf(part, `${field}.parts[${j}]`)[1];
      if (result?.type !== 'tool_result' || answered.has(result.call_id ?? '')) continue;
      last = (await store.record(key, agentId, { ...result, parent_id: last })).id;
    }
    return last;
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
