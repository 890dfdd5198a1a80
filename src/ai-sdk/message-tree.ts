/**
 * The UI-message tree of a session, every branch included (what assistant-ui
 * loads, so a user can switch branches): a user node is a message; an
 * assistant message is a node whose parent is not an assistant node's last
 * child in a run, plus the chain of assistant nodes below it (the newest child
 * at each step, as the active path goes). Each message's parent is the message
 * holding its first node's parent.
 */
import type { Projection } from '../projection.js';
import { activePath, type TreeNode } from '../tree.js';
import { groupNodes, type NodeGroup } from './to-ui-messages.js';

/** A UI message of the tree: its nodes, and the id of its parent message (`null`: a root). */
export interface TreeGroup extends NodeGroup {
  parentId: string | null;
}

/** Every UI message of the session (parents before children), and the one at the head. */
export function messageTree(projection: Projection): {
  groups: TreeGroup[];
  headId: string | null;
} {
  const byId = new Map(projection.nodes.map((n) => [n.id, n]));
  const groupOf = new Map<string, TreeGroup>();
  const groups: TreeGroup[] = [];
  const isUser = (n: TreeNode) => n.kind.type === 'message_received';
  for (const node of projection.nodes) {
    if (groupOf.has(node.id)) continue;
    const parent = node.parentId === null ? undefined : byId.get(node.parentId);
    const parentGroup = parent ? groupOf.get(parent.id) : undefined;
    const group: TreeGroup = {
      role: isUser(node) ? 'user' : 'assistant',
      nodes: [node],
      parentId: parentGroup ? parentGroup.nodes[0]!.id : null,
    };
    groupOf.set(node.id, group);
    groups.push(group);
    if (group.role === 'assistant') {
      // The run below it: newest assistant child at each step.
      for (let n = node; ; ) {
        const next = [...n.children]
          .reverse()
          .map((id) => byId.get(id))
          .find((c) => c !== undefined && !isUser(c) && !groupOf.has(c.id));
        if (!next) break;
        group.nodes.push(next);
        groupOf.set(next.id, group);
        n = next;
      }
    }
  }
  const path = groupNodes(activePath(projection));
  const head = path[path.length - 1];
  return { groups, headId: head ? head.nodes[0]!.id : null };
}
