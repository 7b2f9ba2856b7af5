import type { SampleMeta } from '@edgefleet/shared/capture';
import { metaOf, pngOf, policyOf, sampleFleet, uploadSample } from '../samples/test-support';
import type { TestServer } from '../testing/harness';

/** One uploaded sample: its bytes and the meta it was sent with. */
export interface SeededSample {
  bytes: Uint8Array;
  meta: SampleMeta;
}

/**
 * Real samples through the real upload route (see `sampleFleet` for the fleet), captured a minute apart, oldest
 * first: `d0` a-00000 labelled 0 (low_confidence); `d1` a-00001 labelled 180 (random); `b0` b-00000 (line 3)
 * unlabelled; `d0again` the bytes of d0 from a-00001 (a second capture of one sample); `w0` a browser of app shop
 * labelled 0; `u1` a-00000 unlabelled. Returns them by name and the app keys.
 */
export async function seedDatasetSamples(t: TestServer) {
  const keys = await sampleFleet(t);
  const put = (json: unknown) => t.call('/api/v1/models/cls/capture', { method: 'PUT', json });
  for (const target of [{ selector: 'line in (2,3)' }, { app: 'shop' }]) {
    const res = await put({ target, policy: policyOf(100) });
    if (res.status !== 200) throw new Error(`capture set: ${res.status} ${await res.text()}`);
  }
  const start = t.clock.nowMs - 60 * 60_000;
  const samples: Record<string, SeededSample> = {};
  const send = async (
    name: string,
    seed: number,
    credential: string,
    clientId: string,
    extra: Partial<SampleMeta>,
    bytes?: Uint8Array,
  ) => {
    const content = bytes ?? (await pngOf(seed, 48 + seed, 16));
    const capturedAt = start + Object.keys(samples).length * 60_000;
    const meta = metaOf(content, { clientId, capturedAt, ...extra });
    const res = await uploadSample(t, credential, meta, content);
    if (res.status !== 201) throw new Error(`upload ${name}: ${res.status} ${await res.text()}`);
    samples[name] = { bytes: content, meta };
  };
  await send('d0', 1, 'a-00000.secret', 'a-00000', { label: '0' });
  await send('d1', 2, 'a-00001.secret', 'a-00001', { label: '180', reasons: ['random'] });
  await send('b0', 3, 'b-00000.secret', 'b-00000', {});
  await send('d0again', 1, 'a-00001.secret', 'a-00001', { reasons: ['low_margin'] }, samples.d0!.bytes);
  await send('w0', 4, keys.shopKey, 'browser-1', { label: '0' });
  await send('u1', 5, 'a-00000.secret', 'a-00000', {});
  return { samples: samples as Record<'d0' | 'd1' | 'b0' | 'd0again' | 'w0' | 'u1', SeededSample>, keys };
}
