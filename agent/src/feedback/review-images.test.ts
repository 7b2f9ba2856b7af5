import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import { ReviewImageStore } from './review-images';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const png = (shade: number) =>
  sharp({ create: { width: 64, height: 16, channels: 3, background: { r: shade, g: 0, b: 0 } } })
    .png()
    .toBuffer();

describe('ReviewImageStore (real SQLite)', () => {
  it('keeps images within the byte budget, oldest evicted first, across a reopen; expired and deleted ones are gone', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-review-images-'));
    dirs.push(dir);
    let now = 1_000_000;
    const images = await Promise.all([1, 2, 3, 4].map((i) => png(i * 40)));
    const size = images[0]!.byteLength;
    const budget = 2 * size + Math.floor(size / 2); // room for two of them
    const open = () =>
      new ReviewImageStore(join(dir, 'r.db'), { maxBytes: budget, ttlMs: 10_000, now: () => now });
    let store = open();
    for (const [i, bytes] of images.entries()) expect(store.put(`p${i}`, now, bytes)).toBe('kept');
    expect(store.evicted).toBe(2);
    expect(store.get('p0')).toBeUndefined();
    expect(store.get('p1')).toBeUndefined();
    expect(store.get('p3')).toEqual({ bytes: images[3], contentType: 'image/png' });
    expect(store.sizeBytes).toBeLessThanOrEqual(budget);

    store.close();
    store = open();
    expect(store.sizeBytes).toBe(images[2]!.byteLength + images[3]!.byteLength);
    expect(store.has('p2')).toBe(true);
    store.delete('p2');
    expect(store.has('p2')).toBe(false);
    expect(store.sizeBytes).toBe(images[3]!.byteLength);

    now += 10_001;
    expect(store.get('p3')).toBeUndefined(); // past the TTL: no label can use it
    store.close();
    store = open(); // and opening sweeps it off the disk
    expect(store.count).toBe(0);
    expect(store.sizeBytes).toBe(0);
    expect(store.put('p4', now, images[0]!)).toBe('kept');
    expect(store.count).toBe(1);
    store.close();
  });

  it('keeps only PNG and JPEG (typed from the bytes, not the caller) and nothing larger than the budget', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-review-images-'));
    dirs.push(dir);
    const store = new ReviewImageStore(join(dir, 'r.db'), { maxBytes: 100, ttlMs: 10_000 });
    expect(store.put('html', Date.now(), new TextEncoder().encode('<script>alert(1)</script>'))).toBe(
      'not_an_image',
    );
    expect(store.put('big', Date.now(), await png(10))).toBe('over_budget');
    const jpeg = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000' } })
      .jpeg()
      .toBuffer();
    const roomy = new ReviewImageStore(join(dir, 'r2.db'), { maxBytes: 1 << 20, ttlMs: 10_000 });
    roomy.put('j', Date.now(), jpeg);
    expect(roomy.get('j')?.contentType).toBe('image/jpeg');
    store.close();
    roomy.close();
  });
});
