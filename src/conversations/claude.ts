/**
 * Reads one conversation of Claude's export (`conversations.json` from
 * claude.ai's "Export data"). Anthropic publishes no schema; this follows the
 * format as public parsers document it (see
 * test/fixtures/conversations/README.md): `uuid`, `name`, `created_at`, and
 * `chat_messages` of `{ uuid, sender, text, content, created_at, attachments }`.
 * Newer exports link messages with `parent_message_uuid` and name the shown
 * leaf `current_leaf_message_uuid`; without them the conversation is linear.
 * Fields it does not use are ignored.
 *
 * `human` → message_received (attachments as metadata); `assistant` → its
 * `content` blocks in order: text → agent_response, `tool_use` → tool_called,
 * `tool_result` → tool_result (paired by `call_id`), `thinking` → reasoning
 * parts of the reply that follows.
 */
import type { AttachmentMeta, EventKindInput, MessagePart } from '../event.js';
import { toJsonValue } from '../json.js';
import {
  array,
  type ConversationPlan,
  type Fields,
  idString,
  isoTime,
  object,
  optString,
  type PlannedNode,
} from './plan.js';

/** Claude's placeholder parent of a conversation's first message. */
const ROOT_PARENT = '00000000-0000-4000-8000-000000000000';

function attachmentsOf(m: Fields, path: string): AttachmentMeta[] {
  const list = [
    ...(m.attachments === undefined || m.attachments === null
      ? []
      : array(m.attachments, `${path}.attachments`)),
    ...(m.files === undefined || m.files === null ? [] : array(m.files, `${path}.files`)),
  ];
  return list.map((a, i) => {
    const item = object(a, `${path}.attachments[${i}]`);
    const size = item.file_size;
    return {
      kind: 'file',
      mime_type: optString(item.file_type, `${path}.attachments[${i}].file_type`) ?? null,
      size: typeof size === 'number' && Number.isInteger(size) && size >= 0 ? size : null,
    };
  });
}

/** One Claude conversation as a plan. Throws `validation` naming the field. */
export function readClaudeConversation(value: unknown): ConversationPlan {
  const c = object(value, 'conversation');
  const id = idString(c.uuid ?? c.id, 'uuid');
  const title = optString(c.name ?? c.title, 'name') ?? '';
  const created = isoTime(c.created_at, 'created_at');
  const messages = array(c.chat_messages ?? [], 'chat_messages');
  const nodes: PlannedNode[] = [];
  const seen = new Set<string>();
  messages.forEach((value, i) => {
    const path = `chat_messages[${i}]`;
    const m = object(value, path);
    const source = idString(m.uuid, `${path}.uuid`);
    const sender = idString(m.sender, `${path}.sender`).toLowerCase();
    const time = isoTime(m.created_at, `${path}.created_at`);
    const linked = optString(m.parent_message_uuid, `${path}.parent_message_uuid`);
    // A link to the placeholder root, or to a message not before this one, starts a root / follows on.
    let parent: string | null | undefined;
    if (linked === ROOT_PARENT) parent = null;
    else if (linked !== undefined && seen.has(linked)) parent = linked;
    seen.add(source);
    const text = optString(m.text, `${path}.text`) ?? '';
    const blocks =
      m.content === undefined || m.content === null ? [] : array(m.content, `${path}.content`);
    const emit = (kind: EventKindInput) => {
      // The first node of a message takes its link; the message's next nodes follow on.
      nodes.push({
        source,
        parent: nodes.length > 0 && nodes.at(-1)!.source === source ? source : parent,
        time,
        kind,
      });
    };
    if (sender === 'human' || sender === 'user') {
      const texts = blocks
        .map((b, j) => object(b, `${path}.content[${j}]`))
        .filter((b) => b.type === 'text')
        .map((b, j) => optString(b.text, `${path}.content[${j}].text`) ?? '');
      emit({
        type: 'message_received',
        content: texts.length > 0 ? texts.join('\n') : text,
        attachments: attachmentsOf(m, path),
      });
      return;
    }
    if (sender !== 'assistant') return; // system notes and future senders: not messages
    let reasoning: MessagePart[] = [];
    let buffer: string[] = [];
    let lastTool = 'tool';
    const flush = (force: boolean) => {
      if (buffer.length === 0 && !force && reasoning.length === 0) return;
      emit({
        type: 'agent_response',
        content: buffer.join('\n'),
        model: optString(m.model, `${path}.model`) ?? 'claude',
        tokens: { input_tokens: 0, output_tokens: 0 },
        ...(reasoning.length ? { parts: reasoning } : {}),
      });
      buffer = [];
      reasoning = [];
    };
    if (blocks.length === 0) {
      buffer.push(text);
      flush(true);
      return;
    }
    blocks.forEach((b, j) => {
      const bp = `${path}.content[${j}]`;
      const block = object(b, bp);
      const type = optString(block.type, `${bp}.type`);
      if (type === 'text') buffer.push(optString(block.text, `${bp}.text`) ?? '');
      else if (type === 'thinking') {
        const thought = optString(block.thinking, `${bp}.thinking`) ?? '';
        if (thought) reasoning.push({ type: 'reasoning', text: thought });
      } else if (type === 'tool_use') {
        flush(false);
        lastTool = idString(block.name, `${bp}.name`);
        emit({
          type: 'tool_called',
          tool_name: lastTool,
          params: toJsonValue(block.input ?? null, `${bp}.input`),
          call_id: optString(block.id, `${bp}.id`) ?? `${source}:${j}`,
        });
      } else if (type === 'tool_result') {
        flush(false);
        const callId = optString(block.tool_use_id, `${bp}.tool_use_id`);
        emit({
          type: 'tool_result',
          tool_name: optString(block.name, `${bp}.name`) ?? lastTool,
          result: toJsonValue(block.content ?? null, `${bp}.content`),
          success: block.is_error !== true,
          ...(callId ? { call_id: callId } : {}),
        });
      }
    });
    flush(nodes.at(-1)?.source !== source);
  });
  const leaf = optString(c.current_leaf_message_uuid, 'current_leaf_message_uuid');
  return { id, title, created, nodes, head: leaf };
}
