/**
 * Where a store's journal lives: one directory per database in the Origin
 * Private File System, holding numbered segment files `<segment>.<gen>.log`.
 * Each writing store owns one segment, held through a Web Lock named after
 * it, so a segment whose lock is free belongs to a store that is gone.
 */

import { journalUnsupported } from './support.js';

/** Top directory of every journal in the origin's private file system. */
const ROOT = 'sessionlog-journal';

/** A segment file: its segment number, generation (bumped by compaction) and name. */
export interface SegmentFile {
  segment: number;
  gen: number;
  file: string;
}

/** The OPFS path of database `name`'s journal. */
export function journalPath(name: string): string[] {
  return [ROOT, encodeURIComponent(name)];
}

/** The file name of generation `gen` of segment `segment`. */
export function segmentFile(segment: number, gen: number): string {
  return `${segment}.${gen}.log`;
}

/** The Web Lock a segment's writer holds. */
export function segmentLock(name: string, segment: number): string {
  return `sessionlog:${name}:journal:${segment}`;
}

/** The directory at `path`, created if `create`; `undefined` if missing. */
export async function directory(
  path: readonly string[],
  create: boolean,
): Promise<FileSystemDirectoryHandle | undefined> {
  let dir = await navigator.storage.getDirectory();
  for (const name of path) {
    try {
      dir = await dir.getDirectoryHandle(name, { create });
    } catch (error) {
      if ((error as { name?: string })?.name === 'NotFoundError') return undefined;
      throw error;
    }
  }
  return dir;
}

/** The segment files in `dir`, by segment number, oldest generation first. */
export async function listSegments(
  dir: FileSystemDirectoryHandle,
): Promise<Map<number, SegmentFile[]>> {
  const out = new Map<number, SegmentFile[]>();
  for await (const file of dir.keys()) {
    const match = /^(\d+)\.(\d+)\.log$/.exec(file);
    if (!match) continue;
    const entry = { segment: Number(match[1]), gen: Number(match[2]), file };
    const list = out.get(entry.segment);
    if (list) list.push(entry);
    else out.set(entry.segment, [entry]);
  }
  for (const list of out.values()) list.sort((a, b) => a.gen - b.gen);
  return out;
}

/**
 * Bytes of `file` from offset `from` (or what `from` says for the file's
 * size) to its end (asynchronous API: no worker needed).
 */
export async function readFrom(
  dir: FileSystemDirectoryHandle,
  file: string,
  from: number | ((size: number) => number),
): Promise<{ bytes: Uint8Array; size: number; start: number }> {
  const blob = await (await dir.getFileHandle(file)).getFile();
  const start = Math.min(typeof from === 'number' ? from : from(blob.size), blob.size);
  return { bytes: new Uint8Array(await blob.slice(start).arrayBuffer()), size: blob.size, start };
}

/**
 * Takes each Web Lock of `names` that no context holds or waits for, and
 * holds it until its function is called. Held locks are found with one
 * `locks.query()` first. That, like asking for a held lock, makes Chromium
 * evict a page in the back/forward cache that holds any lock
 * (WebLocksContention): a store lets go of its segment before its page is
 * cached (src/store/page-lifecycle.ts).
 */
export async function takeFreeLocks(
  names: readonly string[],
  busy?: ReadonlySet<string>,
): Promise<Map<string, () => void>> {
  const taken = new Map<string, () => void>();
  if (names.length === 0) return taken;
  const held = busy ?? (await heldLocks());
  const free = names.filter((name) => !held.has(name));
  const releases = await Promise.all(free.map((name) => takeLock(name)));
  free.forEach((name, i) => {
    const release = releases[i];
    if (release) taken.set(name, release);
  });
  return taken;
}

/** Names of the Web Locks held or waited for now (everything, when they cannot be listed). */
export async function heldLocks(): Promise<ReadonlySet<string>> {
  try {
    const state = await navigator.locks.query();
    return new Set([...(state.held ?? []), ...(state.pending ?? [])].map((l) => l.name ?? ''));
  } catch {
    return { has: () => true } as unknown as ReadonlySet<string>;
  }
}

/**
 * Takes Web Lock `name` and holds it until the returned function is called;
 * `undefined` when another context holds it (and `wait` is false).
 */
export function takeLock(name: string, wait = false): Promise<(() => void) | undefined> {
  return new Promise((resolve) => {
    navigator.locks
      .request(name, { ifAvailable: !wait }, (lock) => {
        if (!lock) {
          resolve(undefined);
          return undefined;
        }
        return new Promise<void>((release) => resolve(release));
      })
      .catch(() => resolve(undefined));
  });
}

/**
 * Removes database `name`'s journal, waiting for each segment's writer to
 * let go of it first.
 */
export async function removeJournal(name: string): Promise<void> {
  if (journalUnsupported()) return;
  const dir = await directory(journalPath(name), false);
  if (!dir) return;
  for (const segment of (await listSegments(dir)).keys()) {
    const release = await takeLock(segmentLock(name, segment), true);
    try {
      for (const { file } of (await listSegments(dir)).get(segment) ?? [])
        await dir.removeEntry(file).catch(() => {});
    } finally {
      release?.();
    }
  }
  const parent = await directory(journalPath(name).slice(0, -1), false);
  await parent?.removeEntry(encodeURIComponent(name), { recursive: true }).catch(() => {});
}
