/**
 * Deep freezing of snapshots (events, projections, summaries), so a UI can
 * compare them by reference and nobody can change them in place. What is
 * already frozen is not walked again: a new projection that shares 50,000
 * frozen messages with the previous one costs only its own new parts.
 */

/** Freezes `value` and everything reachable from it that is not frozen yet; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  if (Array.isArray(value)) for (const item of value) deepFreeze(item);
  else for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}
