/** Formatting shared by the views: titles, times, sizes, errors. */
import { isEventStoreError, type SessionSummary } from 'sessionlog';

const numberFormat = new Intl.NumberFormat('en');

/** 12345 → "12,345". */
export function num(n: number): string {
  return numberFormat.format(n);
}

/** Bytes as "1.2 MB". */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp (nanoseconds dropped). */
export function toMillis(timestamp: string): number {
  return Date.parse(timestamp.replace(/(\.\d{3})\d*Z$/, '$1Z'));
}

/** "14:05" today, "Mon 14:05" this week, "12 Jan" or "12 Jan 2024" before. */
export function shortTime(timestamp: string | null, now = Date.now()): string {
  if (!timestamp) return '';
  const t = toMillis(timestamp);
  const date = new Date(t);
  const today = new Date(now);
  if (date.toDateString() === today.toDateString()) {
    return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }
  if (now - t < 6 * 86_400_000 && t < now) {
    return date.toLocaleDateString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  }
  const sameYear = date.getFullYear() === today.getFullYear();
  return date.toLocaleDateString([], {
    day: 'numeric',
    month: 'short',
    ...(sameYear ? {} : { year: 'numeric' }),
  });
}

/** A full, readable date and time (for tooltips). */
export function longTime(timestamp: string): string {
  return `${new Date(toMillis(timestamp)).toLocaleString()} (${timestamp})`;
}

/** The title a session shows: its `title` state, else something readable made from its key. */
export function sessionTitle(
  summary: Pick<SessionSummary, 'sessionKey' | 'customState' | 'channel' | 'peerId'>,
): string {
  const title = summary.customState.title;
  if (typeof title === 'string' && title.trim() !== '') return title.trim();
  const main = /^agent:([^:]+):main$/.exec(summary.sessionKey);
  if (main) return `${main[1]} · main`;
  if (summary.channel !== 'unknown') return `${summary.channel} · ${summary.peerId}`;
  return summary.sessionKey;
}

/** Token totals as one short line. */
export function tokenLine(tokens: SessionSummary['tokens']): string {
  const cache = tokens.cacheRead + tokens.cacheWrite;
  return `${num(tokens.input)} in · ${num(tokens.output)} out${cache > 0 ? ` · ${num(tokens.cacheRead)} cached` : ''}`;
}

/** Pretty JSON for display (as text). */
export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? String(value);
}

/** One-line JSON, cut to `max` characters. */
export function oneLine(value: unknown, max = 90): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What to tell a user about an error, by its stable code. */
export function describeError(error: unknown): { title: string; detail: string } {
  if (isEventStoreError(error)) {
    switch (error.code) {
      case 'quota':
        return {
          title: 'Storage is full',
          detail:
            'The browser refused to store more data for this site. Delete chats you no longer need, or export them first, then try again.',
        };
      case 'version_change':
      case 'closed':
        return {
          title: 'The database was closed',
          detail:
            'A newer version of this app opened the database in another tab. Reload this tab to continue.',
        };
      case 'unavailable':
        return {
          title: 'Storage is unavailable',
          detail:
            'This browser does not allow IndexedDB here (private mode, or site data blocked), so nothing can be saved.',
        };
      case 'blocked':
        return {
          title: 'Waiting for other tabs',
          detail: 'Another tab holds an older version of the database open. Close or reload it.',
        };
      case 'validation':
        return { title: 'Invalid data', detail: error.message };
      case 'not_found':
        return { title: 'Not found', detail: error.message };
      case 'aborted':
        return { title: 'Cancelled', detail: error.message };
      default:
        return { title: 'Storage error', detail: error.message };
    }
  }
  return {
    title: 'Something went wrong',
    detail: error instanceof Error ? error.message : String(error),
  };
}
