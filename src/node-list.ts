/**
 * The tree's nodes of a live projection as a chunked list (chunked-list.ts),
 * with the timestamp of each id: a node added after every other (the usual
 * append) copies one chunk and its parent's, and finding a node by id is a
 * binary search, where an array was copied and indexed again on every append.
 */

import { ChunkedList } from './chunked-list.js';
import { compareEvents } from './event.js';
import { deepFreeze } from './freeze.js';
import type { NodeEntry, TreeNode } from './tree.js';

/** The nodes of a tree, ordered by (timestamp, id), immutable. */
export class NodeList {
  readonly #list: ChunkedList<TreeNode>;
  // id → timestamp. An id is the hash of its event, so its timestamp never
  // changes: one map serves every list made from this one (an id of another
  // list is found in the map but not in this list).
  readonly #times: Map<string, string>;

  private constructor(list: ChunkedList<TreeNode>, times: Map<string, string>) {
    this.#list = list;
    this.#times = times;
  }

  /** The list of `nodes`, which must already be in (timestamp, id) order. */
  static from(nodes: readonly TreeNode[]): NodeList {
    return new NodeList(ChunkedList.from(nodes), new Map(nodes.map((n) => [n.id, n.timestamp])));
  }

  /** Number of nodes. */
  get length(): number {
    return this.#list.length;
  }

  /** The node with this id, or `undefined`. */
  get(id: string): TreeNode | undefined {
    const timestamp = this.#times.get(id);
    return timestamp === undefined ? undefined : this.#list.find({ timestamp, id }, compareEvents);
  }

  /** The newest node, or `undefined`. */
  last(): TreeNode | undefined {
    return this.#list.last();
  }

  /** The head a UI shows: `target` if it is a node, else the newest node (see `resolveHead`). */
  head(target: string | null): string | null {
    if (target !== null && this.get(target)) return target;
    return this.last()?.id ?? null;
  }

  /**
   * The list with `entry` added after every node (the caller checked that it
   * sorts last). As `buildTree` links it: to its `parent_id` when that is an
   * earlier node, to no parent when `null`, else to the previous node; only
   * the new node and its parent change.
   */
  append(entry: NodeEntry): NodeList {
    const link = entry.kind.parent_id;
    const last = this.last();
    const parentId =
      link === null ? null : link !== undefined && this.get(link) ? link : (last?.id ?? null);
    let list = this.#list;
    if (parentId !== null) {
      const parent = this.get(parentId)!;
      list = list.replace(
        deepFreeze({ ...parent, children: [...parent.children, entry.id] }),
        compareEvents,
      );
    }
    list = list.insert(deepFreeze({ ...entry, parentId, children: [] }), compareEvents);
    this.#times.set(entry.id, entry.timestamp);
    return new NodeList(list, this.#times);
  }

  /** The nodes as one frozen array, built on first use and kept. */
  toArray(): readonly TreeNode[] {
    return this.#list.toArray();
  }
}
