import { RuntimeError } from '../errors';
import { type CachedModel, isQuotaExceeded, type Store } from '../storage/db';

/**
 * Model artifacts in IndexedDB keyed by sha256. Keeps the `keep` most recently used versions per model name;
 * when the browser refuses a write for lack of space, evicts other cached versions first and tries once more.
 */
export class ModelCache {
  constructor(
    private readonly store: Store,
    private readonly keep = 2,
  ) {}

  /** The cached bytes of `sha256`, marking it used; undefined on a miss. */
  async get(sha256: string): Promise<ArrayBuffer | undefined> {
    const entry = await this.store.get('models', sha256);
    if (!entry) return undefined;
    await this.store.put('models', { ...entry, lastUsedAt: Date.now() });
    return entry.bytes;
  }

  /** Stores verified bytes, then evicts older versions of the same model beyond `keep`. */
  async put(entry: Omit<CachedModel, 'storedAt' | 'lastUsedAt' | 'sizeBytes'>): Promise<void> {
    const now = Date.now();
    const row: CachedModel = { ...entry, sizeBytes: entry.bytes.byteLength, storedAt: now, lastUsedAt: now };
    try {
      await this.store.put('models', row);
    } catch (error) {
      if (!isQuotaExceeded(error))
        throw new RuntimeError('storage', `caching the model failed: ${String(error)}`);
      await this.evictAllBut(entry.sha256);
      try {
        await this.store.put('models', row);
      } catch (retry) {
        // Not cached: the model still runs from memory; the next start downloads it again.
        if (!isQuotaExceeded(retry))
          throw new RuntimeError('storage', `caching the model failed: ${String(retry)}`);
        return;
      }
    }
    await this.evictOld(entry.name);
  }

  /** Cached sha256 digests of a model, newest use first. */
  async digests(name: string): Promise<string[]> {
    const rows = await this.store.getAllFromIndex('models', 'byName', name);
    return rows.sort((a, b) => b.lastUsedAt - a.lastUsedAt).map((r) => r.sha256);
  }

  private async evictOld(name: string): Promise<void> {
    const digests = await this.digests(name);
    for (const sha256 of digests.slice(this.keep)) await this.store.delete('models', sha256);
  }

  private async evictAllBut(sha256: string): Promise<void> {
    const keys = await this.store.getAllKeys('models');
    for (const key of keys) if (key !== sha256) await this.store.delete('models', key);
  }
}
