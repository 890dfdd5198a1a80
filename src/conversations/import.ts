/**
 * `importConversations`: a ChatGPT or Claude export into a store, one session
 * per conversation. Same bad-input rules as `importEvents`: `reject` (default)
 * checks every conversation first and writes nothing if one is bad; `skip`
 * imports the good ones and reports the bad. Each conversation is committed in
 * one transaction; ids are deterministic, so a second import adds nothing.
 */
import type { HybridClock } from '../clock.js';
import { EventStoreError } from '../errors.js';
import { sessionKey as buildSessionKey, type SessionEvent } from '../event.js';
import { readChatGptConversation } from './chatgpt.js';
import { readClaudeConversation } from './claude.js';
import { planEvents } from './events.js';
import type { ConversationPlan } from './plan.js';

/** The exports `importConversations` reads. */
export type ConversationFormat = 'chatgpt' | 'claude';

/** What the importer needs of a store (an `EventStore` has it). */
export interface ConversationTarget {
  readonly clock: HybridClock;
  append(
    events: SessionEvent[],
  ): Promise<{ added: unknown[]; duplicates: unknown[]; skipped: unknown[] }>;
}

/** Progress, reported after each conversation. */
export interface ConversationProgress {
  /** Conversations read so far (imported or not). */
  conversations: number;
  added: number;
  duplicates: number;
  skipped: number;
  /** Conversations that could not be read. */
  invalid: number;
}

/** A conversation the import could not read. */
export interface InvalidConversation {
  /** Its position in the export (0-based). */
  index: number;
  /** Its id in the export, when it has a readable one. */
  id: string | undefined;
  field: string | undefined;
  message: string;
}

/** What an import did. */
export interface ConversationImportResult extends ConversationProgress {
  /** Session keys written, in the export's order. */
  sessions: string[];
  invalidConversations: InvalidConversation[];
}

/** Options of {@link importConversations}. */
export interface ImportConversationsOptions {
  format: ConversationFormat;
  /** Agent id of the imported events; the format's name by default. */
  agentId?: string;
  /**
   * Session key of a conversation; by default
   * `agent:<agentId>:channel:<format>:account:export:thread:<conversation id>`.
   */
  sessionKey?: (conversation: { id: string; title: string }) => string;
  onProgress?: (progress: ConversationProgress) => void;
  /** Stops between conversations; rejects with `aborted` (committed ones stay). */
  signal?: AbortSignal;
  /** `reject` (default): nothing is written if any conversation is bad. `skip`: report it and go on. */
  onInvalid?: 'reject' | 'skip';
}

/** An export: its JSON text, a Blob/File of it, or the parsed value. */
export type ConversationSource = string | Blob | unknown[] | Record<string, unknown>;

const READERS: Record<ConversationFormat, (value: unknown) => ConversationPlan> = {
  chatgpt: readChatGptConversation,
  claude: readClaudeConversation,
};

async function parseSource(source: ConversationSource): Promise<unknown[]> {
  let value: unknown = source;
  if (typeof Blob !== 'undefined' && source instanceof Blob) value = await source.text();
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (cause) {
      throw new EventStoreError(
        'serialization',
        `the export is not JSON: ${(cause as Error).message}`,
        { cause },
      );
    }
  }
  // conversations.json is an array; some exports wrap it as { conversations: [...] }.
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const wrapped = (value as Record<string, unknown>).conversations;
    value = Array.isArray(wrapped) ? wrapped : [value];
  }
  if (!Array.isArray(value))
    throw new EventStoreError('validation', 'export: must be an array of conversations', {
      field: 'conversations',
    });
  return value;
}

/**
 * Imports a ChatGPT (`conversations.json`) or Claude export into `store`:
 * one session per conversation, with its tree (branches as siblings), its
 * head (`current_node` / `current_leaf_message_uuid`) and its times. A bad
 * conversation is a `validation` error naming it (`index`) and the field.
 */
export async function importConversations(
  store: ConversationTarget,
  source: ConversationSource,
  options: ImportConversationsOptions,
): Promise<ConversationImportResult> {
  const format = options?.format;
  if (format !== 'chatgpt' && format !== 'claude')
    throw new EventStoreError('validation', "format: must be 'chatgpt' or 'claude'", {
      field: 'format',
    });
  if (options.onInvalid !== undefined && !['reject', 'skip'].includes(options.onInvalid))
    throw new EventStoreError('validation', "onInvalid: must be 'reject' or 'skip'", {
      field: 'onInvalid',
    });
  const skip = options.onInvalid === 'skip';
  const agentId = options.agentId ?? format;
  const keyOf =
    options.sessionKey ??
    ((c: { id: string }) =>
      buildSessionKey({
        agent: agentId,
        channel: format,
        account: 'export',
        peerType: 'thread',
        peer: c.id,
      }));
  const list = await parseSource(source);
  const progress: ConversationProgress = {
    conversations: 0,
    added: 0,
    duplicates: 0,
    skipped: 0,
    invalid: 0,
  };
  const invalidConversations: InvalidConversation[] = [];
  const sessions: string[] = [];
  const ready: Array<{ key: string; events: SessionEvent[] }> = [];
  const checkAbort = () => {
    if (options.signal?.aborted)
      throw new EventStoreError('aborted', 'import aborted', { cause: options.signal.reason });
  };
  const commit = async (key: string, events: SessionEvent[]) => {
    checkAbort();
    const r = await store.append(events);
    progress.added += r.added.length;
    progress.duplicates += r.duplicates.length;
    progress.skipped += r.skipped.length;
    sessions.push(key);
  };
  for (const [index, value] of list.entries()) {
    checkAbort();
    progress.conversations++;
    let planned: { key: string; events: SessionEvent[] };
    try {
      const plan = READERS[format](value);
      const key = keyOf({ id: plan.id, title: plan.title });
      planned = { key, events: planEvents(plan, key, agentId, format, store.clock) };
    } catch (error) {
      if (!(error instanceof EventStoreError)) throw error;
      const raw = value as { id?: unknown; uuid?: unknown } | null;
      const id =
        typeof raw?.id === 'string' ? raw.id : typeof raw?.uuid === 'string' ? raw.uuid : undefined;
      const problem = { index, id, field: error.field, message: error.message };
      if (!skip) {
        throw new EventStoreError(
          'validation',
          `conversation ${index}${id ? ` (${id})` : ''}: ${error.message}; nothing was imported`,
          { index, ...(error.field ? { field: error.field } : {}) },
        );
      }
      progress.invalid++;
      invalidConversations.push(problem);
      options.onProgress?.({ ...progress });
      continue;
    }
    if (skip) {
      await commit(planned.key, planned.events);
      options.onProgress?.({ ...progress });
    } else ready.push(planned);
  }
  for (const { key, events } of ready) {
    await commit(key, events);
    options.onProgress?.({ ...progress });
  }
  return { ...progress, sessions, invalidConversations };
}
