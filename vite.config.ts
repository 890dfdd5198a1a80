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
const deps = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})];
const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));
const isExternal = (id: string) => deps.some((dep) => id === dep || id.startsWith(`${dep}/`));

export default defineConfig({
  build: {
    target: 'es2022',
    sourcemap: true,
    // Consumers' bundlers minify; shipping readable ESM keeps stack traces and diffs useful.
    minify: false,
    lib: {
      // The main entry and one file per subpath export (package.json "exports"), so
      // the integrations and the importers stay out of the main bundle.
      entry: {
        sessionlog: src('index.ts'),
        react: src('react/index.ts'),
        'ai-sdk': src('ai-sdk/index.ts'),
        'assistant-ui': src('assistant-ui/index.ts'),
        import: src('import.ts'),
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
          exclude: ['test/**/*.browser.test.ts'],
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
          exclude: ['test/**/*.node.test.ts'],
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
