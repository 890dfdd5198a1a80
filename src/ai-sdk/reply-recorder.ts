/**
 * One assistant reply's UI message chunks into the store, as they stream:
 * text and reasoning deltas through a draft (live in other tabs, checkpointed,
 * interrupted if the tab dies); each tool call, approval request, tool result,
 * source, file and data part appended as its own event as soon as its chunk
 * is complete (a part as a response holding just that part); and the response
 * committed on `finish` (or aborted on `abort`/`error`). Text streamed before
 * any of those is committed as its own response first, so the order is kept.
 */
import { validationError } from '../errors.js';
import type { ToolCalled } from '../event.js';
import type { JsonValue } from '../json.js';
import type { EventStore } from '../store.js';
import type { StreamHandle } from '../stream.js';
import { ChatReads } from './chat-reads.js';
import { messagePartOf, type NodeKindInput, responseKind } from './from-ui-message.js';
import type { UIChunk, UIPart } from './ui-types.js';
import { mergeMetadata, modelFromMetadata, type StoredUsage, usageFromMetadata } from './usage.js';

/** Who records the reply, and with which model name when the metadata names none. */
export interface ReplyOptions {
  agentId: string;
  model: string;
}

const NO_USAGE: StoredUsage = { input_tokens: 0, output_tokens: 0 };

/** The defined fields of `fields` as a tool event's meta; `undefined` when there are none. */
function metaOf(fields: Record<string, unknown>): Record<string, JsonValue> | undefined {
  const meta = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  return Object.keys(meta).length > 0 ? (meta as Record<string, JsonValue>) : undefined;
}

/** Records the chunks of one reply (see the file comment). */
export class ReplyRecorder {
  readonly #store: EventStore;
  readonly #key: string;
  readonly #options: ReplyOptions;
  /** The end of the chain: the next event's parent. */
  #parent: string | null;
  #draft: StreamHandle | undefined;
  /** The calls of this reply by call id. */
  readonly #tools = new Map<string, ToolCalled>();
  #metadata: unknown;
  #first: string | undefined;
  #ended = false;

  constructor(store: EventStore, sessionKey: string, parent: string | null, options: ReplyOptions) {
    this.#store = store;
    this.#key = sessionKey;
    this.#parent = parent;
    this.#options = options;
  }

  /** The first and the last event recorded for the reply (undefined while none). */
  get range(): { first: string; last: string } | undefined {
    return this.#first && this.#parent ? { first: this.#first, last: this.#parent } : undefined;
  }

  /** Whether the reply was committed or aborted. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Applies one chunk; resolves once what it completes is stored. */
  async handle(chunk: UIChunk): Promise<void> {
    if (this.#ended) return;
    switch (chunk.type) {
      case 'start':
      case 'message-metadata':
        this.#metadata = mergeMetadata(this.#metadata, chunk.messageMetadata);
        return;
      case 'text-delta':
        this.#stream().push(String(chunk.delta ?? ''));
        return;
      case 'reasoning-delta':
        this.#stream().pushReasoning(String(chunk.delta ?? ''));
        return;
      case 'source-url':
      case 'source-document':
      case 'file':
        await this.#part(chunk);
        return;
      case 'tool-input-available':
      case 'tool-input-error': {
        await this.#flush(NO_USAGE);
        const call: ToolCalled = {
          type: 'tool_called',
          tool_name: String(chunk.toolName),
          params: (chunk.input ?? null) as JsonValue,
          call_id: String(chunk.toolCallId),
        };
        const meta = metaOf({
          ...(chunk.dynamic === true ? { dynamic: true } : {}),
          title: chunk.title,
          toolMetadata: chunk.toolMetadata,
          providerExecuted: chunk.providerExecuted,
          callProviderMetadata: chunk.providerMetadata,
        });
        if (meta) call.meta = meta;
        this.#tools.set(call.call_id!, call);
        await this.#append(call);
        if (chunk.type === 'tool-input-error')
          await this.#result(call.call_id!, chunk.errorText, false);
        return;
      }
      case 'tool-approval-request': {
        await this.#flush(NO_USAGE);
        const call = await this.#callOf(String(chunk.toolCallId));
        // The approval as the SDK puts it on the part (its chunk fields renamed).
        const approval = metaOf({
          id: chunk.approvalId,
          descriptor: chunk.approvalDescriptor,
          ...('inputSchemaInput' in chunk ? { inputSchemaInput: chunk.inputSchemaInput } : {}),
          signature: chunk.signature,
        });
        const { meta: _, ...kind } = call;
        await this.#append({ ...kind, meta: { approval: approval ?? {} } });
        return;
      }
      case 'tool-output-available':
        if (chunk.preliminary === true) return; // only the final output is stored
        await this.#result(String(chunk.toolCallId), chunk.output ?? null, true, {
          providerExecuted: chunk.providerExecuted,
          resultProviderMetadata: chunk.providerMetadata,
        });
        return;
      case 'tool-output-error':
        await this.#result(String(chunk.toolCallId), chunk.errorText, false, {
          providerExecuted: chunk.providerExecuted,
          resultProviderMetadata: chunk.providerMetadata,
        });
        return;
      case 'tool-output-denied':
        await this.#result(String(chunk.toolCallId), 'denied', false, { state: 'output-denied' });
        return;
      case 'finish':
        this.#metadata = mergeMetadata(this.#metadata, chunk.messageMetadata);
        await this.#flush(usageFromMetadata(this.#metadata), true);
        this.#ended = true;
        return;
      case 'abort':
      case 'error':
        await this.abort();
        return;
      default:
        if (chunk.type.startsWith('data-') && chunk.transient !== true) await this.#part(chunk);
    }
  }

  /** Drops the reply's draft (what was already appended, tool calls, stays). */
  async abort(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.#draft?.abort();
    this.#draft = undefined;
  }

  /** The stream ended without `finish`: what streamed is the reply. */
  async end(): Promise<void> {
    if (this.#ended) return;
    await this.#flush(usageFromMetadata(this.#metadata), true);
    this.#ended = true;
  }

  /** A source, file or data part: its own response, after the text streamed before it. */
  async #part(chunk: UIChunk): Promise<void> {
    const part = messagePartOf(chunk as UIPart, `chunk(${chunk.type})`);
    if (!part) return;
    await this.#flush(NO_USAGE);
    const model = modelFromMetadata(this.#metadata) ?? this.#options.model;
    await this.#append(responseKind([part], model, NO_USAGE));
  }

  #stream(): StreamHandle {
    this.#draft ??= this.#store.stream(this.#key, {
      agentId: this.#options.agentId,
      model: modelFromMetadata(this.#metadata) ?? this.#options.model,
      parentId: this.#parent,
    });
    return this.#draft;
  }

  /** Commits the response streamed so far, if any (or, at the end, one that only carries the usage). */
  async #flush(tokens: StoredUsage, final = false): Promise<void> {
    const usage = tokens.input_tokens + tokens.output_tokens > 0;
    if (!this.#draft && !(final && usage)) return;
    const draft = this.#stream();
    // The draft's reasoning goes in the response as a reasoning part (the store does it).
    const model = modelFromMetadata(this.#metadata);
    const event = await draft.done({ tokens, ...(model === undefined ? {} : { model }) });
    this.#draft = undefined;
    this.#advance(event.id);
  }

  async #result(
    callId: string,
    value: unknown,
    success: boolean,
    meta: Record<string, unknown> = {},
  ): Promise<void> {
    await this.#flush(NO_USAGE);
    const call = await this.#callOf(callId);
    const extra = metaOf(meta);
    await this.#append({
      type: 'tool_result',
      tool_name: call.tool_name,
      result: (success ? value : typeof value === 'string' ? value : String(value)) as JsonValue,
      success,
      call_id: callId,
      ...(extra ? { meta: extra } : {}),
    });
  }

  /** The call of a call id: of this reply, or an earlier one of the chat (a tool answered later). */
  async #callOf(callId: string): Promise<ToolCalled> {
    const mine = this.#tools.get(callId);
    if (mine) return mine;
    const reads = new ChatReads(this.#store, this.#key);
    // Back along the chain from the end: the call is in this message, or one before it.
    for (let at = this.#parent && (await reads.node(this.#parent)); at; at = await reads.parent(at))
      if (at.kind.type === 'tool_called' && at.kind.call_id === callId) {
        this.#tools.set(callId, at.kind);
        return at.kind;
      }
    throw validationError('toolCallId', `names no tool call of this chat: "${callId}"`);
  }

  async #append(kind: NodeKindInput): Promise<void> {
    const event = await this.#store.record(this.#key, this.#options.agentId, {
      ...kind,
      parent_id: this.#parent,
    } as NodeKindInput);
    this.#advance(event.id);
  }

  #advance(id: string): void {
    this.#first ??= id;
    this.#parent = id;
  }
}
