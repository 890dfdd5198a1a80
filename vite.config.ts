import { fileURLToPath } from 'node:url';
import { playwright } from '@vitest/browser-playwright';
import { defineConfig } from 'vitest/config';
import pkg from './package.json' with { type: 'json' };

// Playwright cannot download its own browsers here: always use the system Chromium.
const chromiumLaunch = {
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--disable-gpu', '--disable-dev-shm-usage'],
};

// Every runtime dependency (and its subpath imports, e.g. '@noble/hashes/blake2.js')
// stays external: the consumer's bundler resolves and dedupes them.
const deps = Object.keys(pkg.dependencies ?? {});
const isExternal = (id: string) => deps.some((dep) => id === dep || id.startsWith(`${dep}/`));

export default defineConfig({
  build: {
    target: 'es2022',
    sourcemap: true,
    // Consumers' bundlers minify; shipping readable ESM keeps stack traces and diffs useful.
    minify: false,
    // The main entry, and the subpath modules a chat UI's main path does not need.
    lib: {
      entry: {
        sessionlog: fileURLToPath(new URL('./src/index.ts', import.meta.url)),
        transfer: fileURLToPath(new URL('./src/entries/transfer.ts', import.meta.url)),
        reference: fileURLToPath(new URL('./src/entries/reference.ts', import.meta.url)),
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
