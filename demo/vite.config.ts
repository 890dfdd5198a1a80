import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

// Dev server and static build for the demo. `sessionlog` resolves to the
// library source, so the demo always runs the code in src/ without a build step.
//
// The service worker (vite-plugin-pwa, Workbox generateSW) exists only in the
// build: `npm run demo:offline` builds and serves it. It precaches the whole
// app, so the app loads with the network off. The dev server (`npm run demo`,
// also used by the e2e harness page) registers no service worker.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: [
      {
        find: /^sessionlog$/,
        replacement: fileURLToPath(new URL('../src/index.ts', import.meta.url)),
      },
      ...['transfer', 'reference'].map((entry) => ({
        find: `sessionlog/${entry}`,
        replacement: fileURLToPath(new URL(`../src/entries/${entry}.ts`, import.meta.url)),
      })),
    ],
  },
  plugins: [
    VitePWA({
      // The SW takes over at once (skipWaiting + clientsClaim); the page decides
      // when to reload for an update (it shows a notice instead of reloading).
      registerType: 'autoUpdate',
      injectRegister: false,
      includeAssets: ['icon.svg'],
      manifest: {
        name: 'sessionlog demo',
        short_name: 'sessionlog',
        description: 'An offline-first chat on an event-sourced IndexedDB log.',
        theme_color: '#4f46e5',
        background_color: '#f7f7fb',
        display: 'standalone',
        start_url: '.',
        icons: [{ src: 'icon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
      },
      workbox: {
        globPatterns: ['**/*.{js,css,html,svg,webmanifest}'],
        navigateFallback: 'index.html',
        // Take over at once, also the page that registered the worker.
        skipWaiting: true,
        clientsClaim: true,
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  server: {
    host: '127.0.0.1',
    port: 5173,
  },
  preview: {
    host: '127.0.0.1',
    port: 4173,
  },
  build: {
    outDir: fileURLToPath(new URL('../dist-demo', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
  },
});
