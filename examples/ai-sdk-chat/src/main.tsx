/**
 * An AI SDK chat (useChat) whose chats live in sessionlog: offline, live in
 * every tab, and safe when the tab dies mid-reply. The three pieces:
 * loadChat for useChat's initial messages, recordingTransport around the
 * app's transport, and sessionlog/react hooks for the sidebar and for what
 * other tabs do.
 */
import { useChat } from '@ai-sdk/react';
import type { UIMessage } from 'ai';
import { StrictMode, useEffect, useMemo, useRef, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { openEventStore } from 'sessionlog';
import { loadChat, recordingTransport } from 'sessionlog/ai-sdk';
import { useDrafts, useSession, useSessions } from 'sessionlog/react';
import { simulatedTransport } from './model';

const store = await openEventStore({ name: 'ai-sdk-chat' });
const TITLE = 'title'; // the state key the demo and sessionlog/assistant-ui use for titles

const newChatId = () => `chat-${Date.now().toString(36)}`;

function App() {
  const sessions = useSessions(store);
  const [chatId, setChatId] = useState(() => location.hash.slice(1) || newChatId());
  useEffect(() => {
    location.hash = chatId;
  }, [chatId]);
  return (
    <>
      <aside>
        <button type="button" data-testid="new-chat" onClick={() => setChatId(newChatId())}>
          + New chat
        </button>
        {sessions?.map((s) => (
          <button
            type="button"
            key={s.sessionKey}
            data-testid="chat-link"
            aria-current={s.sessionKey === chatId}
            onClick={() => setChatId(s.sessionKey)}
          >
            {String(s.customState[TITLE] ?? s.sessionKey)}
          </button>
        ))}
      </aside>
      <Chat key={chatId} chatId={chatId} />
    </>
  );
}

function Chat({ chatId }: { chatId: string }) {
  const [initial, setInitial] = useState<UIMessage[]>();
  // readme:load:start
  useEffect(() => {
    loadChat<UIMessage>(store, chatId).then(setInitial);
  }, [chatId]);
  // readme:load:end
  return initial ? <ChatView chatId={chatId} initial={initial} /> : <main>Loading…</main>;
}

function ChatView({ chatId, initial }: { chatId: string; initial: UIMessage[] }) {
  // readme:chat:start
  const transport = useMemo(() => recordingTransport(store, simulatedTransport()), []);
  // resume: a reply this chat was streaming when the tab died is replayed from its draft.
  const { messages, sendMessage, setMessages, status, stop } = useChat({
    id: chatId,
    messages: initial,
    transport,
    resume: true,
  });
  // readme:chat:end
  const session = useSession(store, chatId);
  const drafts = useDrafts(store, chatId);
  const [input, setInput] = useState('');

  // Another tab changed this chat: show the stored chat (when not streaming here).
  const shown = useRef(messages);
  shown.current = messages;
  const lastEventId = session?.lastEventId;
  const seen = useRef<string | null | undefined>(undefined);
  useEffect(() => {
    if (lastEventId === undefined || status !== 'ready') return;
    // What was stored at mount is what useChat started from (plus any replayed draft): keep it.
    if (seen.current === undefined || seen.current === lastEventId) {
      seen.current = lastEventId;
      return;
    }
    seen.current = lastEventId;
    let current = true;
    loadChat<UIMessage>(store, chatId).then((stored) => {
      const differs = stored.map(textOf).join('\n') !== shown.current.map(textOf).join('\n');
      if (current && differs) setMessages(stored);
    });
    return () => {
      current = false;
    };
  }, [lastEventId, status, chatId, setMessages]);

  const elsewhere = drafts.filter((d) => !d.local && d.status === 'streaming');
  const interrupted = drafts.filter((d) => d.status === 'interrupted');
  return (
    <main>
      <ol data-testid="messages">
        {messages.map((m) => (
          <li key={m.id} data-role={m.role} data-testid="message">
            {m.parts.map((p, i) =>
              p.type === 'text' ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: parts have no ids; their order never changes
                <span key={i}>{p.text}</span>
              ) : p.type.startsWith('tool-') ? (
                // biome-ignore lint/suspicious/noArrayIndexKey: as above
                <div key={i} className="tool" data-testid="tool">
                  🔧 {p.type.slice(5)}: {'output' in p && p.output ? JSON.stringify(p.output) : '…'}
                </div>
              ) : null,
            )}
          </li>
        ))}
        {elsewhere.map((d) => (
          <li key={d.id} data-role="assistant" data-testid="draft-elsewhere">
            {d.text}
          </li>
        ))}
      </ol>
      {interrupted.map((d) => (
        <p key={d.id} className="notice" data-testid="interrupted">
          A reply was cut off when its tab closed ({d.text.length} characters kept).{' '}
          <button type="button" onClick={() => store.discardDraft(d.id)}>
            Discard
          </button>
        </p>
      ))}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (!input.trim()) return;
          if (!session?.customState[TITLE])
            void store.record(chatId, 'assistant', {
              type: 'state_changed',
              key: TITLE,
              value: input.slice(0, 40),
            });
          void sendMessage({ text: input });
          setInput('');
        }}
      >
        <input
          data-testid="input"
          value={input}
          placeholder="Say something (mention the weather for a tool call)"
          onChange={(e) => setInput(e.target.value)}
        />
        {status === 'streaming' || status === 'submitted' ? (
          <button type="button" onClick={stop}>
            Stop
          </button>
        ) : (
          <button type="submit" data-testid="send">
            Send
          </button>
        )}
      </form>
    </main>
  );
}

function textOf(m: UIMessage): string {
  return m.parts.map((p) => (p.type === 'text' ? p.text : p.type)).join('');
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
