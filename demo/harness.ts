// Exposes the library to end-to-end tests, which drive it with page.evaluate.
import * as sessionlog from 'sessionlog';

declare global {
  interface Window {
    sessionlog: typeof sessionlog;
    harnessReady: boolean;
  }
}

window.sessionlog = sessionlog;
window.harnessReady = true;
