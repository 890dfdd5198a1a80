/**
 * The one way the e2e suite starts Chromium by hand, and the temporary
 * profiles browsers write into. A profile is removed only once no process of
 * its browser is left: Chromium's helper processes (the storage and network
 * services, renderers) outlive the browser process for a moment and keep
 * writing into the profile, so removing it as soon as the browser process has
 * exited fails with ENOTEMPTY now and then.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium } from '@playwright/test';

/** The Chromium the suite runs (Playwright cannot download its own here). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Flags every Chromium of the suite gets (as playwright.config.ts passes them). */
export const BASE_ARGS = ['--disable-gpu', '--disable-dev-shm-usage'];

/** How long a browser gets to exit by itself before it is killed. */
const EXIT_GRACE_MS = 10_000;
/** How long the kernel gets to end killed processes; past it something is badly wrong. */
const KILL_WAIT_MS = 30_000;
const POLL_MS = 20;

interface ProcessInfo {
  pid: number;
  group: number;
  cmdline: string;
}

/** Live processes (zombies have exited: they hold no file open). */
function processes(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid pgrp ...", and comm may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      out.push({ pid: Number(entry), group: Number(fields[2]), cmdline });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** Pids of the live processes whose command line names `profile` (a browser's user data dir). */
export function processesOf(profile: string): number[] {
  return processes()
    .filter((p) => p.cmdline.includes(profile))
    .map((p) => p.pid);
}

function signal(pids: readonly number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // gone already
    }
  }
}

/**
 * Waits until `alive()` lists no process; after `graceMs`, SIGKILLs what is
 * left and waits again. Throws if processes survive even that.
 */
async function waitForExit(alive: () => number[], graceMs: number, what: string): Promise<void> {
  for (const [limit, then] of [
    [graceMs, 'SIGKILL'],
    [KILL_WAIT_MS, undefined],
  ] as const) {
    const deadline = Date.now() + limit;
    while (alive().length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const left = alive();
    if (left.length === 0) return;
    if (!then) throw new Error(`${what}: processes ${left.join(', ')} did not exit`);
    signal(left, then);
  }
}

/** A temporary browser profile. */
export interface TempProfile {
  readonly dir: string;
  /** Waits until no process uses the profile (killing any left after a grace period), then removes it. */
  remove(): Promise<void>;
}

const profiles = new Set<string>();

async function removeProfile(dir: string, graceMs: number): Promise<void> {
  await waitForExit(() => processesOf(dir), graceMs, `browser of ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  profiles.delete(dir);
}

/** A fresh temporary profile directory, `sessionlog-<label>-…` in the temp folder. */
export function tempProfile(label: string): TempProfile {
  const dir = mkdtempSync(join(tmpdir(), `sessionlog-${label}-`));
  profiles.add(dir);
  return { dir, remove: () => removeProfile(dir, EXIT_GRACE_MS) };
}

/**
 * Removes the profiles tests left (a test that timed out never reaches its
 * `finally`), killing their browsers first. For an `afterEach`.
 */
export async function removeTempProfiles(): Promise<void> {
  for (const dir of [...profiles]) await removeProfile(dir, 0);
}

/** A Chromium started by {@link launchBareChromium}. */
export interface BareChromium {
  browser: Browser;
  /** Its default context (on the profile). */
  context: BrowserContext;
  profile: TempProfile;
  /** Closes the browser, waits until every one of its processes has exited, removes the profile. */
  close(): Promise<void>;
}

/**
 * Chromium started by hand and driven over CDP with Playwright's defaults
 * off. Playwright's own launch enables focus emulation, which keeps every
 * page "visible" so `Page.setWebLifecycleState` cannot freeze it, and passes
 * `--disable-back-forward-cache`; this browser has neither. It runs in its own
 * process group, so closing it can wait for all of its processes.
 */
export async function launchBareChromium(
  options: { args?: readonly string[]; label?: string } = {},
): Promise<BareChromium> {
  const profile = tempProfile(options.label ?? 'bare');
  const child = spawn(
    CHROMIUM_PATH,
    [
      '--headless',
      '--no-sandbox', // as Playwright launches it (the suite may run as root)
      ...BASE_ARGS,
      ...(options.args ?? []),
      '--no-first-run',
      '--no-default-browser-check',
      '--remote-debugging-port=0',
      `--user-data-dir=${profile.dir}`,
      'about:blank',
    ],
    { stdio: 'ignore', detached: true },
  );
  child.unref();
  const group = child.pid!;
  const inGroup = () =>
    processes()
      .filter((p) => p.group === group)
      .map((p) => p.pid);
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close().catch(() => {});
    signal([-group], 'SIGTERM');
    await waitForExit(inGroup, EXIT_GRACE_MS, `Chromium ${group}`);
    await profile.remove();
  };
  try {
    const portFile = join(profile.dir, 'DevToolsActivePort');
    const deadline = Date.now() + 30_000;
    while (!existsSync(portFile) || !readFileSync(portFile, 'utf8').includes('\n')) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `Chromium exited (${child.exitCode ?? child.signalCode}) before it listened`,
        );
      if (Date.now() > deadline) throw new Error('Chromium did not open its DevTools port in 30 s');
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const port = readFileSync(portFile, 'utf8').split('\n')[0];
    browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`, { noDefaults: true });
    return { browser, context: browser.contexts()[0]!, profile, close };
  } catch (error) {
    await close();
    throw error;
  }
}
