/**
 * README code blocks marked `<!-- from path#name -->` are the code between
 * `// readme:name:start` and `// readme:name:end` in that file, which a test
 * or the example app runs: the README cannot drift from code that works.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const root = new URL('../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');

const dedent = (text: string) => {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const indent = Math.min(...lines.map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => l.slice(indent)).join('\n');
};

const snippets = [...readme.matchAll(/<!-- from ([^#\s]+)#([\w-]+) -->\n```\w*\n([\s\S]*?)```/g)];

it('the README has snippets from the example app and the tests', () => {
  expect(snippets.map((m) => `${m[1]}#${m[2]}`)).toEqual([
    'examples/ai-sdk-chat/src/main.tsx#load',
    'examples/ai-sdk-chat/src/main.tsx#chat',
    'test/assistant-ui.browser.test.ts#adapter',
    'test/assistant-ui.browser.test.ts#assistant-ui',
  ]);
});

it.each(snippets.map((m) => [`${m[1]}#${m[2]}`, m[1]!, m[2]!, m[3]!]))(
  '%s is the code it comes from',
  (_, path, name, block) => {
    const source = readFileSync(new URL(path, root), 'utf8');
    const code = new RegExp(
      `// readme:${name}:start\\n([\\s\\S]*?)\\n\\s*// readme:${name}:end`,
    ).exec(source)?.[1];
    expect(code, `markers readme:${name} in ${path}`).toBeDefined();
    expect(dedent(block)).toBe(dedent(code!));
  },
);
