/**
 * One assistant reply's UI message chunks into the store, as they stream:
 * text and reasoning deltas through a draft (live in other tabs, checkpointed,
 * interrupted if the tab dies), each tool call and result appended as its own
 * event as soon as its chunk is complete, and the response committed on
 * `finish` (or aborted on `abort`/`error`). Text streamed before a tool call
 * is committed as its own response, so the order of text and tools is kept.
 */
import { validationError } from '../errors.js';
import type { MessagePart } from '../event.js';
import type { EventStore } from '../store.js';
import type { StreamHandle } from '../stream.js';
import { messagePartOf, type NodeKindInput } from './from-ui-message.js';
import type { UIChunk, UIPart } from './ui-types.js';
import { mergeMetadata, modelFromMetadata, type StoredUsage, usageFromMetadata } from './usage.js';

/** Who records the reply, and with which model name when the metadata names none. */
export interface ReplyOptions {
  agentId: string;
  model: string;
}

const NO_USAGE: StoredUsage = { input_tokens: 0, output_tokens: 0 };

/** Records the chunks of one reply (see the file comment). */
export class ReplyRecorder {
  readonly #store: EventStore;
  readonly #key: string;
  readonly #options: ReplyOptions;
  /** The end of the chain: the next event's parent. */
  #parent: string | null;
  #draft: StreamHandle | undefined;
  #pending: MessagePart[] = [];
  readonly #tools = new Map<string, string>();
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
        this.#pending.push(messagePartOf(chunk as UIPart, `chunk(${chunk.type})`)!);
        return;
      case 'tool-input-available':
      case 'tool-input-error': {
        await this.#flush(NO_USAGE);
        const name = String(chunk.toolName);
        const callId = String(chunk.toolCallId);
        this.#tools.set(callId, name);
        await this.#append({
          type: 'tool_called',
          tool_name: name,
          params: (chunk.input ?? null) as never,
          call_id: callId,
        });
        if (chunk.type === 'tool-input-error') await this.#result(callId, chunk.errorText, false);
        return;
      }
      case 'tool-output-available':
        if (chunk.preliminary === true) return; // only the final output is stored
        await this.#result(String(chunk.toolCallId), chunk.output ?? null, true);
        return;
      case 'tool-output-error':
        await this.#result(String(chunk.toolCallId), chunk.errorText, false);
        return;
      case 'tool-output-denied':
        await this.#result(String(chunk.toolCallId), 'denied', false);
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
        if (chunk.type.startsWith('data-') && chunk.transient !== true) this.#data(chunk);
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

  #data(chunk: UIChunk): void {
    const part = messagePartOf(chunk as UIPart, `chunk(${chunk.type})`);
    if (part?.type !== 'data') return;
    // A data chunk with the id of an earlier one replaces it, as the SDK reconciles them.
    const at =
      part.data_id === undefined
        ? -1
        : this.#pending.findIndex(
            (p) => p.type === 'data' && p.name === part.name && p.data_id === part.data_id,
          );
    if (at >= 0) this.#pending[at] = part;
    else this.#pending.push(part);
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
    if (!this.#draft && this.#pending.length === 0 && !(final && usage)) return;
    const draft = this.#stream();
    const parts: MessagePart[] = [
      ...(draft.reasoning ? [{ type: 'reasoning' as const, text: draft.reasoning }] : []),
      ...this.#pending,
    ];
    const model = modelFromMetadata(this.#metadata);
    const event = await draft.done({
      tokens,
      ...(parts.length > 0 ? { parts } : {}),
      ...(model === undefined ? {} : { model }),
    });
    this.#draft = undefined;
    this.#pending = [];
    this.#advance(event.id);
  }

  async #result(callId: string, value: unknown, success: boolean): Promise<void> {
    const name = this.#tools.get(callId) ?? (await this.#toolNameOf(callId));
    await this.#append({
      type: 'tool_result',
      tool_name: name,
      result: (success ? value : typeof value === 'string' ? value : String(value)) as never,
      success,
      call_id: callId,
    });
  }

  /** The tool of a call made before this reply (a client-side tool answered later). */
  async #toolNameOf(callId: string): Promise<string> {
    const projection = await this.#store.getProjection(this.#key);
    for (const node of projection.nodes)
      if (node.kind.type === 'tool_called' && node.kind.call_id === callId)
        return node.kind.tool_name;
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
