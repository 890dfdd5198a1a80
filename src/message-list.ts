/**
 * The lists behind a live projection: its messages (a {@link ChunkedList})
 * and its tree's nodes (a {@link NodeList}), kept beside each projection made
 * by {@link withLists} so the next append starts from them, and exposed as
 * arrays built on first read.
 */
import { ChunkedList } from './chunked-list.js';
import { deepFreeze } from './freeze.js';
import { NodeList } from './node-list.js';
import type { Message, Projection, RegisterBuilder } from './projection.js';

// The lists behind each projection made by `withLists`.
const lists = new WeakMap<Projection, ChunkedList<Message>>();
const trees = new WeakMap<Projection, NodeList>();

/** The messages of `projection` as a chunked list (made once for a projection made elsewhere). */
export function messageListOf(projection: Projection): ChunkedList<Message> {
  let list = lists.get(projection);
  if (!list) {
    list = ChunkedList.from(projection.messages);
    lists.set(projection, list);
  }
  return list;
}

/** The tree's nodes of `projection` as a {@link NodeList} (made once for a projection made elsewhere). */
export function nodeListOf(projection: Projection): NodeList {
  let tree = trees.get(projection);
  if (!tree) {
    tree = NodeList.from(projection.nodes);
    trees.set(projection, tree);
  }
  return tree;
}

/**
 * A copy of `projection`'s fields, not frozen yet, whose `messages` is `list`
 * and `nodes` is `tree`: enumerable getters that make the arrays on first
 * read, so a projection nobody reads them of never builds them. Its
 * `versions` is a copy too.
 */
export function withLists(
  projection: Projection,
  list: ChunkedList<Message>,
  tree: NodeList,
): RegisterBuilder {
  const out = {} as Record<string, unknown>;
  for (const key of Object.keys(projection)) {
    if (key === 'messages')
      Object.defineProperty(out, key, { enumerable: true, get: () => list.toArray() });
    else if (key === 'nodes')
      Object.defineProperty(out, key, { enumerable: true, get: () => tree.toArray() });
    else out[key] = projection[key as keyof Projection];
  }
  out.versions = { ...projection.versions };
  lists.set(out as unknown as Projection, list);
  trees.set(out as unknown as Projection, tree);
  return out as unknown as RegisterBuilder;
}

/** Freezes a projection made by {@link withLists}, without making its arrays. */
export function freezeProjection(p: RegisterBuilder): Projection {
  for (const key of Object.keys(p) as Array<keyof RegisterBuilder>) {
    if (key !== ('messages' as string) && key !== ('nodes' as string)) deepFreeze(p[key]);
  }
  return Object.freeze(p) as unknown as Projection;
}
