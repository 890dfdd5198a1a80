/**
 * assistant-ui's ThreadMessage to and from the AI SDK UI message shape that
 * sessionlog/ai-sdk maps to events, so both UIs share one mapping (and one
 * set of validation errors). Parts assistant-ui has and the store does not
 * (audio, generative UI) are validation errors, never dropped silently.
 */
import type { ThreadMessage } from '@assistant-ui/react';
import { toolStateOf } from '../ai-sdk/from-ui-message.js';
import type { UIMessageLike, UIPart } from '../ai-sdk/ui-types.js';
import { validationError } from '../errors.js';

type Part = { type: string; [field: string]: unknown };

function mediaTypeOfUrl(url: string): string {
  return /^data:([^;,]+)/.exec(url)?.[1] ?? 'image/*';
}

/** The UI parts of one assistant-ui message part. */
function uiPartsOf(part: Part, field: string): UIPart[] {
  switch (part.type) {
    case 'text':
    case 'reasoning':
      return [{ type: part.type, text: part.text }];
    case 'image':
      return [
        {
          type: 'file',
          mediaType: mediaTypeOfUrl(String(part.image)),
          url: part.image,
          ...(part.filename === undefined ? {} : { filename: part.filename }),
        },
      ];
    case 'file':
      return [
        {
          type: 'file',
          mediaType: part.mimeType,
          url: part.data,
          ...(part.filename === undefined ? {} : { filename: part.filename }),
        },
      ];
    case 'source':
      return [
        part.sourceType === 'url'
          ? {
              type: 'source-url',
              sourceId: part.id,
              url: part.url,
              ...(part.title === undefined ? {} : { title: part.title }),
            }
          : {
              type: 'source-document',
              sourceId: part.id,
              mediaType: part.mediaType,
              title: part.title,
              ...(part.filename === undefined ? {} : { filename: part.filename }),
            },
      ];
    case 'data':
      return [
        {
          type: `data-${String(part.name)}`,
          ...(part.id === undefined ? {} : { id: part.id }),
          data: part.data,
        },
      ];
    case 'tool-call': {
      // The fields the UI part has no place for (artifact, timing, interrupt…) ride along under `assistantUi`.
      const {
        type: _,
        toolCallId,
        toolName,
        args,
        argsText,
        result,
        isError,
        approval,
        ...rest
      } = part;
      const done = result !== undefined;
      const input = args ?? null;
      if (argsText !== undefined && argsText !== JSON.stringify(input ?? {}))
        rest.argsText = argsText;
      if (done && isError && typeof result !== 'string') rest.errorResult = result;
      return [
        {
          type: `tool-${String(toolName)}`,
          toolCallId,
          input,
          state: !done ? toolStateOf(approval) : isError ? 'output-error' : 'output-available',
          ...(done && !isError ? { output: result } : {}),
          ...(done && isError
            ? { errorText: typeof result === 'string' ? result : JSON.stringify(result) }
            : {}),
          ...(approval === undefined ? {} : { approval }),
          ...(Object.keys(rest).length > 0 ? { assistantUi: rest } : {}),
        },
      ];
    }
    default:
      throw validationError(`${field}.type`, `"${part.type}" is not a part type sessionlog stores`);
  }
}

/** A ThreadMessage as a UI message (its attachments' content parts included, after its own). */
export function uiMessageOfThreadMessage(message: ThreadMessage, field = 'message'): UIMessageLike {
  if (typeof message !== 'object' || message === null)
    throw validationError(field, 'must be a thread message');
  if (!Array.isArray(message.content))
    throw validationError(`${field}.content`, 'must be an array');
  const parts = (message.content as readonly Part[]).flatMap((p, i) =>
    uiPartsOf(p, `${field}.content[${i}]`),
  );
  const attachments =
    (message as { attachments?: readonly { content?: readonly Part[] }[] }).attachments ?? [];
  attachments.forEach((a, i) => {
    for (const [j, p] of (a.content ?? []).entries())
      parts.push(...uiPartsOf(p, `${field}.attachments[${i}].content[${j}]`));
  });
  const custom = (message.metadata as { custom?: unknown } | undefined)?.custom;
  return {
    id: message.id,
    role: message.role,
    ...(custom && typeof custom === 'object' && Object.keys(custom).length > 0
      ? { metadata: custom }
      : {}),
    parts,
  };
}

/** A UI message (from sessionlog/ai-sdk's toUIMessage) as a ThreadMessage. */
export function threadMessageOfUIMessage(message: UIMessageLike, createdAt: Date): ThreadMessage {
  const content: Part[] = [];
  for (const p of message.parts) {
    if (p.type === 'text' || p.type === 'reasoning') content.push({ type: p.type, text: p.text });
    else if (p.type === 'file')
      content.push({
        type: 'file',
        data: p.url,
        mimeType: p.mediaType,
        ...(p.filename === undefined ? {} : { filename: p.filename }),
      });
    else if (p.type === 'source-url')
      content.push({
        type: 'source',
        sourceType: 'url',
        id: p.sourceId,
        url: p.url,
        ...(p.title === undefined ? {} : { title: p.title }),
      });
    else if (p.type === 'source-document')
      content.push({
        type: 'source',
        sourceType: 'document',
        id: p.sourceId,
        title: p.title,
        mediaType: p.mediaType,
        ...(p.filename === undefined ? {} : { filename: p.filename }),
      });
    else if (p.type.startsWith('data-'))
      content.push({
        type: 'data',
        name: p.type.slice(5),
        data: p.data,
        ...(p.id === undefined ? {} : { id: p.id }),
      });
    else if (p.type.startsWith('tool-') || p.type === 'dynamic-tool') {
      const { argsText, errorResult, ...extra } = (p.assistantUi ?? {}) as Record<string, unknown>;
      const failed = p.state === 'output-error';
      const result = failed ? (errorResult ?? p.errorText) : p.output;
      content.push({
        type: 'tool-call',
        toolCallId: p.toolCallId,
        toolName: p.type === 'dynamic-tool' ? p.toolName : p.type.slice(5),
        args: p.input ?? {},
        argsText: argsText ?? JSON.stringify(p.input ?? {}),
        ...(result === undefined ? {} : { result }),
        ...(failed ? { isError: true } : {}),
        ...(p.approval === undefined ? {} : { approval: p.approval }),
        ...extra,
      });
    }
  }
  const custom = (message.metadata ?? {}) as Record<string, unknown>;
  if (message.role === 'user')
    return {
      id: message.id,
      role: 'user',
      content,
      createdAt,
      attachments: [],
      metadata: { custom },
    } as unknown as ThreadMessage;
  return {
    id: message.id,
    role: 'assistant',
    content,
    createdAt,
    status: { type: 'complete', reason: 'stop' },
    metadata: {
      unstable_state: null,
      unstable_annotations: [],
      unstable_data: [],
      steps: [],
      custom,
    },
  } as unknown as ThreadMessage;
}
