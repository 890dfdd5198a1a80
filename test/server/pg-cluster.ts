/**
 * Throwaway PostgreSQL clusters for the sync tests: initdb into a temp dir,
 * `pg_ctl -w start` on a loopback port, removed by `stop()`. As root the
 * binaries run as the `postgres` user (initdb refuses root).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Base port of the test clusters and the e2e sync server (base to base + 40):
 * SESSIONLOG_PG_PORT, default 25432. Below Linux's ephemeral range (32768 and
 * up), where any outgoing connection of the suite may hold the port: a run saw
 * `EADDRINUSE` on 54340, the old default's sync server port.
 */
export const PG_BASE_PORT = Number(process.env.SESSIONLOG_PG_PORT ?? 25432);

/** Directory of the PostgreSQL binaries (PG_BINDIR, else the newest Debian install). */
export function binDir(): string {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('PostgreSQL not found: run .ci/ensure-postgresql');
  return `/usr/lib/postgresql/${versions[0]}/bin`;
}

const isRoot = process.getuid?.() === 0;

async function pg(tool: string, args: string[]): Promise<string> {
  const bin = join(binDir(), tool);
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const { stdout } = await run(cmd, argv, { cwd: tmpdir() });
  return stdout;
}

/** A running test cluster. */
export interface Cluster {
  port: number;
  dir: string;
  /** Connection string for the `postgres` database as user `postgres`. */
  url: string;
  /** Stops it (fast shutdown), or crashes it (`immediate`). */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again on the same data directory. */
  start(): Promise<void>;
  /** Stops it and deletes its directory. */
  destroy(): Promise<void>;
}

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (isRoot) {
    const { uid, gid } = postgresUser();
    chownSync(dir, uid, gid);
  }
  return dir;
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
  return { uid: id('-u'), gid: id('-g') };
}

function cluster(dir: string, port: number): Cluster {
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off`;
  const self: Cluster = {
    port,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      await pg('pg_ctl', [
        '-D',
        join(dir, 'data'),
        '-w',
        '-l',
        join(dir, 'log'),
        '-o',
        options,
        'start',
      ]);
    },
    async stop(mode = 'fast') {
      await pg('pg_ctl', ['-D', join(dir, 'data'), '-w', '-m', mode, 'stop']).catch(() => {});
    },
    async destroy() {
      await self.stop('immediate');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** Creates and starts a fresh cluster on `port`. */
export async function startCluster(port: number): Promise<Cluster> {
  const dir = tempDir('sessionlog-pg-');
  await pg('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const c = cluster(dir, port);
  await c.start();
  return c;
}

/** Creates and starts a streaming replica of `primary` (pg_basebackup -R) on `port`. */
export async function startReplica(primary: Cluster, port: number): Promise<Cluster> {
  const dir = tempDir('sessionlog-pg-replica-');
  await pg('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'postgres',
    '-D',
    join(dir, 'data'),
    '-R',
    '--checkpoint=fast',
    '--no-sync',
  ]);
  const c = cluster(dir, port);
  await c.start();
  return c;
}
