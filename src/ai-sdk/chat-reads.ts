/**
 * What a write of the chat UIs needs to know of a stored chat, read from the
 * log through src/tree-log.ts instead of the chat's projection: a message by
 * its id, where it ends on the active path, its parent, the nodes of one
 * message. Each read costs what it walks (a message, the path from the head
 * back to the message), never the whole history.
 */
import type { AnyEvent, SessionEvent } from '../event.js';
import type { EventStore } from '../store.js';
import { transferHostOf } from '../store.js';
import type { NodeKind } from '../tree.js';
import { activeLeaf, parentOf, storedNode, type TreeReads } from '../tree-log.js';
import type { EventSpan } from './append-ui-message.js';

/** A stored tree node. */
export type StoredNode = SessionEvent & { kind: NodeKind };

const isUser = (node: AnyEvent) => node.kind.type === 'message_received';

/** Reads of one chat (a session) of `store`. */
export class ChatReads {
  readonly #reads: TreeReads;
  readonly #store: EventStore;
  readonly #key: string;

  constructor(store: EventStore, sessionKey: string) {
    this.#store = store;
    this.#reads = transferHostOf(store).reads;
    this.#key = sessionKey;
  }

  /** The stored node with this id, if it is one of this chat. */
  async node(id: string): Promise<StoredNode | undefined> {
    return (await storedNode(this.#reads, this.#key, id)) as StoredNode | undefined;
  }

  /** The session of the stored event with this id, if there is one (in any session). */
  async sessionOf(id: string): Promise<string | undefined> {
    return (await this.#reads.get(id))?.session_key;
  }

  /** The resolved parent of a stored node (`undefined`: a root). */
  async parent(node: StoredNode): Promise<StoredNode | undefined> {
    return (await parentOf(this.#reads, node as never)) as StoredNode | undefined;
  }

  /**
   * The span of the UI message whose first event is `id` (a user message is
   * its one node; an assistant message runs on along the active path to the
   * next user message), or `undefined` when `id` is no node of the chat.
   */
  async span(id: string): Promise<EventSpan | undefined> {
    const node = await this.node(id);
    if (!node) return undefined;
    if (isUser(node)) return { first: id, last: id };
    // Walk back from the leaf to the message: the nodes after it, up to the next user message, are its.
    const headTarget = (await this.#store.getSummary(this.#key))?.headTarget ?? null;
    let last: string | undefined;
    let at = await activeLeaf(this.#reads, this.#key, headTarget);
    for (; at && at.id !== id; at = await parentOf(this.#reads, at))
      last = isUser(at) ? undefined : (last ?? at.id);
    // Off the active path (another branch): the message is known by its first node only.
    return { first: id, last: at ? (last ?? id) : id };
  }

  /** The nodes of a span, first to last (following parents back from the last). */
  async nodes(span: EventSpan): Promise<StoredNode[]> {
    const out: StoredNode[] = [];
    for (let at = await this.node(span.last); at; at = await this.parent(at)) {
      out.push(at);
      if (at.id === span.first) break;
    }
    return out.reverse();
  }
}
