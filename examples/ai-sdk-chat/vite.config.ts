import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The example imports `sessionlog` and its subpaths as an app would; here they
// resolve to the library source, so the example runs the code in src/ without a build.
const src = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: [
      { find: /^sessionlog\/react$/, replacement: src('react/index.ts') },
      { find: /^sessionlog\/ai-sdk$/, replacement: src('ai-sdk/index.ts') },
      { find: /^sessionlog$/, replacement: src('index.ts') },
    ],
  },
  server: { host: '127.0.0.1', port: Number(process.env.SESSIONLOG_EXAMPLE_PORT ?? 5183) },
});
