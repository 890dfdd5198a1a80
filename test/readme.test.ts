import { expect, it } from 'vitest';
import readme from '../README.md?raw';
import { deleteDatabase } from './helpers.js';
import { quickstart } from './readme-quickstart.js';
import quickstartSource from './readme-quickstart.ts?raw';

const dedent = (text: string) => {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const indent = Math.min(...lines.map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
};

it('the README quickstart is the code this test runs', () => {
  const block =
    /```ts\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Quickstart')))?.[1] ?? '';
  const code =
    /\/\/ quickstart:start\n([\s\S]*?)\n\s*\/\/ quickstart:end/.exec(quickstartSource)?.[1] ?? '';
  expect(code.length).toBeGreaterThan(100);
  // The README adds the import line; the rest is identical.
  expect(dedent(block)).toBe(
    `import { mainSessionKey, openEventStore } from 'sessionlog';\n${dedent(code)}`,
  );
});

it('the README quickstart runs and does what it says', async () => {
  await deleteDatabase('my-chat');
  const lines: unknown[][] = [];
  await quickstart((...args) => lines.push(args));
  expect(lines.at(-1)).toEqual([['inbound: Hello!', 'outbound: Hi, how can I help?']]);
  expect(lines.some(([l]) => l === '2 messages, active')).toBe(true);
});
