/**
 * Branch operations of the store (issue 13): switching the head, editing a
 * message, regenerating a reply. Each is one call that writes in one
 * transaction; the rules of the tree are src/tree.ts's, read from the log
 * through src/tree-log.ts.
 */
import { EventStoreError, validationError } from '../errors.js';
import type { AnyEvent, EventKindInput, SessionEvent } from '../event.js';
import type { StreamHandle, StreamOptions } from '../stream.js';
import { parentOf, storedNode, type TreeReads } from '../tree-log.js';

/** What branch operations need from the store: narrow on purpose. */
export interface BranchHost {
  readonly reads: TreeReads;
  /** Creates an event with the store's clock and origin (validates; throws `validation`). */
  make(sessionKey: string, agentId: string, kind: EventKindInput): SessionEvent;
  append(events: AnyEvent[]): Promise<unknown>;
  /** The agent id of the session's summary, if any. */
  agentOf(sessionKey: string): Promise<string | undefined>;
  stream(sessionKey: string, options: StreamOptions): StreamHandle;
}

/** See `EventStore.setHead`. */
export async function setHead(
  host: BranchHost,
  sessionKey: string,
  targetId: string,
): Promise<SessionEvent> {
  const agentId = (await host.agentOf(sessionKey)) ?? '';
  const event = host.make(sessionKey, agentId, { type: 'head_set', target_id: targetId });
  await host.append([event]);
  return event;
}

/** See `EventStore.edit`. */
export async function edit(
  host: BranchHost,
  sessionKey: string,
  messageId: string,
  content: string,
  agentId?: string,
): Promise<SessionEvent> {
  const original = await nodeOf(host, sessionKey, messageId);
  const parent = await parentOf(host.reads, original);
  const agent = agentId ?? original.agent_id;
  const message = host.make(sessionKey, agent, {
    type: 'message_received',
    content,
    parent_id: parent?.id ?? null,
  });
  const head = host.make(sessionKey, agent, { type: 'head_set', target_id: message.id });
  await host.append([message, head]);
  return message;
}

/** See `EventStore.regenerate`. */
export async function regenerate(
  host: BranchHost,
  sessionKey: string,
  replyId: string,
  options: Omit<StreamOptions, 'parentId'>,
): Promise<StreamHandle> {
  const reply = await nodeOf(host, sessionKey, replyId);
  const prompt = await parentOf(host.reads, reply);
  // The head on the prompt: its newest child, the new reply once done, is what shows.
  if (prompt) await setHead(host, sessionKey, prompt.id);
  return host.stream(sessionKey, { ...options, parentId: prompt?.id ?? null });
}

async function nodeOf(host: BranchHost, sessionKey: string, id: string) {
  if (typeof id !== 'string') throw validationError('id', 'must be an event id');
  const node = await storedNode(host.reads, sessionKey, id);
  if (!node) {
    throw new EventStoreError(
      'not_found',
      `${id.slice(0, 12)} is not a message or tool call of "${sessionKey}"`,
    );
  }
  return node;
}
