import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// Dev server and static build for the demo page. `sessionlog` resolves to the
// library source, so the demo always runs the code in src/ without a build step.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  resolve: {
    alias: {
      sessionlog: fileURLToPath(new URL('../src/index.ts', import.meta.url)),
    },
  },
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
