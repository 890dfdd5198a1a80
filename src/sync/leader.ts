/**
 * One tab per origin talks to the sync server: the holder of a Web Lock. A
 * leader that is hidden while another tab waits, or that is about to be
 * frozen, lets go and queues again, so a throttled or frozen tab never stalls
 * sync for the others. Without Web Locks (Node, old browsers) the caller
 * always leads.
 */

/** A running leadership: `stop()` releases it for good. */
export interface Leadership {
  stop(): void;
}

interface LockManagerLike {
  request(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<void>,
  ): Promise<unknown>;
  query?(): Promise<{ pending?: Array<{ name?: string }> }>;
}

/**
 * Runs `lead(signal)` whenever this tab holds the lock `name`; `signal`
 * aborts when it must let go. `lead` should return once `signal` aborts.
 */
export function holdLeadership(
  name: string,
  lead: (signal: AbortSignal) => Promise<void>,
): Leadership {
  const locks = (globalThis.navigator as { locks?: LockManagerLike } | undefined)?.locks;
  const stopped = new AbortController();
  if (!locks) {
    void lead(stopped.signal);
    return { stop: () => stopped.abort() };
  }
  let current: AbortController | undefined;
  const doc = globalThis.document as Document | undefined;
  const yieldIfWaited = async () => {
    if (!current || doc?.visibilityState !== 'hidden') return;
    const state = await locks.query?.().catch(() => undefined);
    if (state?.pending?.some((p) => p.name === name)) current?.abort();
  };
  const onFreeze = () => current?.abort();
  const onHidden = () => void yieldIfWaited();
  doc?.addEventListener('freeze', onFreeze);
  doc?.addEventListener('visibilitychange', onHidden);
  // A hidden leader checks now and then whether a visible tab is waiting.
  const poll = setInterval(() => void yieldIfWaited(), 5000);
  // The lead of the last turn, which may still be winding down after it let go.
  let running: Promise<void> = Promise.resolve();
  const queue = () => {
    if (stopped.signal.aborted) return;
    locks
      .request(
        name,
        { signal: stopped.signal },
        // The lock goes as soon as the turn ends, not when `lead` has wound
        // down: a tab about to be frozen runs no more tasks, only microtasks.
        () =>
          new Promise<void>((release) => {
            const turn = new AbortController();
            current = turn;
            const end = () => turn.abort();
            stopped.signal.addEventListener('abort', end, { once: true });
            turn.signal.addEventListener('abort', () => release(), { once: true });
            running = lead(turn.signal).finally(() => {
              stopped.signal.removeEventListener('abort', end);
              if (current === turn) current = undefined;
              turn.abort();
            });
          }),
      )
      .catch(() => {}) // aborted while queued
      .finally(() => running.then(queue)); // let go: queue again (behind the tabs waiting)
  };
  queue();
  return {
    stop() {
      stopped.abort();
      clearInterval(poll);
      doc?.removeEventListener('freeze', onFreeze);
      doc?.removeEventListener('visibilitychange', onHidden);
    },
  };
}
