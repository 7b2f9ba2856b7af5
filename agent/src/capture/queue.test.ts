import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyCaptureCounters } from '@edgefleet/shared/capture';
import { afterEach, describe, expect, it } from 'vitest';
import { SampleQueue } from './queue';
import { CaptureStore } from './store';

const DAY = 86_400_000;
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const open = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ef-capture-queue-'));
  dirs.push(dir);
  return join(dir, 'capture.db');
};
const sample = (sha: string, capturedMs: number, sizeBytes: number) => ({
  sha256: sha.repeat(64).slice(0, 64),
  capturedMs,
  sizeBytes,
  meta: '{}',
  content: Buffer.alloc(sizeBytes, sha),
});

describe('SampleQueue (real SQLite)', () => {
  it('dedupes by content sha256, bounds bytes (overflow counted), keeps order and survives a reopen', () => {
    const path = open();
    const counters = emptyCaptureCounters();
    let store = new CaptureStore(path);
    const q = new SampleQueue(store, counters, 2_500, () => 0);
    expect(q.enqueue(sample('a', 2, 1_000))).toBe('queued');
    expect(q.enqueue(sample('a', 3, 1_000))).toBe('duplicate');
    expect(q.enqueue(sample('b', 1, 1_000))).toBe('queued');
    expect(q.enqueue(sample('c', 4, 1_000))).toBe('overflow');
    expect(counters.dropped.overflow).toBe(1);
    expect(counters.queue).toEqual({ samples: 2, bytes: 2_000 });
    store.close();
    store = new CaptureStore(path);
    const again = new SampleQueue(store, emptyCaptureCounters(), 2_500, () => 0);
    expect(again.size).toEqual({ samples: 2, bytes: 2_000 });
    const first = again.next()!;
    expect(first.sha256.startsWith('b')).toBe(true); // oldest capture first
    again.remove(first);
    expect(again.next()!.sha256.startsWith('a')).toBe(true);
    expect(again.size).toEqual({ samples: 1, bytes: 1_000 });
    store.close();
  });

  it('drops and counts samples older than the retention', () => {
    const counters = emptyCaptureCounters();
    let clock = 10 * DAY;
    const store = new CaptureStore(open());
    const q = new SampleQueue(store, counters, 1 << 20, () => clock);
    q.enqueue(sample('a', 10 * DAY - 3 * DAY - 1, 10));
    q.enqueue(sample('b', 10 * DAY - 3 * DAY + 1, 10));
    q.enqueue(sample('c', 10 * DAY, 10));
    expect(q.expire(3)).toBe(1);
    expect(counters.dropped.retention).toBe(1);
    clock += 3 * DAY;
    expect(q.expire(3)).toBe(1);
    expect(counters.dropped.retention).toBe(2);
    expect(counters.queue).toEqual({ samples: 1, bytes: 10 });
    store.close();
  });

  it('counts a failing store and goes on (never throws)', () => {
    const counters = emptyCaptureCounters();
    const store = new CaptureStore(open());
    const q = new SampleQueue(store, counters, 1 << 20, () => 0);
    store.close(); // every query now throws, as on a broken disk
    expect(q.enqueue(sample('a', 1, 10))).toBe('store_failed');
    expect(counters.dropped.storeFailed).toBe(1);
    expect(q.next()).toBeUndefined();
  });
});
