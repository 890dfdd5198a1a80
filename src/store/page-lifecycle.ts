/**
 * The page lifecycle as the store sees it: a page coming back (from the
 * bfcache, unfrozen, visible again) may have missed tab messages, so it
 * catches up; a frozen page reads nothing; a page going into the back/forward
 * cache lets its parts give up what would get it evicted (the journal's Web
 * Lock: Chromium evicts a cached page holding one as soon as another context
 * asks for it or calls `locks.query()`, reason `WebLocksContention`).
 */

/** What a store does at the page's lifecycle events. */
export interface PageHooks {
  /** The page may have missed messages (shown again, visible again, resumed). */
  catchUp?: () => void;
  /** The page goes into the back/forward cache (`pagehide` with `persisted`). */
  cached?: () => void;
  /** The page is back from the back/forward cache (`pageshow` with `persisted`). */
  restored?: () => void;
}

/** Watches the page's lifecycle events for one store. */
export class PageLifecycle {
  #frozen = false;
  readonly #cleanup: () => void;

  constructor({ catchUp, cached, restored }: PageHooks) {
    if (typeof window === 'undefined' || typeof document === 'undefined') {
      this.#cleanup = () => {};
      return;
    }
    const onShow = (event: PageTransitionEvent) => {
      if (event.persisted) restored?.();
      catchUp?.();
    };
    const onHide = (event: PageTransitionEvent) => {
      if (event.persisted) cached?.();
    };
    // A page resumed from freezing may still be hidden (a background tab): catch up anyway.
    const onVisibility = () => {
      if (document.visibilityState === 'visible') catchUp?.();
    };
    // A frozen page still receives channel messages but its IndexedDB requests
    // do not complete: a read started then would hold its locks, and block the
    // writes of every other tab, until the page resumes. So nothing is read
    // while frozen, and everything missed is read on `resume` (only with a
    // catch-up to do it: without one, freezing is not tracked).
    const onFreeze = () => {
      this.#frozen = true;
    };
    const onResume = () => {
      this.#frozen = false;
      catchUp?.();
    };
    window.addEventListener('pageshow', onShow);
    window.addEventListener('pagehide', onHide);
    if (catchUp) {
      document.addEventListener('visibilitychange', onVisibility);
      document.addEventListener('freeze', onFreeze);
      document.addEventListener('resume', onResume);
    }
    this.#cleanup = () => {
      window.removeEventListener('pageshow', onShow);
      window.removeEventListener('pagehide', onHide);
      document.removeEventListener('visibilitychange', onVisibility);
      document.removeEventListener('freeze', onFreeze);
      document.removeEventListener('resume', onResume);
    };
  }

  /** Between the page's `freeze` and `resume` events: IndexedDB requests would not complete. */
  get frozen(): boolean {
    return this.#frozen;
  }

  /** Stops watching. */
  close(): void {
    this.#cleanup();
  }
}
