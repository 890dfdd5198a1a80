/**
 * What a stored assistant message gained in the UI since it was stored: a
 * tool approval the user answered, a client-side tool's result. Events are
 * immutable, so each is a new event chained after the message's last one;
 * what the store has already is not written again. Reads the message's own
 * nodes only (chat-reads.ts).
 */
import type { EventStore } from '../store.js';
import type { EventSpan } from './append-ui-message.js';
import { ChatReads } from './chat-reads.js';
import { isToolPart, type NodeKindInput, toolKindsOf } from './from-ui-message.js';
import type { UIMessageLike } from './ui-types.js';

/** Who writes the updates, and the message's field path in errors. */
export interface ToolUpdateOptions {
  agentId: string;
  field: string;
}

const answered = (approval: unknown): boolean =>
  typeof approval === 'object' &&
  approval !== null &&
  (approval as { approved?: unknown }).approved !== undefined;

/**
 * Records the approvals answered and tool results added in `message` (stored
 * as `span`) that the store lacks; returns the message's span after them.
 * A bad tool part is a `validation` error naming the field, before any write.
 */
export async function recordToolUpdates(
  store: EventStore,
  sessionKey: string,
  message: UIMessageLike,
  span: EventSpan,
  options: ToolUpdateOptions,
): Promise<EventSpan> {
  const updates = message.parts.flatMap((part, j) =>
    isToolPart(part) ? [toolKindsOf(part, `${options.field}.parts[${j}]`)] : [],
  );
  if (updates.length === 0) return span;
  const results = new Set<string>();
  const approvals = new Set<string>();
  for (const node of await new ChatReads(store, sessionKey).nodes(span)) {
    const kind = node.kind;
    if (kind.type === 'tool_result' && kind.call_id) results.add(kind.call_id);
    if (kind.type === 'tool_called' && kind.call_id && answered(kind.meta?.approval))
      approvals.add(kind.call_id);
  }
  let last = span.last;
  const record = async (kind: NodeKindInput) => {
    last = (await store.record(sessionKey, options.agentId, { ...kind, parent_id: last })).id;
  };
  for (const [call, result] of updates) {
    if (call?.type !== 'tool_called') continue;
    const callId = call.call_id ?? '';
    const approval = call.meta?.approval;
    if (approval !== undefined && answered(approval) && !approvals.has(callId))
      await record({ ...call, meta: { approval } });
    if (result && !results.has(callId)) await record(result);
  }
  return { first: span.first, last };
}
