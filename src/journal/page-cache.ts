/**
 * The back/forward cache as the journal sees it. Chromium evicts a cached
 * page that holds a Web Lock as soon as another context of the origin asks
 * for that lock or lists the origin's locks with `locks.query()` (reason
 * `WebLocksContention`); every store's journal check lists them, and a
 * journal's writer holds its segment's lock. So a page going into the cache
 * lets go of its segment (`pagehide` with `persisted`), and takes one again
 * when it comes back (`pageshow` with `persisted`).
 */

/**
 * Calls `hide` when the page goes into the back/forward cache and `show`
 * when it comes back from it; returns the function that stops watching.
 */
export function watchPageCache(hide: () => void, show: () => void): () => void {
  if (typeof window === 'undefined' || typeof window.addEventListener !== 'function') {
    return () => {};
  }
  const onHide = (event: PageTransitionEvent) => {
    if (event.persisted) hide();
  };
  const onShow = (event: PageTransitionEvent) => {
    if (event.persisted) show();
  };
  window.addEventListener('pagehide', onHide);
  window.addEventListener('pageshow', onShow);
  return () => {
    window.removeEventListener('pagehide', onHide);
    window.removeEventListener('pageshow', onShow);
  };
}
