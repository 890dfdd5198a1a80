/**
 * Storage helpers a PWA needs: ask the browser to keep the data (so it is not
 * evicted under storage pressure) and show how much room is left.
 */

/** Usage and quota of the origin, as the browser reports them. */
export interface StorageReport {
  /** Bytes used by the whole origin (all databases and caches). */
  usage: number;
  /** Bytes the origin may use. */
  quota: number;
  /** Whether the browser promised not to evict the origin's data. */
  persisted: boolean;
}

/**
 * Asks the browser to make the origin's storage persistent. Resolves `false`
 * where the StorageManager API is missing or the browser declines (Chrome
 * grants it to installed or frequently used sites without a prompt).
 */
export async function requestPersistentStorage(): Promise<boolean> {
  const manager = globalThis.navigator?.storage;
  if (!manager?.persist) return false;
  try {
    return await manager.persist();
  } catch {
    return false;
  }
}

/** Usage, quota and persistence of the origin; zeros where the API is missing. */
export async function estimateStorage(): Promise<StorageReport> {
  const manager = globalThis.navigator?.storage;
  if (!manager?.estimate) return { usage: 0, quota: 0, persisted: false };
  const [estimate, persisted] = await Promise.all([
    manager.estimate(),
    manager.persisted ? manager.persisted().catch(() => false) : Promise.resolve(false),
  ]);
  return { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0, persisted };
}
