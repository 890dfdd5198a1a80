/**
 * The `state_changed` keys the chat-UI adapters read and write. They are
 * reserved: an app that stores its own state under them changes what the
 * thread list shows. `title` is also the demo's.
 */

/** The thread's title (a string). */
export const TITLE_KEY = 'title';
/** Whether the thread is archived (`true`; `false` or absent: not archived). */
export const ARCHIVED_KEY = 'archived';
/** The app's custom thread metadata (a JSON object), as assistant-ui passes it. */
export const CUSTOM_KEY = 'custom';
