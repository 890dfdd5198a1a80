/**
 * The journal's dedicated worker: the only place `FileSystemSyncAccessHandle`
 * exists. It holds one open handle per journal segment and does the raw file
 * I/O the main thread asks for; framing, checks and policy stay on the main
 * thread (src/journal/journal.ts). Requests on one worker run in arrival order.
 *
 * While it holds a file's handle the worker also holds a Web Lock named after
 * the file ({@link fileLock}), and lets go of it just after closing the
 * handle: a store that takes over a segment (its writer's page went into the
 * back/forward cache and let go of the segment) waits for that lock before
 * opening the file, so it never meets the old handle still open (a worker
 * frozen before it closed it). Asking for the lock then evicts that cached
 * page, which closes its handle.
 */

import { sealFrame } from './frame.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';
import { rewriteInPlace, type SyncHandle, writeAll } from './sync-handle.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
const handles = new Map<string, { handle: SyncHandle; release: () => void }>();

/** The Web Lock held while file `key` (its OPFS path) is open here. */
function fileLock(key: string): string {
  return `sessionlog-file:${key}`;
}

/** Waits for Web Lock `name`; resolves to its release. */
function lock(name: string): Promise<() => void> {
  return new Promise((resolve, reject) => {
    navigator.locks
      .request(name, () => new Promise<void>((release) => resolve(release)))
      .catch(reject);
  });
}

async function directory(path: readonly string[]): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const name of path) dir = await dir.getDirectoryHandle(name, { create: true });
  return dir;
}

/** A file's key in `handles`: its OPFS path. */
function keyOf(ref: { dir: readonly string[]; file: string }): string {
  return [...ref.dir, ref.file].join('/');
}

async function open(dir: readonly string[], file: string): Promise<SyncHandle> {
  const key = keyOf({ dir, file });
  const open = handles.get(key);
  if (open) return open.handle;
  const release = await lock(fileLock(key));
  try {
    const fileHandle = await (await directory(dir)).getFileHandle(file, { create: true });
    const handle = await (
      fileHandle as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }
    ).createSyncAccessHandle();
    handles.set(key, { handle, release });
    return handle;
  } catch (error) {
    release();
    throw error;
  }
}

function close(dir: readonly string[], file: string): void {
  const key = keyOf({ dir, file });
  const open = handles.get(key);
  handles.delete(key);
  if (!open) return;
  try {
    open.handle.close();
  } finally {
    open.release();
  }
}

async function handle(
  request: WorkerRequest,
): Promise<{ value?: unknown; transfer?: Transferable[] }> {
  switch (request.op) {
    case 'open':
      return { value: (await open(request.dir, request.file)).getSize() };
    case 'write':
      writeFrame(request, await open(request.dir, request.file));
      return {};
    case 'truncate': {
      const h = await open(request.dir, request.file);
      h.truncate(request.size);
      h.flush();
      return {};
    }
    case 'grow': {
      // Zeros up to `size`: the room later frames are written into without new quota.
      const h = await open(request.dir, request.file);
      if (h.getSize() < request.size) {
        h.truncate(request.size);
        if (h.getSize() !== request.size)
          throw new DOMException(`growth to ${request.size} bytes refused`, 'QuotaExceededError');
        h.flush();
      }
      return {};
    }
    case 'rewrite': {
      const h = await open(request.dir, request.file);
      const size = rewriteInPlace(h, request);
      // Renamed (the next generation), so that no database watermark names a
      // frame of the file as it was. Where `move` is missing the name stays,
      // and the probe's look at the watermark's frame still tells.
      close(request.dir, request.file);
      const file = await (await directory(request.dir)).getFileHandle(request.file);
      const move = (file as unknown as { move?(name: string): Promise<void> }).move;
      const renamed = await move?.call(file, request.rename).then(
        () => true,
        () => false,
      );
      return { value: { size, file: renamed ? request.rename : request.file } };
    }
    case 'read': {
      const h = await open(request.dir, request.file);
      const size = h.getSize();
      const bytes = new Uint8Array(Math.max(0, size - request.from));
      let done = 0;
      while (done < bytes.length) {
        const n = h.read(bytes.subarray(done), { at: request.from + done });
        if (n === 0) break;
        done += n;
      }
      return { value: bytes.buffer, transfer: [bytes.buffer] };
    }
    case 'replace': {
      // Write the new file completely and flush it before the old ones go: a
      // crash in between leaves both, and reading both is harmless.
      const h = await open(request.dir, request.file);
      const bytes = new Uint8Array(request.bytes);
      const dir = await directory(request.dir);
      try {
        h.truncate(0);
        writeAll(h, bytes, 0);
        h.flush();
      } catch (error) {
        // Refused (a full quota): the old files stay as they were, the new one goes.
        close(request.dir, request.file);
        await dir.removeEntry(request.file).catch(() => {});
        throw error;
      }
      if (!request.keepOpen) close(request.dir, request.file);
      for (const file of request.remove) {
        close(request.dir, file);
        await dir.removeEntry(file).catch(() => {});
      }
      return {};
    }
    case 'close':
      close(request.dir, request.file);
      return {};
  }
}

function reply(id: number, outcome: { value?: unknown; transfer?: Transferable[] }): void {
  scope.postMessage({ id, value: outcome.value }, outcome.transfer ?? []);
}

function fail(id: number, error: unknown): void {
  scope.postMessage({
    id,
    error: {
      name: (error as { name?: string })?.name ?? 'Error',
      message: (error as { message?: string })?.message ?? String(error),
    },
  });
}

type WriteRequest = Extract<WorkerRequest, { op: 'write' }>;

/** Writes a request's bytes, sealing its frame first (hashed here, not on the page's main thread: see openFrame). */
function writeFrame(request: WriteRequest, h: SyncHandle): void {
  const bytes = new Uint8Array(request.bytes);
  writeAll(h, request.seal ? sealFrame(bytes) : bytes, request.at);
  if (request.flush) h.flush();
}

/** Writes a frame to a file open here, at once (the commit path's common case). */
function writeNow(request: WriteRequest, h: SyncHandle): void {
  try {
    writeFrame(request, h);
    reply(request.id, {});
  } catch (error) {
    fail(request.id, error);
  }
}

// One request at a time, in arrival order (an `open` must finish before the write after it).
let queue: Promise<unknown> = Promise.resolve();
let queued = 0;
scope.onmessage = (event) => {
  const request = event.data;
  // Nothing before it still running and its file open: no turn through the queue.
  const file = request.op === 'write' && queued === 0 && handles.get(keyOf(request));
  if (file) {
    writeNow(request as WriteRequest, file.handle);
    return;
  }
  queued++;
  queue = queue
    .then(() => handle(request))
    .then(
      (outcome) => reply(request.id, outcome),
      (error: unknown) => fail(request.id, error),
    )
    .finally(() => {
      queued--;
    });
};
