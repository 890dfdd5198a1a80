/**
 * Renders a hook in React 19 StrictMode in the real DOM, recording every value
 * it returned, for the sessionlog/react and integration tests.
 */
import { createElement, type ReactNode, StrictMode } from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';

/** A hook under test: every value it returned, the latest, and a way to unmount it. */
export interface RenderedHook<T> {
  readonly results: T[];
  latest(): T;
  unmount(): void;
}

interface ProbeProps {
  hook: () => unknown;
  results: unknown[];
}

function Probe({ hook, results }: ProbeProps): ReactNode {
  results.push(hook());
  return null;
}

/** Mounts `hook` in a StrictMode root; the first render has happened when this returns. */
export function renderHook<T>(hook: () => T): RenderedHook<T> {
  const results: T[] = [];
  const { unmount } = renderElement(createElement(Probe, { hook, results }));
  return {
    results,
    latest: () => {
      if (results.length === 0) throw new Error('not rendered yet');
      return results[results.length - 1]!;
    },
    unmount,
  };
}

/** Mounts `element` in a StrictMode root attached to the document, synchronously. */
export function renderElement(element: ReactNode): { host: HTMLElement; unmount(): void } {
  const host = document.createElement('div');
  document.body.append(host);
  const root = createRoot(host);
  flushSync(() => root.render(createElement(StrictMode, null, element)));
  return {
    host,
    unmount: () => {
      root.unmount();
      host.remove();
    },
  };
}
