/**
 * assistant-ui's ThreadHistoryAdapter over one session: `load` gives every
 * branch (message tree with parent ids) and the head; `append` stores a
 * message under its parent (an edit or a reload is a sibling, never a
 * truncation); `update` adds what a message gained since it was stored (tool
 * results); `withFormat` serves the AI SDK format (`ai-sdk/v5`, `ai-sdk/v6`)
 * that `useChatRuntime` uses. Messages of another thread are refused.
 */
import type {
  ExportedMessageRepositoryItem,
  GenericThreadHistoryAdapter,
  MessageFormatAdapter,
  MessageFormatItem,
  ThreadHistoryAdapter,
} from '@assistant-ui/react';
import { appendUIMessage, type EventSpan } from '../ai-sdk/append-ui-message.js';
import { kindsOfUIMessage } from '../ai-sdk/from-ui-message.js';
import { messageTree } from '../ai-sdk/message-tree.js';
import { toUIMessage } from '../ai-sdk/to-ui-messages.js';
import { recordToolUpdates } from '../ai-sdk/tool-updates.js';
import type { UIMessageLike } from '../ai-sdk/ui-types.js';
import { isEventStoreError, validationError } from '../errors.js';
import type { Projection } from '../projection.js';
import type { EventStore } from '../store.js';
import { activePath } from '../tree.js';
import { threadMessageOfUIMessage, uiMessageOfThreadMessage } from './thread-message.js';

/** Which session a history adapter reads and writes. */
export interface ThreadRef {
  /** The session key, or `undefined` while the thread is new (nothing to load). */
  current(): string | undefined;
  /** The session key, creating the session for a new thread first. */
  initialize(): Promise<string>;
}

/** Options of {@link createThreadHistoryAdapter}. */
export interface ThreadHistoryOptions {
  /** agent_id of the recorded events; default `"assistant"`. */
  agentId?: string;
  /** Model recorded when a message's metadata names none; default `"unknown"`. */
  model?: string;
}

const tsDate = (timestamp: string) => new Date(timestamp);

/**
 * Message ids assistant-ui made (for messages it appended) to their events,
 * per store and session, shared by every adapter instance of the thread:
 * assistant-ui may append a reply through another instance than its prompt,
 * and before the prompt's write has finished (hence promises).
 */
const registry = new WeakMap<
  EventStore,
  Map<string, Map<string, Promise<EventSpan | undefined>>>
>();
function aliasesOf(store: EventStore, key: string): Map<string, Promise<EventSpan | undefined>> {
  const sessions = registry.get(store) ?? new Map();
  registry.set(store, sessions);
  const aliases = sessions.get(key) ?? new Map();
  sessions.set(key, aliases);
  return aliases;
}

/**
 * The stored id (its first event's) of a message id assistant-ui shows: the
 * id itself for a loaded message, the event it was written as for one this
 * tab appended (waiting for that write). For live-threads.ts.
 */
export async function storedIdOf(store: EventStore, key: string, id: string): Promise<string> {
  const span = await aliasesOf(store, key)
    .get(id)
    ?.catch(() => undefined);
  return span?.first ?? id;
}

/**
 * A ThreadHistoryAdapter for `thread` (a session key, or a {@link ThreadRef}
 * that follows assistant-ui's current thread) over `store`.
 */
export function createThreadHistoryAdapter(
  store: EventStore,
  thread: string | ThreadRef,
  options: ThreadHistoryOptions = {},
): ThreadHistoryAdapter {
  const ref: ThreadRef =
    typeof thread === 'string' ? { current: () => thread, initialize: async () => thread } : thread;
  const write = { agentId: options.agentId ?? 'assistant', model: options.model ?? 'unknown' };

  async function projectionOf(key: string): Promise<Projection | undefined> {
    try {
      return await store.getProjection(key);
    } catch (error) {
      if (isEventStoreError(error, 'not_found')) return undefined;
      throw error;
    }
  }

  /** The UI messages of the tree, with their parents and the head. */
  async function loadTree(key: string) {
    const projection = await projectionOf(key);
    if (!projection) return { headId: null, items: [] };
    const { groups, headId } = messageTree(projection);
    return {
      headId,
      items: groups.map((g) => ({
        parentId: g.parentId,
        message: toUIMessage(g),
        createdAt: tsDate(g.nodes[0]!.timestamp),
      })),
    };
  }

  /** The span of a message id this thread knows, or a validation error. */
  async function spanOf(key: string, id: string, field: string): Promise<EventSpan | undefined> {
    const alias = await aliasesOf(store, key).get(id);
    if (alias) return alias;
    const projection = await projectionOf(key);
    const group = projection && messageTree(projection).groups.find((g) => g.nodes[0]!.id === id);
    if (group) return { first: id, last: group.nodes[group.nodes.length - 1]!.id };
    if (projection?.nodes.some((n) => n.id === id)) return undefined;
    throw validationError(field, `message ${id} is not in thread ${key}`);
  }

  async function append(message: UIMessageLike, parentId: string | null): Promise<void> {
    const key = await ref.initialize();
    const aliases = aliasesOf(store, key);
    if (aliases.has(message.id)) return; // appended already
    const written = (async () => {
      const parent = parentId === null ? null : (await spanOf(key, parentId, 'parentId'))!.last;
      return appendUIMessage(store, key, message, parent, write);
    })();
    aliases.set(message.id, written);
    const span = await written.catch((error: unknown) => {
      aliases.delete(message.id); // nothing was written: a retry may write it
      throw error;
    });
    if (!span) return;
    // A message appended off the shown path (an edit, a reload) is what the thread shows now.
    const projection = await store.getProjection(key);
    const path = activePath(projection);
    if (path[path.length - 1]?.id !== span.last)
      await store.record(key, write.agentId, { type: 'head_set', target_id: span.last });
  }

  async function update(message: UIMessageLike, id: string): Promise<void> {
    const key = await ref.initialize();
    const span = await spanOf(key, id, 'message.id').catch(() => undefined);
    if (!span)
      throw validationError('message.id', `message ${id} was never appended to thread ${key}`);
    kindsOfUIMessage(message, { ...write, field: 'message' }); // validates
    // Events are immutable: what can change is a tool's approval answered or its result added.
    const updated = await recordToolUpdates(store, key, message, span, {
      agentId: write.agentId,
      field: 'message',
    });
    aliasesOf(store, key).set(id, Promise.resolve(updated));
  }

  return {
    async load() {
      const key = ref.current();
      if (!key) return { messages: [] };
      const { headId, items } = await loadTree(key);
      return {
        headId,
        messages: items.map((i) => ({
          parentId: i.parentId,
          message: threadMessageOfUIMessage(i.message, i.createdAt),
        })),
      };
    },
    async append(item: ExportedMessageRepositoryItem) {
      await append(uiMessageOfThreadMessage(item.message), item.parentId);
    },
    async update(item: ExportedMessageRepositoryItem) {
      await update(uiMessageOfThreadMessage(item.message), item.message.id);
    },
    withFormat<TMessage, TStorageFormat extends Record<string, unknown>>(
      format: MessageFormatAdapter<TMessage, TStorageFormat>,
    ): GenericThreadHistoryAdapter<TMessage> {
      if (!/^ai-sdk\//.test(format.format))
        throw validationError(
          'format',
          `"${format.format}" is not a format sessionlog maps (ai-sdk/*)`,
        );
      const asUI = (item: MessageFormatItem<TMessage>): UIMessageLike => ({
        ...(format.encode(item) as unknown as Omit<UIMessageLike, 'id'>),
        id: format.getId(item.message),
      });
      return {
        async load() {
          const key = ref.current();
          if (!key) return { messages: [] };
          const { headId, items } = await loadTree(key);
          return {
            headId,
            messages: items.map(({ parentId, message: { id, ...content } }) =>
              format.decode({
                id,
                parent_id: parentId,
                format: format.format,
                content: content as unknown as TStorageFormat,
              }),
            ),
          };
        },
        async append(item) {
          await append(asUI(item), item.parentId);
        },
        async update(item, localMessageId) {
          await update(asUI(item), localMessageId);
        },
      };
    },
  };
}
