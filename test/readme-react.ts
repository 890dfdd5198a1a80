/**
 * The README's React snippet, verbatim between the markers, inside the
 * smallest component that renders it: test/readme-react.browser.test.ts checks
 * that the README shows exactly this code and renders it in StrictMode.
 */
import { createElement, useSyncExternalStore } from 'react';
import type { EventStore } from '../src/index.js';

/** Props of {@link ReadmeSession}. */
export interface ReadmeSessionProps {
  store: EventStore;
  sessionKey: string;
  /** Called on every render, so the test can count them. */
  onRender: () => void;
}

/** Lists the session's messages, read with the README's code. */
export function ReadmeSession({ store, sessionKey: key, onRender }: ReadmeSessionProps) {
  onRender();
  // readme:react:start
  const session = useSyncExternalStore(
    (onChange) => store.subscribe(key, onChange),
    () => store.getSnapshot(key),
  );
  // readme:react:end
  return createElement(
    'ol',
    null,
    session?.messages.map((m) =>
      createElement('li', { key: m.id }, 'content' in m.kind ? m.kind.content : ''),
    ),
  );
}
