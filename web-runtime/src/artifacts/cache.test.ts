import { describe, expect, it } from 'vitest';
import type { CachedModel, Store } from '../storage/db';
import { ModelCache } from './cache';

/** The five IndexedDB calls ModelCache makes, over a Map; `quotaLeft` puts succeed before QuotaExceededError. */
function fakeStore(quotaBytes = Number.POSITIVE_INFINITY) {
  const rows = new Map<string, CachedModel>();
  const used = () => [...rows.values()].reduce((sum, r) => sum + r.sizeBytes, 0);
  const store = {
    get: async (_: 'models', key: string) => rows.get(key),
    put: async (_: 'models', row: CachedModel) => {
      const others = used() - (rows.get(row.sha256)?.sizeBytes ?? 0);
      if (others + row.sizeBytes > quotaBytes) throw new DOMException('full', 'QuotaExceededError');
      rows.set(row.sha256, row);
    },
    getAllFromIndex: async (_: 'models', __: 'byName', name: string) =>
      [...rows.values()].filter((r) => r.name === name),
    getAllKeys: async () => [...rows.keys()],
    delete: async (_: 'models', key: string) => void rows.delete(key),
  };
  return { store: store as unknown as Store, rows };
}

const model = (sha256: string, name = 'cls', size = 10) => ({
  sha256,
  name,
  version: sha256,
  bytes: new ArrayBuffer(size),
});

describe('ModelCache', () => {
  it('keeps the most recently used versions per model and evicts older ones', async () => {
    const { store, rows } = fakeStore();
    const cache = new ModelCache(store, 2);
    await cache.put(model('a'));
    await new Promise((r) => setTimeout(r, 2));
    await cache.put(model('b'));
    await cache.put(model('x', 'other'));
    await new Promise((r) => setTimeout(r, 2));
    expect(await cache.get('a')).toBeInstanceOf(ArrayBuffer); // a is now used more recently than b
    await new Promise((r) => setTimeout(r, 2));
    await cache.put(model('c'));
    expect([...rows.keys()].sort()).toEqual(['a', 'c', 'x']);
    expect(await cache.get('b')).toBeUndefined();
  });

  it('on QuotaExceededError evicts other versions first, then stores', async () => {
    const { store, rows } = fakeStore(25);
    const cache = new ModelCache(store, 5);
    await cache.put(model('a', 'cls', 10));
    await cache.put(model('x', 'other', 10));
    await cache.put(model('b', 'cls', 10));
    expect([...rows.keys()]).toEqual(['b']);
  });

  it('runs uncached when even an empty cache is too small', async () => {
    const { store, rows } = fakeStore(5);
    await new ModelCache(store).put(model('a', 'cls', 10));
    expect(rows.size).toBe(0);
  });
});
