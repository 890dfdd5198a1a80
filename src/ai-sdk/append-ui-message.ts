import { createEvent } from '../event.js';
import type { EventStore } from '../store.js';
import { type KindsOptions, kindsOfUIMessage } from './from-ui-message.js';
import type { UIMessageLike } from './ui-types.js';

/** The first and the last event a UI message was stored as. */
export interface EventSpan {
  first: string;
  last: string;
}

/** Options of {@link appendUIMessage}. */
export interface AppendUIMessageOptions extends KindsOptions {
  /** agent_id of the events; default `"assistant"`. */
  agentId?: string;
}

/**
 * Stores one UI message as its events (see from-ui-message.ts), chained under
 * `parentId`, in one atomic append. Bad input is a `validation` error naming
 * the field, and nothing is written. `undefined` for a message with no content.
 */
export async function appendUIMessage(
  store: EventStore,
  sessionKey: string,
  message: UIMessageLike,
  parentId: string | null,
  options: AppendUIMessageOptions = {},
): Promise<EventSpan | undefined> {
  const agentId = options.agentId ?? 'assistant';
  let parent = parentId;
  const events = kindsOfUIMessage(message, options).map((kind) => {
    const event = createEvent(
      sessionKey,
      agentId,
      { ...kind, parent_id: parent },
      { clock: store.clock, origin: store.origin },
    );
    parent = event.id;
    return event;
  });
  if (events.length === 0) return undefined;
  await store.append(events);
  return { first: events[0]!.id, last: events[events.length - 1]!.id };
}
