// Exposes the library to end-to-end tests, which drive it with page.evaluate.
import * as sessionlog from 'sessionlog';
import * as sessionlogSync from 'sessionlog/sync';

declare global {
  interface Window {
    sessionlog: typeof sessionlog;
    /** The sync client (sessionlog/sync). */
    sessionlogSync: typeof sessionlogSync;
    harnessReady: boolean;
  }
}

window.sessionlog = sessionlog;
window.sessionlogSync = sessionlogSync;
window.harnessReady = true;
