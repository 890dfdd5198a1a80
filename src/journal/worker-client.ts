/**
 * The main thread's side of the journal worker: one worker per page, shared
 * by every store's journal, started on first use; requests are numbered and
 * answered in order.
 */
import type { WorkerReply, WorkerRequest } from './protocol.js';

type Request = WorkerRequest extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;

/** Sends file requests to the journal worker. */
export class WorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(e: Error): void }>();
  #next = 1;
  #broken: Error | undefined;

  constructor() {
    this.#worker = new Worker(new URL('./worker.ts', import.meta.url), {
      type: 'module',
      name: 'sessionlog-journal',
    });
    this.#worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const { id, value, error } = event.data;
      const pending = this.#pending.get(id);
      this.#pending.delete(id);
      if (!pending) return;
      if (error) pending.reject(Object.assign(new Error(error.message), { name: error.name }));
      else pending.resolve(value);
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#broken = new Error(`the journal worker failed: ${event.message || 'could not start'}`);
      for (const pending of this.#pending.values()) pending.reject(this.#broken);
      this.#pending.clear();
    };
  }

  /** Sends `request` (transferring `transfer`) and resolves with the worker's answer. */
  send<T = void>(request: Request, transfer: Transferable[] = []): Promise<T> {
    if (this.#broken) return Promise.reject(this.#broken);
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ ...request, id }, transfer);
    });
  }
}

let shared: WorkerClient | undefined;

/** The page's journal worker, started on first use. */
export function journalWorker(): WorkerClient {
  shared ??= new WorkerClient();
  return shared;
}
