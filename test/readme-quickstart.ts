/**
 * The README's quickstart, verbatim between the markers: test/readme.test.ts
 * checks that the README shows exactly this code and runs it.
 */
import { mainSessionKey, openEventStore } from '../src/index.js';

export async function quickstart(log: (...args: unknown[]) => void): Promise<void> {
  const console = { log };
  // quickstart:start
  const store = await openEventStore({ name: 'my-chat' });
  const key = mainSessionKey('assistant');

  // Render the session whenever it changes, in this tab or in any other.
  const stop = store.subscribe(key, (session) => {
    console.log(`${session.messages.length} messages, ${session.state}`);
  });

  await store.record(key, 'assistant', { type: 'session_started', channel: 'web', peer_id: 'me' });
  await store.record(key, 'assistant', { type: 'message_received', content: 'Hello!' });

  // Stream the reply: other tabs see it live, one event is stored at the end.
  const reply = store.stream(key, { agentId: 'assistant', model: 'demo-1' });
  reply.push('Hi, ');
  reply.push('how can I help?');
  await reply.done({ tokens: { input_tokens: 12, output_tokens: 6 } });

  // The latest page of messages, read through an index (cost independent of history).
  const { messages } = await store.getMessages(key, { limit: 50 });
  console.log(messages.map((m) => `${m.direction}: ${'content' in m.kind ? m.kind.content : ''}`));

  stop();
  await store.close();
  // quickstart:end
}
