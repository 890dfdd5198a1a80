/**
 * Reads one conversation of ChatGPT's `conversations.json`. OpenAI publishes
 * no schema; this follows the format as public parsers document it (see
 * test/fixtures/conversations/README.md): `mapping` is a tree of nodes
 * `{ id, message, parent, children }`, `current_node` is the node shown last,
 * `create_time` is Unix seconds. Fields it does not use are ignored.
 *
 * Roles become kinds: `user` → message_received; `assistant` → agent_response
 * (model from `metadata.model_slug`), or tool_called when its `recipient` is
 * a tool; `tool` → tool_result paired by `call_id` with the call above it.
 * System messages (the placeholder root, custom instructions) and nodes
 * without a message are skipped: their children hang from the nearest node
 * kept. `thoughts` / `reasoning_recap` become reasoning parts of the next reply.
 */

import type { MessagePart } from '../event.js';
import type { JsonValue } from '../json.js';
import {
  array,
  type ConversationPlan,
  type Fields,
  idString,
  object,
  optString,
  type PlannedNode,
  secondsTime,
} from './plan.js';

interface Node {
  id: string;
  message: Fields | null;
  parent: string | null;
  children: string[];
}

function readNode(key: string, value: unknown): Node {
  const path = `mapping.${key}`;
  const n = object(value, path);
  const parent = optString(n.parent, `${path}.parent`) ?? null;
  const children = (n.children === undefined ? [] : array(n.children, `${path}.children`)).map(
    (c, i) => idString(c, `${path}.children[${i}]`),
  );
  const message =
    n.message === undefined || n.message === null ? null : object(n.message, `${path}.message`);
  return { id: key, message, parent, children };
}

/** The text of a message's `content`, and the parts that are not text. */
function contentOf(content: Fields, path: string): { text: string; parts: MessagePart[] } {
  const parts: MessagePart[] = [];
  const texts: string[] = [];
  const type = optString(content.content_type, `${path}.content_type`) ?? 'text';
  if (type === 'thoughts') {
    const thoughts =
      content.thoughts === undefined ? [] : array(content.thoughts, `${path}.thoughts`);
    thoughts.forEach((t, i) => {
      const thought = object(t, `${path}.thoughts[${i}]`);
      const text = optString(thought.content, `${path}.thoughts[${i}].content`) ?? '';
      if (text) parts.push({ type: 'reasoning', text });
    });
    return { text: '', parts };
  }
  if (type === 'reasoning_recap') {
    const text = optString(content.content, `${path}.content`) ?? '';
    return { text: '', parts: text ? [{ type: 'reasoning', text }] : [] };
  }
  if (content.parts !== undefined) {
    array(content.parts, `${path}.parts`).forEach((p, i) => {
      if (typeof p === 'string') texts.push(p);
      else if (typeof p === 'object' && p !== null) {
        const part = p as Fields;
        const pointer = optString(part.asset_pointer, `${path}.parts[${i}].asset_pointer`);
        if (pointer) {
          const mime = optString(part.mime_type, `${path}.parts[${i}].mime_type`);
          parts.push({
            type: 'file',
            media_type:
              mime ??
              (String(part.content_type).includes('image')
                ? 'image/*'
                : 'application/octet-stream'),
            url: pointer,
          });
        } else if (typeof part.text === 'string') texts.push(part.text);
      }
    });
  } else if (content.text !== undefined) {
    texts.push(optString(content.text, `${path}.text`) ?? '');
  }
  return { text: texts.join('\n'), parts };
}

/** One ChatGPT conversation as a plan. Throws `validation` naming the field. */
export function readChatGptConversation(value: unknown): ConversationPlan {
  const c = object(value, 'conversation');
  const id = idString(c.id ?? c.conversation_id, 'id');
  const title = optString(c.title, 'title') ?? '';
  const created = secondsTime(c.create_time, 'create_time');
  const mapping = object(c.mapping ?? {}, 'mapping');
  const nodes = new Map<string, Node>();
  for (const [key, node] of Object.entries(mapping)) nodes.set(key, readNode(key, node));
  const head = optString(c.current_node, 'current_node');
  // Children: those listed, then nodes that name a parent without being listed by it.
  const kids = new Map<string, string[]>();
  for (const n of nodes.values()) kids.set(n.id, [...n.children]);
  for (const n of nodes.values()) {
    const listed = n.parent === null ? undefined : kids.get(n.parent);
    if (listed && !listed.includes(n.id)) listed.push(n.id);
  }

  const planned: PlannedNode[] = [];
  // Export id of the node each kept node hangs from (skipped nodes pass their parent on).
  const visited = new Set<string>();
  const roots = [...nodes.values()].filter((n) => n.parent === null || !nodes.has(n.parent));
  // Depth first, children in the export's order; a stack, so a deep chat cannot overflow.
  const stack: Array<{
    id: string;
    parent: string | null;
    reasoning: MessagePart[];
    call: string | undefined;
  }> = roots.reverse().map((n) => ({ id: n.id, parent: null, reasoning: [], call: undefined }));
  const keptAs = new Map<string, string>(); // skipped node → the kept node standing for it
  while (stack.length > 0) {
    const { id: key, parent, reasoning, call } = stack.pop()!;
    if (visited.has(key)) continue; // a cycle or a node listed twice
    visited.add(key);
    const node = nodes.get(key);
    if (!node) continue;
    let here = parent;
    let pending = reasoning;
    let callId = call;
    const m = node.message;
    if (m) {
      const path = `mapping.${key}.message`;
      const author = object(m.author, `${path}.author`);
      const role = idString(author.role, `${path}.author.role`);
      const time = secondsTime(m.create_time, `${path}.create_time`);
      const { text, parts } = contentOf(
        object(m.content ?? {}, `${path}.content`),
        `${path}.content`,
      );
      const metadata =
        m.metadata === undefined || m.metadata === null
          ? {}
          : object(m.metadata, `${path}.metadata`);
      const recipient = optString(m.recipient, `${path}.recipient`) ?? 'all';
      let kind: PlannedNode['kind'] | undefined;
      if (parts.length > 0 && parts.every((p) => p.type === 'reasoning') && text === '') {
        pending = [...pending, ...parts];
      } else if (role === 'user') {
        kind = { type: 'message_received', content: text, ...(parts.length ? { parts } : {}) };
      } else if (role === 'assistant' && recipient !== 'all') {
        callId = key;
        kind = {
          type: 'tool_called',
          tool_name: recipient,
          params: text as JsonValue,
          call_id: key,
        };
      } else if (role === 'assistant') {
        const model = optString(metadata.model_slug, `${path}.metadata.model_slug`) ?? 'unknown';
        const all = [...pending, ...parts];
        pending = [];
        kind = {
          type: 'agent_response',
          content: text,
          model,
          tokens: { input_tokens: 0, output_tokens: 0 },
          ...(all.length ? { parts: all } : {}),
        };
      } else if (role === 'tool') {
        kind = {
          type: 'tool_result',
          tool_name: optString(author.name, `${path}.author.name`) ?? 'tool',
          result: text,
          success: true,
          ...(callId ? { call_id: callId } : {}),
        };
      }
      if (kind) {
        planned.push({ source: key, parent, time, kind });
        here = key;
      }
    }
    if (here !== key) keptAs.set(key, here ?? '');
    for (const child of [...(kids.get(key) ?? [])].reverse())
      stack.push({ id: child, parent: here, reasoning: pending, call: callId });
  }
  const shown =
    head === undefined ? undefined : keptAs.has(head) ? keptAs.get(head) || undefined : head;
  return { id, title, created, nodes: planned, head: shown };
}
