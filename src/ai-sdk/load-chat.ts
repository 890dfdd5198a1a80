import { isEventStoreError } from '../errors.js';
import type { EventStore } from '../store.js';
import { toUIMessages } from './to-ui-messages.js';
import type { UIMessageLike } from './ui-types.js';

/**
 * The chat's messages on its active path, for `useChat({ id, messages })`;
 * `[]` for a chat the store does not have. The chat id is the session key.
 */
export async function loadChat<M extends UIMessageLike = UIMessageLike>(
  store: EventStore,
  chatId: string,
): Promise<M[]> {
  try {
    return toUIMessages<M>(await store.getProjection(chatId));
  } catch (error) {
    if (isEventStoreError(error, 'not_found')) return [];
    throw error;
  }
}
