/**
 * Long-poll wake-ups: one LISTEN per handler, woken by the NOTIFY each push
 * sends on commit. A waiter is armed before its pull reads, so a commit
 * between the read and the wait still wakes it.
 */
import type { SqlDatabase } from './database.js';
import { NOTIFY_CHANNEL } from './schema.js';

/** A pending wake-up for one tenant. */
export interface Ticket {
  /** Resolves when a push for the tenant commits (or the listener reconnected). */
  readonly woken: Promise<void>;
  /** Stops waiting. */
  cancel(): void;
}

/** Tenants' long polls waiting for a NOTIFY. */
export class LiveWaiters {
  readonly #db: SqlDatabase;
  readonly #waiters = new Map<string, Set<() => void>>();
  #listening: Promise<() => Promise<void>> | undefined;
  #closed = false;

  constructor(db: SqlDatabase) {
    this.#db = db;
  }

  /** Arms a wake-up for `tenant`; starts listening on first use. */
  async arm(tenant: string): Promise<Ticket> {
    // Closed: no LISTEN again (a long poll woken by `close` re-arms before its abort
    // arrives; a new listener would hold a pool client that the pool's end waits for).
    if (this.#closed) return { woken: new Promise<void>(() => {}), cancel: () => {} };
    this.#listening ??= this.#db.listen(
      NOTIFY_CHANNEL,
      (payload) => this.#wake(payload),
      () => this.#wakeAll(),
    );
    try {
      await this.#listening;
    } catch (error) {
      this.#listening = undefined;
      throw error;
    }
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    const waiters = this.#waiters.get(tenant) ?? new Set<() => void>();
    this.#waiters.set(tenant, waiters);
    waiters.add(wake);
    const cancel = () => {
      waiters.delete(wake);
      if (waiters.size === 0 && this.#waiters.get(tenant) === waiters) this.#waiters.delete(tenant);
    };
    woken.then(cancel);
    return { woken, cancel };
  }

  #wake(payload: string): void {
    if (payload === '*') this.#wakeAll();
    else for (const wake of [...(this.#waiters.get(payload) ?? [])]) wake();
  }

  #wakeAll(): void {
    for (const set of [...this.#waiters.values()]) for (const wake of [...set]) wake();
  }

  /** Stops listening for good and wakes every waiter; later waits are never woken. */
  async close(): Promise<void> {
    this.#closed = true;
    const listening = this.#listening;
    this.#listening = undefined;
    this.#wakeAll();
    if (listening) await (await listening.catch(() => async () => {}))();
  }
}
