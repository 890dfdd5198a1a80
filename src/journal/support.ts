/**
 * Whether a journal can be kept here at all: a store asks when it is made,
 * before any of the journal's code (its probe, segments and writer) is loaded.
 */

/** Why a journal cannot be kept here, or `undefined` when it can. */
export function journalUnsupported(): string | undefined {
  if (typeof navigator === 'undefined') return 'no navigator';
  if (typeof navigator.storage?.getDirectory !== 'function')
    return 'no Origin Private File System (navigator.storage.getDirectory)';
  if (typeof navigator.locks?.request !== 'function') return 'no Web Locks';
  if (typeof Worker === 'undefined') return 'no Worker';
  return undefined;
}
