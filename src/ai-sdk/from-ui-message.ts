/**
 * AI SDK UI messages to event kinds: the reverse of to-ui-messages.ts. A user
 * message becomes one `message_received`; an assistant message becomes, in
 * part order, an `agent_response` for each run of text, reasoning, sources,
 * files and data, and a `tool_called` (plus a `tool_result` once it has an
 * output or error) for each tool part, paired by `call_id`. The token usage
 * in the message's metadata goes on its last response. Step boundaries are
 * not stored: they are derived again when read. Parent ids are the caller's.
 */
import { validationError } from '../errors.js';
import type { EventKindInput, MessagePart } from '../event.js';
import type { JsonValue } from '../json.js';
import type { UIMessageLike, UIPart } from './ui-types.js';
import { modelFromMetadata, type StoredUsage, usageFromMetadata } from './usage.js';

/** A kind that can hang in the tree (the ones a UI message maps to). */
export type NodeKindInput = Extract<
  EventKindInput,
  { type: 'message_received' | 'agent_response' | 'tool_called' | 'tool_result' }
>;

/** Options of {@link kindsOfUIMessage}. */
export interface KindsOptions {
  /** Model of the responses when the metadata names none; default `"unknown"`. */
  model?: string;
  /** The field path of the message in errors; default `"message"`. */
  field?: string;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function str(part: UIPart, key: string, field: string, optional = false): string | undefined {
  const value = part[key];
  if (value === undefined && optional) return undefined;
  if (typeof value !== 'string') throw validationError(`${field}.${key}`, 'must be a string');
  return value;
}

const withOptional = <T extends object>(target: T, extra: Record<string, unknown>): T => {
  for (const [k, v] of Object.entries(extra))
    if (v !== undefined) (target as never)[k] = v as never;
  return target;
};

/** The stored part of a content UI part; `undefined` for a part that is not content (tools, steps). */
export function messagePartOf(part: UIPart, field: string): MessagePart | undefined {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: str(part, 'text', field)! };
    case 'reasoning':
      return { type: 'reasoning', text: str(part, 'text', field)! };
    case 'file':
      return withOptional(
        {
          type: 'file' as const,
          media_type: str(part, 'mediaType', field)!,
          url: str(part, 'url', field)!,
        },
        { filename: str(part, 'filename', field, true) },
      );
    case 'source-url':
      return withOptional(
        {
          type: 'source' as const,
          source_id: str(part, 'sourceId', field)!,
          url: str(part, 'url', field)!,
        },
        { title: str(part, 'title', field, true) },
      );
    case 'source-document':
      return withOptional(
        {
          type: 'source' as const,
          source_id: str(part, 'sourceId', field)!,
          media_type: str(part, 'mediaType', field)!,
          title: str(part, 'title', field)!,
        },
        { filename: str(part, 'filename', field, true) },
      );
    default:
      if (part.type.startsWith('data-') && part.type.length > 5)
        return withOptional(
          { type: 'data' as const, name: part.type.slice(5), data: part.data as JsonValue },
          { data_id: str(part, 'id', field, true) },
        );
      return undefined;
  }
}

/** Whether a UI part is a tool call (`tool-<name>` or `dynamic-tool`). */
export function isToolPart(part: UIPart): boolean {
  return part.type === 'dynamic-tool' || part.type.startsWith('tool-');
}

/** The tool-part fields the tool events model; the part's other fields go in their `meta`. */
const MODELLED = new Set([
  'type',
  'toolName',
  'toolCallId',
  'state',
  'input',
  'output',
  'errorText',
  'dynamic',
]);
const TOOL_STATES = new Set([
  'input-streaming',
  'input-available',
  'approval-requested',
  'approval-responded',
  'output-available',
  'output-error',
  'output-denied',
]);

/**
 * The state a tool part has from its events (to-ui-messages.ts reads it so):
 * a result's `meta.state` or its success; else the approval in the call's
 * `meta`, asked or answered; else `input-available`.
 */
export function toolStateOf(
  approval: unknown,
  result?: { success: boolean; meta?: { state?: unknown } | undefined },
): string {
  if (result)
    return typeof result.meta?.state === 'string'
      ? result.meta.state
      : result.success
        ? 'output-available'
        : 'output-error';
  if (!isRecord(approval)) return 'input-available';
  return approval.approved === undefined ? 'approval-requested' : 'approval-responded';
}

/**
 * The tool events of a tool part: the call, and the result once there is one.
 * What the events do not model (the approval, `title`, provider metadata,
 * whether the part is a `dynamic-tool`, a state such as `input-streaming`) is
 * kept in the call's `meta`, so the part reads back as it was.
 */
export function toolKindsOf(part: UIPart, field: string): NodeKindInput[] {
  const dynamic = part.type === 'dynamic-tool';
  const toolName = dynamic ? str(part, 'toolName', field)! : part.type.slice('tool-'.length);
  if (toolName === '') throw validationError(`${field}.type`, 'names no tool');
  const callId = str(part, 'toolCallId', field)!;
  if (callId === '') throw validationError(`${field}.toolCallId`, 'must not be empty');
  const state = part.state;
  if (state !== undefined && !TOOL_STATES.has(state as string))
    throw validationError(
      `${field}.state`,
      `"${String(state)}" is not a tool state sessionlog stores`,
    );
  const meta: Record<string, JsonValue> = {};
  for (const [key, value] of Object.entries(part))
    if (!MODELLED.has(key) && value !== undefined) meta[key] = value as JsonValue;
  if (dynamic) meta.dynamic = part.dynamic !== false;
  const result = (value: JsonValue, success: boolean, denied = false): NodeKindInput => ({
    type: 'tool_result',
    tool_name: toolName,
    result: value,
    success,
    call_id: callId,
    ...(denied ? { meta: { state: 'output-denied' } } : {}),
  });
  const answer =
    state === 'output-available'
      ? result((part.output ?? null) as JsonValue, true)
      : state === 'output-error'
        ? result(str(part, 'errorText', field)!, false)
        : state === 'output-denied'
          ? result('denied', false, true)
          : undefined;
  // A state the events do not give (input-streaming) is kept as well.
  if (!answer && state !== undefined && state !== toolStateOf(meta.approval))
    meta.state = state as string;
  const call: NodeKindInput = {
    type: 'tool_called',
    tool_name: toolName,
    params: (part.input ?? null) as JsonValue,
    call_id: callId,
    ...(Object.keys(meta).length > 0 ? { meta } : {}),
  };
  return answer ? [call, answer] : [call];
}

/** The response kind of a run of content parts. */
export function responseKind(
  parts: readonly MessagePart[],
  model: string,
  tokens: StoredUsage,
): NodeKindInput {
  const content = parts.map((p) => (p.type === 'text' ? p.text : '')).join('');
  // One text part and nothing else is the reference's plain response: no parts field.
  const plain = parts.length === 1 && parts[0]!.type === 'text';
  return {
    type: 'agent_response',
    content,
    model,
    tokens,
    ...(plain || parts.length === 0 ? {} : { parts: [...parts] }),
  };
}

/**
 * The event kinds of one UI message, in order, without parent ids. Unknown
 * part types, a missing id and a system message are `validation` errors
 * naming the field: nothing is dropped silently.
 */
export function kindsOfUIMessage(
  message: UIMessageLike,
  options: KindsOptions = {},
): NodeKindInput[] {
  const field = options.field ?? 'message';
  if (!isRecord(message)) throw validationError(field, 'must be a UI message object');
  if (typeof message.id !== 'string' || message.id === '')
    throw validationError(`${field}.id`, 'must be a non-empty string');
  if (!Array.isArray(message.parts)) throw validationError(`${field}.parts`, 'must be an array');
  const content: MessagePart[] = [];
  const kinds: NodeKindInput[] = [];
  const model = modelFromMetadata(message.metadata) ?? options.model ?? 'unknown';
  const none: StoredUsage = { input_tokens: 0, output_tokens: 0 };
  // Results wait for the end of their step: the SDK streams a step's calls, then their results.
  const results: NodeKindInput[] = [];
  const callIds = new Set<unknown>();
  const endStep = () => {
    if (content.length > 0) kinds.push(responseKind(content.splice(0), model, none));
    kinds.push(...results.splice(0));
  };
  message.parts.forEach((part, i) => {
    const at = `${field}.parts[${i}]`;
    if (!isRecord(part) || typeof part.type !== 'string')
      throw validationError(`${at}.type`, 'must be a string');
    if (part.type === 'step-start') {
      endStep();
      return;
    }
    if (message.role === 'assistant' && isToolPart(part)) {
      if (content.length > 0) kinds.push(responseKind(content.splice(0), model, none));
      const [call, result] = toolKindsOf(part, at);
      // A later tool_called of a call id is read as an update of that call: ids must not repeat.
      if (callIds.has(part.toolCallId))
        throw validationError(`${at}.toolCallId`, 'repeats a tool call id of this message');
      callIds.add(part.toolCallId);
      kinds.push(call!);
      if (result) results.push(result);
      return;
    }
    const stored = messagePartOf(part, at);
    if (!stored)
      throw validationError(`${at}.type`, `"${part.type}" is not a part type sessionlog stores`);
    content.push(stored);
  });
  if (message.role === 'user') {
    const text = content.map((p) => (p.type === 'text' ? p.text : '')).join('');
    const plain = content.length === 1 && content[0]!.type === 'text';
    return [
      {
        type: 'message_received',
        content: text,
        ...(plain || content.length === 0 ? {} : { parts: content }),
      },
    ];
  }
  if (message.role !== 'assistant')
    throw validationError(
      `${field}.role`,
      `"${String(message.role)}" messages are not stored (set the system prompt where the model runs)`,
    );
  const usage = usageFromMetadata(message.metadata);
  endStep();
  // The usage belongs to the last response; with none, to an empty one.
  const last = [...kinds].reverse().find((k) => k.type === 'agent_response');
  if (last?.type === 'agent_response') last.tokens = usage;
  else if (usage.input_tokens + usage.output_tokens > 0) kinds.push(responseKind([], model, usage));
  return kinds;
}
