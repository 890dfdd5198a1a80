/**
 * The journal's dedicated worker: the only place `FileSystemSyncAccessHandle`
 * exists. It holds one open handle per journal segment and does the raw file
 * I/O the main thread asks for; framing, checks and policy stay on the main
 * thread (src/journal/journal.ts). Requests on one worker run in arrival order.
 */
import type { WorkerReply, WorkerRequest } from './protocol.js';
import { rewriteInPlace, type SyncHandle, writeAll } from './sync-handle.js';

interface WorkerScope {
  onmessage: ((event: MessageEvent<WorkerRequest>) => void) | null;
  postMessage(message: WorkerReply, transfer?: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
const handles = new Map<string, SyncHandle>();

async function directory(path: readonly string[]): Promise<FileSystemDirectoryHandle> {
  let dir = await navigator.storage.getDirectory();
  for (const name of path) dir = await dir.getDirectoryHandle(name, { create: true });
  return dir;
}

async function open(dir: readonly string[], file: string): Promise<SyncHandle> {
  const key = [...dir, file].join('/');
  let handle = handles.get(key);
  if (!handle) {
    const fileHandle = await (await directory(dir)).getFileHandle(file, { create: true });
    handle = await (
      fileHandle as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }
    ).createSyncAccessHandle();
    handles.set(key, handle);
  }
  return handle;
}

function close(dir: readonly string[], file: string): void {
  const key = [...dir, file].join('/');
  handles.get(key)?.close();
  handles.delete(key);
}

async function handle(
  request: WorkerRequest,
): Promise<{ value?: unknown; transfer?: Transferable[] }> {
  switch (request.op) {
    case 'open':
      return { value: (await open(request.dir, request.file)).getSize() };
    case 'write': {
      const h = await open(request.dir, request.file);
      const bytes = new Uint8Array(request.bytes);
      writeAll(h, bytes, request.at);
      if (request.flush) h.flush();
      return {};
    }
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

// One request at a time, in arrival order (an `open` must finish before the write after it).
let queue: Promise<unknown> = Promise.resolve();
scope.onmessage = (event) => {
  const request = event.data;
  queue = queue
    .then(() => handle(request))
    .then(
      ({ value, transfer }) => scope.postMessage({ id: request.id, value }, transfer ?? []),
      (error: unknown) =>
        scope.postMessage({
          id: request.id,
          error: {
            name: (error as { name?: string })?.name ?? 'Error',
            message: (error as { message?: string })?.message ?? String(error),
          },
        }),
    );
};
