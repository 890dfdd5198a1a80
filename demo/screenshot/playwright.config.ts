import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

// `npm run demo:screenshot`: rebuilds docs/demo.png from the production build
// of the demo. Not part of the test suite (it writes a committed file). It
// builds and serves its own copy (own directory, own port), so it never
// serves a stale build or disturbs an e2e run.
const port = 4180;
const outDir = '../node_modules/.cache/sessionlog-demo-screenshot';
process.env.DEMO_URL = `http://127.0.0.1:${port}/`;

export default defineConfig({
  testDir: '.',
  testMatch: 'take-screenshot.ts',
  workers: 1,
  retries: 0,
  timeout: 90_000,
  reporter: 'list',
  use: {
    viewport: { width: 1440, height: 900 },
    deviceScaleFactor: 1,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--disable-gpu', '--disable-dev-shm-usage'],
    },
  },
  webServer: {
    command: `npx vite build --config demo/vite.config.ts --outDir ${outDir} && npx vite preview --config demo/vite.config.ts --outDir ${outDir} --port ${port} --strictPort`,
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
