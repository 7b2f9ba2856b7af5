import { describe, expect, it } from 'vitest';
import type { Store } from '../storage/db';
import { loadGoldenPair } from './golden';

// No pair named: decided before any network or storage access (the store is never touched).
const untouched = new Proxy({} as Store, {
  get() {
    throw new Error('the store must not be used');
  },
});
const ref = {
  manifest: { name: 'cls', version: '1.0.0' },
  signature: {},
  artifactUrl: '/a',
  profileSpecUrl: '/s',
} as unknown as Parameters<typeof loadGoldenPair>[0];
const o = { server: 'http://127.0.0.1:9', key: 'efp_x', store: untouched };

describe('loadGoldenPair', () => {
  it('refuses a version without a pair under policy required, with a typed error', async () => {
    await expect(loadGoldenPair(ref, ref.manifest, { ...o, policy: 'required' })).rejects.toMatchObject({
      kind: 'golden_mismatch',
      message: expect.stringMatching(/cls@1\.0\.0: the plan requires a golden pair/),
    });
  });

  it('serves a version without a pair under policy if_present', async () => {
    await expect(loadGoldenPair(ref, ref.manifest, { ...o, policy: 'if_present' })).resolves.toBeUndefined();
  });

  it('ignores a goldenUrl the signed manifest does not vouch for', async () => {
    const unsigned = { ...ref, goldenUrl: '/api/v1/artifacts/x' };
    await expect(
      loadGoldenPair(unsigned, ref.manifest, { ...o, policy: 'if_present' }),
    ).resolves.toBeUndefined();
  });
});
