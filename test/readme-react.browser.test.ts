/**
 * Issue 14: the README's React snippet works as written. An inline subscribe
 * function is a new function on every render, so React unsubscribes and
 * resubscribes each time; the store must keep the session's live state across
 * that, or the page renders forever and never shows the session.
 */
import { createElement, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { expect, it } from 'vitest';
import readme from '../README.md?raw';
import { mainSessionKey, openEventStore } from '../src/index.js';
import { uniqueName } from './helpers.js';
import { ReadmeSession } from './readme-react.js';
import source from './readme-react.ts?raw';
import { waitFor } from './store-helpers.js';

const dedent = (text: string) => {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const indent = Math.min(...lines.map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
};

it('the README shows exactly the React code this test renders', () => {
  const section = readme.slice(readme.indexOf('With React, pair'));
  const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const code = /\/\/ readme:react:start\n([\s\S]*?)\n\s*\/\/ readme:react:end/.exec(source)?.[1];
  expect(code?.length).toBeGreaterThan(50);
  expect(dedent(block)).toBe(dedent(code ?? ''));
});

it('renders every message another tab appends, in StrictMode, in a bounded number of renders', async () => {
  const name = uniqueName('readme-react');
  const key = mainSessionKey('assistant');
  const store = await openEventStore({ name });
  const writer = await openEventStore({ name }); // another tab: reaches `store` over BroadcastChannel
  const host = document.createElement('div');
  document.body.append(host);
  let renders = 0;
  const root = createRoot(host);
  root.render(
    createElement(
      StrictMode,
      null,
      createElement(ReadmeSession, { store, sessionKey: key, onRender: () => renders++ }),
    ),
  );

  const count = 30;
  for (let i = 0; i < count; i++)
    await writer.record(key, 'assistant', { type: 'message_received', content: `message ${i}` });
  await waitFor(() => host.querySelectorAll('li').length === count);
  expect([...host.querySelectorAll('li')].map((li) => li.textContent)).toEqual(
    Array.from({ length: count }, (_, i) => `message ${i}`),
  );
  // StrictMode renders twice; at most one notification per commit, plus the initial load.
  expect(renders).toBeLessThanOrEqual(2 * (count + 3));

  root.unmount();
  host.remove();
  await writer.close();
  await store.close();
});
