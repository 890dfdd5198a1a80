import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import pkg from './package.json' with { type: 'json' };

// Playwright cannot download its own browsers here: always use the system Chromium.
const chromiumLaunch = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--disable-gpu', '--disable-dev-shm-usage'],
};

// Every runtime and peer dependency (and its subpath imports, e.g. '@noble/hashes/blake2.js')
// stays external: the consumer's bundler resolves and dedupes them.
const deps = Object.keys(pkg.dependencies ?? {});
// Node built-ins (the server subpath) and the optional peers stay external too.
const peers = Object.keys(pkg.peerDependencies ?? {});
const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));
const isExternal = (id: string) =>
  id.startsWith('node:') ||
  [...deps, ...peers].some((dep) => id === dep || id.startsWith(`${dep}/`));

export default defineConfig({
  // Relative asset URLs: the journal's worker is found next to the library
  // (`new URL('./assets/worker-….js', import.meta.url)`), which the app's bundler follows.
  base: './',
  build: {
    target: 'es2022',
    sourcemap: true,
    // Consumers' bundlers minify; shipping readable ESM keeps stack traces and diffs useful.
    minify: false,
    // The main entry, and the subpath modules a chat UI's main path does not need.
    lib: {
      // The main entry and one file per subpath export (package.json "exports"), so
      // the integrations, importers, sync and server stay out of the main bundle.
      entry: {
        sessionlog: src('index.ts'),
        transfer: src('entries/transfer.ts'),
        reference: src('entries/reference.ts'),
        import: src('entries/import.ts'),
        react: src('react/index.ts'),
        'ai-sdk': src('ai-sdk/index.ts'),
        'assistant-ui': src('assistant-ui/index.ts'),
        // The browser's sync client, and the sync server's handlers (Node).
        sync: src('sync/index.ts'),
        server: src('server/index.ts'),
      },
      formats: ['es'],
      fileName: (_format, name) => `${name}.js`,
    },
    rolldownOptions: {
      external: isExternal,
    },
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          setupFiles: ['test/setup-node.ts'],
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.browser.test.ts', 'test/server/**'],
        },
      },
      {
        // The sync server against a real PostgreSQL the run starts (and PGlite).
        extends: true,
        test: {
          name: 'server',
          setupFiles: ['test/setup-node.ts'],
          environment: 'node',
          include: ['test/server/**/*.test.ts'],
          globalSetup: ['test/server/global-setup.ts'],
          // PGlite (WebAssembly PostgreSQL) takes seconds to start (minutes on a
          // busy machine): files run one after another in one unisolated worker
          // so test/server/backends.ts starts ONE PGlite for the whole run.
          hookTimeout: 120_000,
          isolate: false,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        // Pre-bundled up front: discovering them mid-run makes Vite reload a running test file.
        optimizeDeps: {
          include: [
            'react',
            'react-dom',
            'react-dom/client',
            'ai',
            'ai/test',
            '@ai-sdk/react',
            '@assistant-ui/react',
            'assistant-stream',
          ],
        },
        test: {
          name: 'browser',
          include: ['test/**/*.test.ts'],
          exclude: ['test/**/*.node.test.ts', 'test/server/**'],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({ launchOptions: chromiumLaunch }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
