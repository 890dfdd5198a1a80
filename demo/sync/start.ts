/**
 * `npm run demo:sync`: the demo and a sync server in one command, no setup.
 * The sync server runs on embedded PGlite (DATABASE_URL: a real PostgreSQL)
 * and the demo's dev server proxies /sync to it, so the page syncs with its
 * own origin. Open the printed URL in a second browser profile or a private
 * window to watch a second device converge.
 */
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';
import { startSyncServer } from './server.js';

const syncPort = Number(process.env.SYNC_PORT ?? 8787);
const port = Number(process.env.SESSIONLOG_DEV_PORT ?? 5173);
const stopSync = await startSyncServer(syncPort);
process.env.VITE_SESSIONLOG_SYNC = '/sync';
const vite = await createServer({
  configFile: fileURLToPath(new URL('../vite.config.ts', import.meta.url)),
  server: {
    port,
    strictPort: true,
    proxy: { '/sync': `http://127.0.0.1:${syncPort}` },
  },
});
await vite.listen();
vite.printUrls();
const stop = async () => {
  await vite.close();
  await stopSync();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
