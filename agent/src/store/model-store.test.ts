import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModelRef, ProfileSpec } from '@edgefleet/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { ModelStore } from './model-store';
import { readState, writeState } from './state-file';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const spec = {
  v: 1,
  inputs: [],
  outputs: [],
  latency: { relativeAccuracy: 0.01, maxBins: 64 },
} as ProfileSpec;
const ref = (version: string) =>
  ({ manifest: { name: 'm', version, sha256: 'a'.repeat(64) } }) as unknown as ModelRef;

describe('ModelStore', () => {
  it('installs versions by rename, reads them back, and keeps the last N plus those in use', async () => {
    const data = mkdtempSync(join(tmpdir(), 'store-'));
    dirs.push(data);
    const store = new ModelStore(data);
    await store.init();
    for (const [i, v] of ['1.0.0', '2.0.0', '3.0.0', '4.0.0'].entries()) {
      const artifact = join(store.tmp, `${v}.partial`);
      writeFileSync(artifact, `model ${v}`);
      await store.install(ref(v), artifact, spec, v === '2.0.0' ? { golden: true } : undefined);
      const t = new Date(Date.now() - (10 - i) * 1000);
      utimesSync(store.dirOf({ name: 'm', version: v }), t, t);
    }
    const two = await store.read({ name: 'm', version: '2.0.0' });
    expect(two?.golden).toEqual({ golden: true });
    expect(readdirSync(store.tmp)).toEqual([]);
    const removed = await store.collect(1, [{ name: 'm', version: '1.0.0' }]);
    expect(removed.sort()).toEqual(['m@2.0.0', 'm@3.0.0']);
    expect(store.has({ name: 'm', version: '1.0.0' })).toBe(true);
    expect(store.has({ name: 'm', version: '4.0.0' })).toBe(true);
    expect(await store.read({ name: 'm', version: '3.0.0' })).toBeUndefined();
  });

  it('persists the applied state atomically', async () => {
    const data = mkdtempSync(join(tmpdir(), 'state-'));
    dirs.push(data);
    const path = join(data, 'state.json');
    expect(readState(path)).toEqual({ state: expect.objectContaining({ appliedRev: 0 }) });
    await writeState(path, {
      appliedRev: 7,
      active: { name: 'm', version: '1.0.0' },
      shadow: null,
      standby: null,
      shadowSampleRate: 0.5,
    });
    expect(readState(path).state).toMatchObject({ appliedRev: 7, active: { version: '1.0.0' } });
    // A garbage or truncated file is not swallowed: the caller learns what is wrong and rebuilds.
    writeFileSync(path, '{broken');
    expect(readState(path)).toMatchObject({
      state: { appliedRev: 0 },
      problem: expect.stringMatching(/not a valid state \(7 bytes\)/),
    });
    writeFileSync(path, JSON.stringify({ appliedRev: 'x', active: 5 }));
    expect(readState(path).problem).toMatch(/expected \{appliedRev/);
  });
});
