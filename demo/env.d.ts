/// <reference types="vite/client" />
/// <reference types="vite-plugin-pwa/vanillajs" />

interface ImportMetaEnv {
  /** Base URL of the sync endpoints; set by `npm run demo:sync`. */
  readonly VITE_SESSIONLOG_SYNC?: string;
}
