/**
 * Builds the bench page (bench/index.html → bench/page/main.ts) in production
 * mode, minified, as an app would ship it. The page imports the library from
 * src/ directly, so the numbers are those of the real source. The runner
 * (bench/run.ts) passes the output folder.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  mode: 'production',
  logLevel: 'warn',
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    target: 'es2022',
    minify: true,
    sourcemap: false,
    emptyOutDir: true,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 10_000,
  },
});
