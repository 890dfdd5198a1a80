/**
 * The conversation tree read from the log instead of a projection: a node's
 * resolved parent, the head, the leaf below it, and pages of the active path.
 * Same rules as src/tree.ts (explicit earlier parent, `null` root, else the
 * previous node), so a page equals the matching slice of `activePath`. It
 * reads through {@link TreeReads} only: no projection, no layout change.
 *
 * Cost of a page: the page, plus one read per explicit link followed, plus
 * the events after the head when a head is set (none when the head is the
 * newest leaf, the usual case; a UI that switches branch should name the
 * leaf, as `newestLeafUnder` gives it). Never the whole history.
 */
import { type AnyEvent, compareEvents, isKnownKind, type SessionEvent } from './event.js';
import { type Message, messageOf } from './projection.js';
import { isNodeKind } from './tree.js';

/** A position in a session's (timestamp, id) order. */
export interface LogPosition {
  readonly timestamp: string;
  readonly id: string;
}

/** What the tree reader needs from a store: decoded events, corrupt ones skipped. */
export interface TreeReads {
  /** The stored event with this id, if any. */
  get(id: string): Promise<AnyEvent | undefined>;
  /** Up to `count` events of the session strictly before `before` (from the end if absent), newest first. */
  before(sessionKey: string, before: LogPosition | undefined, count: number): Promise<AnyEvent[]>;
  /** Up to `count` events of the session strictly after `after`, oldest first. */
  after(sessionKey: string, after: LogPosition, count: number): Promise<AnyEvent[]>;
}

type Node = SessionEvent & { kind: { parent_id?: string | null } };

const CHUNK = 64;

function asNode(event: AnyEvent | undefined, sessionKey: string): Node | undefined {
  if (!event || event.session_key !== sessionKey || !isKnownKind(event.kind)) return undefined;
  return isNodeKind(event.kind) ? (event as Node) : undefined;
}

/** Walks a session's nodes backwards, buffering reads so a linear stretch costs one read per chunk. */
class BackwardCursor {
  #buffer: AnyEvent[] = [];
  #at: LogPosition | undefined;
  #exhausted = false;

  /** @param chunk events read at a time (a page's walk asks for about what its page needs) */
  constructor(
    private readonly reader: TreeReads,
    private readonly sessionKey: string,
    private readonly chunk = CHUNK,
  ) {}

  /** The node just before `position` (from the end if absent), or `undefined`. */
  async previous(position: LogPosition | undefined): Promise<Node | undefined> {
    if (!this.#sameSpot(position)) {
      this.#buffer = [];
      this.#at = position;
      this.#exhausted = false;
    }
    for (;;) {
      while (this.#buffer.length > 0) {
        const event = this.#buffer.shift()!;
        this.#at = event;
        const node = asNode(event, this.sessionKey);
        if (node) return node;
      }
      if (this.#exhausted) return undefined;
      const read = await this.reader.before(this.sessionKey, this.#at, this.chunk);
      if (read.length < this.chunk) this.#exhausted = true;
      this.#buffer = read;
      if (read.length === 0) return undefined;
    }
  }

  #sameSpot(position: LogPosition | undefined): boolean {
    if (position === undefined || this.#at === undefined) return position === this.#at;
    return compareEvents(position, this.#at) === 0;
  }
}

/** The resolved parent of a stored node (see {@link buildTree}), reading as little as it can. */
export async function parentOf(
  reader: TreeReads,
  node: Node,
  cursor = new BackwardCursor(reader, node.session_key),
): Promise<Node | undefined> {
  const link = node.kind.parent_id;
  if (link === null) return undefined;
  if (link !== undefined) {
    const parent = asNode(await reader.get(link), node.session_key);
    if (parent && compareEvents(parent, node) < 0) return parent;
  }
  return cursor.previous(node);
}

/** The stored node with this id in this session, or `undefined`. */
export async function storedNode(
  reader: TreeReads,
  sessionKey: string,
  id: string,
): Promise<Node | undefined> {
  return asNode(await reader.get(id), sessionKey);
}

/**
 * The leaf of the active path: the head (the register's target if stored,
 * else the newest node), then the newest child at each step. The children
 * of a set head are found among the events after it.
 */
export async function activeLeaf(
  reader: TreeReads,
  sessionKey: string,
  headTarget: string | null,
  cursor = new BackwardCursor(reader, sessionKey),
): Promise<Node | undefined> {
  const head = headTarget === null ? undefined : await storedNode(reader, sessionKey, headTarget);
  // The newest node: read with the page's cursor, which then walks on from it.
  if (!head) return cursor.previous(undefined);
  // Every node after the head, in order, with its resolved parent.
  const after: Node[] = [];
  for (let at: LogPosition = head; ; ) {
    const read = await reader.after(sessionKey, at, CHUNK * 4);
    for (const e of read) {
      const node = asNode(e, sessionKey);
      if (node) after.push(node);
    }
    if (read.length < CHUNK * 4) break;
    at = read[read.length - 1]!;
  }
  if (after.length === 0) return head;
  const position = new Map<string, number>([[head.id, -1]]);
  after.forEach((n, i) => {
    position.set(n.id, i);
  });
  const newestChild = new Map<string, Node>();
  for (const [i, node] of after.entries()) {
    const link = node.kind.parent_id;
    let parent: string | undefined;
    if (link === null) continue;
    if (link !== undefined && position.has(link) && position.get(link)! < i) parent = link;
    else if (link !== undefined && !position.has(link)) {
      // A link to a node before the head is another branch; to nothing stored, the previous node.
      const linked = await storedNode(reader, sessionKey, link);
      parent = linked && compareEvents(linked, node) < 0 ? undefined : (after[i - 1] ?? head).id;
    } else parent = (after[i - 1] ?? head).id;
    if (parent !== undefined) newestChild.set(parent, node); // in order: the last one wins
  }
  let leaf: Node = head;
  for (let next = newestChild.get(leaf.id); next; next = newestChild.get(leaf.id)) leaf = next;
  return leaf;
}

/** Which page of the active path to read. */
export interface PathQuery {
  limit: number;
  before?: LogPosition;
  after?: LogPosition;
}

/**
 * A page of the messages on the active path, oldest first: the latest
 * `limit`, or those just before/after a position in (timestamp, id) order
 * (nodes on a path are in that order, parent before child). Tool calls are
 * walked through but are not messages.
 */
export async function activePathPage(
  reader: TreeReads,
  sessionKey: string,
  headTarget: string | null,
  query: PathQuery,
): Promise<{ messages: Message[]; hasMore: boolean }> {
  // A linear stretch holds a message in about every other event: read that much at a time.
  const chunk = query.after ? CHUNK : Math.max(CHUNK, 3 * (query.limit + 1));
  const cursor = new BackwardCursor(reader, sessionKey, chunk);
  let node: Node | undefined;
  if (query.before) {
    // Start at the cursor's own node when it is one (a message of the page before): no walk from the leaf.
    const own = await storedNode(reader, sessionKey, query.before.id);
    node =
      own && compareEvents(own, query.before) === 0
        ? await parentOf(reader, own, cursor)
        : await activeLeaf(reader, sessionKey, headTarget, cursor);
  } else node = await activeLeaf(reader, sessionKey, headTarget, cursor);
  const found: Message[] = [];
  const want = query.after ? Number.POSITIVE_INFINITY : query.limit + 1;
  for (; node && found.length < want; node = await parentOf(reader, node, cursor)) {
    if (query.after && compareEvents(node, query.after) <= 0) break;
    if (query.before && compareEvents(node, query.before) >= 0) continue;
    const message = messageOf(node);
    if (message) found.push(message);
  }
  found.reverse();
  if (query.after) {
    return { messages: found.slice(0, query.limit), hasMore: found.length > query.limit };
  }
  return { messages: found.slice(-query.limit), hasMore: found.length > query.limit };
}
