/**
 * The ports the e2e suite serves on. Defaults are the README's; the
 * environment can move them so that two checkouts can run their suites at once.
 */
export const DEV_PORT = Number(process.env.SESSIONLOG_DEV_PORT ?? 5173);
export const PREVIEW_PORT = Number(process.env.SESSIONLOG_PREVIEW_PORT ?? 4173);
export const EXAMPLE_PORT = Number(process.env.SESSIONLOG_EXAMPLE_PORT ?? 5183);
export const EXAMPLE_URL = `http://127.0.0.1:${EXAMPLE_PORT}`;
export const DEV_URL = `http://127.0.0.1:${DEV_PORT}`;
export const PREVIEW_URL = `http://127.0.0.1:${PREVIEW_PORT}`;
