/**
 * Events to AI SDK UI messages. A user message is one `message_received`; an
 * assistant message is the run of nodes between two user messages on the
 * active path (text and reasoning from `agent_response`s, each tool call
 * paired with its result by call id), so a reply that called tools reads back
 * as the one message the SDK streamed. A message's id is the id of its first
 * event: stable across tabs and reloads.
 */
import type { MessagePart, TokenUsage, ToolCalled } from '../event.js';
import type { Projection } from '../projection.js';
import { activePath, type TreeNode } from '../tree.js';
import { toolStateOf } from './from-ui-message.js';
import type { UIMessageLike, UIPart } from './ui-types.js';

/** One UI message's nodes on the active path, in order. */
export interface NodeGroup {
  role: 'user' | 'assistant';
  nodes: TreeNode[];
}

/** Splits a path into UI messages: each user message alone, the nodes between them together. */
export function groupNodes(path: readonly TreeNode[]): NodeGroup[] {
  const groups: NodeGroup[] = [];
  for (const node of path) {
    const role = node.kind.type === 'message_received' ? 'user' : 'assistant';
    const last = groups[groups.length - 1];
    if (role === 'assistant' && last?.role === 'assistant') last.nodes.push(node);
    else groups.push({ role, nodes: [node] });
  }
  return groups;
}

/** The AI SDK `LanguageModelUsage` fields a stored token usage gives back. */
export interface UsageMetadata {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  cachedInputTokens?: number;
}

/** The metadata {@link toUIMessages} gives an assistant message that has a response. */
export interface AssistantMetadata {
  model: string;
  totalUsage: UsageMetadata;
}

function usageOf(tokens: TokenUsage): UsageMetadata {
  const usage: UsageMetadata = {
    inputTokens: tokens.input_tokens,
    outputTokens: tokens.output_tokens,
    totalTokens: tokens.input_tokens + tokens.output_tokens,
  };
  if (tokens.cache_read_tokens != null) usage.cachedInputTokens = tokens.cache_read_tokens;
  return usage;
}

/** The UI part of a stored message part; `undefined` for a part type this version does not know. */
export function uiPartOf(part: MessagePart | { type: string }): UIPart | undefined {
  const p = part as MessagePart;
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text, state: 'done' };
    case 'reasoning':
      return { type: 'reasoning', text: p.text, state: 'done' };
    case 'file':
      return {
        type: 'file',
        mediaType: p.media_type,
        url: p.url,
        ...(p.filename === undefined ? {} : { filename: p.filename }),
      };
    case 'source':
      return p.url !== undefined
        ? {
            type: 'source-url',
            sourceId: p.source_id ?? '',
            url: p.url,
            ...(p.title === undefined ? {} : { title: p.title }),
          }
        : {
            type: 'source-document',
            sourceId: p.source_id ?? '',
            mediaType: p.media_type ?? '',
            title: p.title ?? '',
            ...(p.filename === undefined ? {} : { filename: p.filename }),
          };
    case 'data':
      return {
        type: `data-${p.name}`,
        ...(p.data_id === undefined ? {} : { id: p.data_id }),
        data: p.data,
      };
    default:
      return undefined; // a newer version's part: kept in the event, not shown
  }
}

/**
 * The parts of a text-carrying event: its stored parts, with its text where no
 * text part is. The SDK marks streamed (assistant) text `done`, and user text not at all.
 */
function contentParts(
  content: string,
  parts: readonly MessagePart[] | undefined,
  streamed: boolean,
): UIPart[] {
  const out: UIPart[] = [];
  for (const part of parts ?? []) {
    const ui = uiPartOf(part);
    if (!ui) continue;
    if (ui.type === 'text' && !streamed) delete ui.state;
    out.push(ui);
  }
  if (content !== '' && !out.some((p) => p.type === 'text')) {
    // Reasoning comes before the answer, as the model streamed it.
    const at = out.filter((p) => p.type === 'reasoning').length;
    out.splice(at, 0, { type: 'text', text: content, ...(streamed ? { state: 'done' } : {}) });
  }
  return out;
}

function errorText(result: unknown): string {
  return typeof result === 'string' ? result : JSON.stringify(result);
}

/** The tool a tool part calls. */
const toolNameOf = (part: UIPart) =>
  part.type === 'dynamic-tool' ? String(part.toolName) : part.type.slice('tool-'.length);

/** A part after those of the message; a data part with the id of an earlier one replaces it, as the SDK does. */
function addPart(parts: UIPart[], part: UIPart): void {
  const at =
    part.type.startsWith('data-') && part.id !== undefined
      ? parts.findIndex((p) => p.type === part.type && p.id === part.id)
      : -1;
  if (at >= 0) parts[at] = part;
  else parts.push(part);
}

/** The tool part a call starts: a `dynamic-tool` when its meta says so, its other meta fields as given. */
function toolPart(kind: ToolCalled, id: string): UIPart {
  const { dynamic, state, ...rest } = kind.meta ?? {};
  return {
    ...(dynamic === undefined
      ? { type: `tool-${kind.tool_name}` }
      : {
          type: 'dynamic-tool',
          toolName: kind.tool_name,
          ...(dynamic === false ? { dynamic: false } : {}),
        }),
    toolCallId: kind.call_id ?? id,
    state: typeof state === 'string' ? state : toolStateOf(rest.approval),
    input: kind.params,
    ...rest,
  };
}

/** The UI message of one group of nodes. */
export function toUIMessage(group: NodeGroup): UIMessageLike {
  const first = group.nodes[0]!;
  if (group.role === 'user') {
    const kind = first.kind as Extract<TreeNode['kind'], { type: 'message_received' }>;
    return { id: first.id, role: 'user', parts: contentParts(kind.content, kind.parts, false) };
  }
  const parts: UIPart[] = [];
  const calls = new Map<string, UIPart>();
  let metadata: AssistantMetadata | undefined;
  let stepOpen = false;
  const step = () => {
    if (!stepOpen) parts.push({ type: 'step-start' });
    stepOpen = true;
  };
  for (const node of group.nodes) {
    const kind = node.kind;
    switch (kind.type) {
      case 'agent_response':
        step();
        for (const part of contentParts(kind.content, kind.parts, true)) addPart(parts, part);
        metadata = { model: kind.model, totalUsage: usageOf(kind.tokens) };
        break;
      case 'message_sent':
        step();
        for (const part of contentParts(kind.content, kind.parts, true)) addPart(parts, part);
        break;
      case 'tool_called': {
        const known = kind.call_id === undefined ? undefined : calls.get(kind.call_id);
        if (known) {
          // A later event of the call: what changed since (its approval asked or answered).
          const { dynamic: _, state, ...rest } = kind.meta ?? {};
          Object.assign(known, rest);
          if (!String(known.state).startsWith('output-'))
            known.state = typeof state === 'string' ? state : toolStateOf(known.approval);
          break;
        }
        step();
        const part = toolPart(kind, node.id);
        calls.set(kind.call_id ?? `${kind.tool_name}\u0000${calls.size}`, part);
        parts.push(part);
        break;
      }
      case 'tool_result': {
        // Paired by call id; a result without one (the reference's events) takes the latest open call of its tool.
        let part = kind.call_id === undefined ? undefined : calls.get(kind.call_id);
        if (!part)
          part = [...calls.values()]
            .reverse()
            .find(
              (p) => toolNameOf(p) === kind.tool_name && !String(p.state).startsWith('output-'),
            );
        if (!part) {
          step();
          part = {
            type: `tool-${kind.tool_name}`,
            toolCallId: kind.call_id ?? node.id,
            input: undefined,
          };
          parts.push(part);
        }
        const { state: _, ...rest } = kind.meta ?? {};
        Object.assign(part, rest);
        part.state = toolStateOf(part.approval, kind);
        if (part.state === 'output-available') part.output = kind.result;
        else if (part.state === 'output-error') part.errorText = errorText(kind.result);
        stepOpen = false; // the model's next output is a new step, as the SDK streams it
        break;
      }
      default:
        break;
    }
  }
  return { id: first.id, role: 'assistant', ...(metadata ? { metadata } : {}), parts };
}

/**
 * The UI messages of a session's active path, for `useChat({ id, messages })`.
 * Pass your app's UIMessage type: `toUIMessages<MyUIMessage>(projection)`.
 */
export function toUIMessages<M extends UIMessageLike = UIMessageLike>(projection: Projection): M[] {
  return groupNodes(activePath(projection)).map((g) => toUIMessage(g) as M);
}
