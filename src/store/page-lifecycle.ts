/**
 * The page lifecycle as the store sees it: a page coming back (from the
 * bfcache, unfrozen, visible again) may have missed tab messages, so it
 * catches up; a frozen page reads nothing.
 */

/** Watches the page's lifecycle events for one store. */
export class PageLifecycle {
  #frozen = false;
  readonly #cleanup: () => void;

  /** @param catchUp called whenever the page may have missed messages */
  constructor(catchUp: () => void) {
    if (typeof window === 'undefined' || typeof document === 'undefined') {
      this.#cleanup = () => {};
      return;
    }
    // A page resumed from freezing may still be hidden (a background tab): catch up anyway.
    const onVisibility = () => {
      if (document.visibilityState === 'visible') catchUp();
    };
    // A frozen page still receives channel messages but its IndexedDB requests
    // do not complete: a read started then would hold its locks, and block the
    // writes of every other tab, until the page resumes. So nothing is read
    // while frozen, and everything missed is read on `resume`.
    const onFreeze = () => {
      this.#frozen = true;
    };
    const onResume = () => {
      this.#frozen = false;
      catchUp();
    };
    window.addEventListener('pageshow', catchUp);
    document.addEventListener('visibilitychange', onVisibility);
    document.addEventListener('freeze', onFreeze);
    document.addEventListener('resume', onResume);
    this.#cleanup = () => {
      window.removeEventListener('pageshow', catchUp);
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
