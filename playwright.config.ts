import { defineConfig, devices } from '@playwright/test';
import {
  DEV_PORT,
  DEV_URL,
  EXAMPLE_PORT,
  EXAMPLE_URL,
  PREVIEW_PORT,
  PREVIEW_URL,
} from './e2e/ports.js';

// Playwright cannot download its own browsers here: always use the system Chromium.
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const baseURL = DEV_URL;

export default defineConfig({
  testDir: 'e2e',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // Failure bounds, not expectations: a test takes 3–25 s on an idle 2-core machine
  // and several times that when the machine is shared (load 20–37 seen), where
  // 30 s and 5 s failed tests that were only slow.
  timeout: 90_000,
  expect: { timeout: 15_000 },
  reporter: 'list',
  use: {
    baseURL,
    trace: 'off',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        launchOptions: {
          executablePath,
          args: ['--disable-gpu', '--disable-dev-shm-usage'],
        },
      },
    },
  ],
  webServer: [
    // The dev server: the harness page (/harness.html) the library's e2e tests use.
    {
      command: `npm run demo -- --strictPort --port ${DEV_PORT}`,
      url: baseURL,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    // The demo as it ships: a production build with its service worker (the
    // offline test needs it), served by `vite preview`. e2e/demo*.spec.ts use it.
    {
      command: `npm run demo:offline -- --strictPort --port ${PREVIEW_PORT}`,
      url: PREVIEW_URL,
      reuseExistingServer: !process.env.CI,
      timeout: 180_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    // examples/ai-sdk-chat (`npm run example`): e2e/example-ai-sdk-chat.spec.ts.
    {
      command: `npm run example -- --strictPort --port ${EXAMPLE_PORT}`,
      url: EXAMPLE_URL,
      reuseExistingServer: !process.env.CI,
      timeout: 120_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
