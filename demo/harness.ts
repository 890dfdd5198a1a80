// Exposes the library (main entry and subpath modules) to end-to-end tests, which drive it with page.evaluate.
import * as main from 'sessionlog';
import * as reference from 'sessionlog/reference';
import * as transfer from 'sessionlog/transfer';

// The main entry and the subpath modules, as one object.
const sessionlog = { ...main, ...reference, ...transfer };

declare global {
  interface Window {
    sessionlog: typeof sessionlog;
    harnessReady: boolean;
  }
}

window.sessionlog = sessionlog;
window.harnessReady = true;
