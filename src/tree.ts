/**
 * The conversation tree (DESIGN §8): edits and regenerations are siblings,
 * never truncations. The tree is derived from the set of node events only
 * (messages and tool calls), so a projection stays a CRDT: merge is
 * union-then-derive. The head is a last-writer-wins register (`head_set`
 * events); the active path is what a chat UI shows.
 */
import {
  type AgentResponse,
  compareEvents,
  type EventKind,
  type MessageReceived,
  type MessageSent,
  type SessionEvent,
  type ToolCalled,
  type ToolResult,
} from './event.js';

/** The kinds that make a tree node: the messages and the tool calls. */
export type NodeKind = MessageReceived | MessageSent | AgentResponse | ToolCalled | ToolResult;

/** One node of the conversation tree. */
export interface TreeNode {
  /** The id of the event this node comes from. */
  readonly id: string;
  readonly timestamp: string;
  /** The event's kind, with all its fields. */
  readonly kind: NodeKind;
  /** The resolved parent (see {@link buildTree}), or `null` for a root. */
  readonly parentId: string | null;
  /** Ids of the children, ordered by (timestamp, id). */
  readonly children: readonly string[];
}

/** What a projection holds of the tree: its nodes and its head. */
export interface TreeView {
  /** Nodes ordered by (timestamp, id). */
  readonly nodes: readonly TreeNode[];
  /** The resolved head: the `head_set` target once seen, else the newest leaf; `null` without nodes. */
  readonly head: string | null;
}

const NODE_TYPES = new Set<string>([
  'message_received',
  'message_sent',
  'agent_response',
  'tool_called',
  'tool_result',
]);

/** Whether events of this kind are tree nodes. */
export function isNodeKind(kind: EventKind): kind is NodeKind {
  return NODE_TYPES.has(kind.type);
}

/** A node as it enters the tree, before its links are resolved. */
export interface NodeEntry {
  readonly id: string;
  readonly timestamp: string;
  readonly kind: NodeKind;
}

/** The node entry an event makes, or `null` for kinds that make none. */
export function nodeEntryOf(event: SessionEvent): NodeEntry | null {
  return isNodeKind(event.kind)
    ? { id: event.id, timestamp: event.timestamp, kind: event.kind }
    : null;
}

/**
 * Resolves the links of nodes given in (timestamp, id) order. A node's parent
 * is its `parent_id` when that names a node that sorts before it; `null` when
 * `parent_id` is `null`; otherwise (absent, not seen yet, or not earlier, which
 * also rules out cycles) the previous node in order: the reference's linear
 * log. Node objects of `previous` whose links are unchanged are reused, so a
 * UI can compare rows by reference.
 */
export function buildTree(
  entries: readonly NodeEntry[],
  previous: readonly TreeNode[] = [],
): TreeNode[] {
  const position = new Map<string, number>();
  entries.forEach((e, i) => {
    position.set(e.id, i);
  });
  const parents = entries.map((e, i): string | null => {
    const link = e.kind.parent_id;
    if (link === null) return null;
    const at = link === undefined ? undefined : position.get(link);
    if (at !== undefined && at < i) return link as string;
    return i > 0 ? entries[i - 1]!.id : null;
  });
  const children = new Map<string, string[]>();
  entries.forEach((e, i) => {
    const parent = parents[i];
    if (parent === null || parent === undefined) return;
    const list = children.get(parent);
    if (list) list.push(e.id);
    else children.set(parent, [e.id]);
  });
  const old = new Map(previous.map((n) => [n.id, n]));
  return entries.map((e, i) => {
    const parentId = parents[i] ?? null;
    const kids = children.get(e.id) ?? [];
    const was = old.get(e.id);
    if (was && was.parentId === parentId && sameList(was.children, kids)) return was;
    return { id: e.id, timestamp: e.timestamp, kind: e.kind, parentId, children: kids };
  });
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The head a UI shows: `target` if it is a node, else the newest node (always a leaf). */
export function resolveHead(nodes: readonly TreeNode[], target: string | null): string | null {
  if (target !== null && indexOf(nodes).has(target)) return target;
  return nodes[nodes.length - 1]?.id ?? null;
}

// Lookup by id, built once per (immutable) node list.
const indexes = new WeakMap<readonly TreeNode[], Map<string, TreeNode>>();
function indexOf(nodes: readonly TreeNode[]): Map<string, TreeNode> {
  let index = indexes.get(nodes);
  if (!index) {
    index = new Map(nodes.map((n) => [n.id, n]));
    indexes.set(nodes, index);
  }
  return index;
}

/** The node with this id, or `undefined`. */
export function nodeById(tree: TreeView, id: string): TreeNode | undefined {
  return indexOf(tree.nodes).get(id);
}

/**
 * The active path: from the root down to the head, then on through the
 * newest child at each step to a leaf, so a message added below the head
 * stays in view. Empty for a tree without nodes.
 */
export function activePath(tree: TreeView): TreeNode[] {
  if (tree.head === null) return [];
  const index = indexOf(tree.nodes);
  const path: TreeNode[] = [];
  for (let n = index.get(tree.head); n; n = n.parentId === null ? undefined : index.get(n.parentId))
    path.push(n);
  path.reverse();
  for (let n = path[path.length - 1]; n && n.children.length > 0; ) {
    n = index.get(n.children[n.children.length - 1]!);
    if (n) path.push(n);
  }
  return path;
}

/**
 * The siblings of a node, itself included, ordered by (timestamp, id): the
 * children of its parent, or the roots. Empty for an id that is not a node.
 * A UI shows "‹ 2/3 ›" from the node's position in this list.
 */
export function siblingsOf(tree: TreeView, id: string): TreeNode[] {
  const index = indexOf(tree.nodes);
  const node = index.get(id);
  if (!node) return [];
  if (node.parentId === null) return tree.nodes.filter((n) => n.parentId === null);
  const parent = index.get(node.parentId)!;
  return parent.children.map((c) => index.get(c)!);
}

/** The leaf the active path would reach from `id`: newest child at each step. */
export function newestLeafUnder(tree: TreeView, id: string): TreeNode | undefined {
  const index = indexOf(tree.nodes);
  let n = index.get(id);
  while (n && n.children.length > 0) n = index.get(n.children[n.children.length - 1]!);
  return n;
}

/** Merges two lists sorted by (timestamp, id), dropping duplicates (same id). */
export function mergeSorted<T extends { timestamp: string; id: string }>(
  a: readonly T[],
  b: readonly T[],
): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c = compareEvents(a[i]!, b[j]!);
    if (c <= 0) {
      out.push(a[i++]!);
      if (c === 0) j++;
    } else out.push(b[j++]!);
  }
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}
