import { createHash } from 'node:crypto';
import type { DesiredState } from '@edgefleet/shared';
import type { CapturePolicy, SampleMeta } from '@edgefleet/shared/capture';
import sharp from 'sharp';
import { insertSimDevices } from '../rollouts/sim-fleet';
import { registerClsVersions } from '../rollouts/test-support';
import type { TestServer } from '../testing/harness';

/** A capture policy with the given day budget. */
export const policyOf = (maxSamplesPerDay = 100, maxBytesPerDay = 10_000_000): CapturePolicy => ({
  lowConfidence: { below: 0.9 },
  budget: { maxSamplesPerDay, maxBytesPerDay },
  clientRetentionDays: 3,
});

/** A real PNG of seeded noise, distinct per `seed`. */
export async function pngOf(seed: number, width = 48, height = 16): Promise<Uint8Array> {
  // Seeded noise: distinct bytes per seed, and a size that grows with the pixels (noise does not compress).
  let state = seed * 2_654_435_761 + 1;
  const raw = Buffer.alloc(width * height * 3);
  for (let i = 0; i < raw.length; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    raw[i] = state >>> 16;
  }
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

/** The meta of `bytes` as a client sends it. */
export function metaOf(
  bytes: Uint8Array,
  overrides: Partial<SampleMeta> & { clientId: string; capturedAt: number },
): SampleMeta {
  return {
    v: 1,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    contentType: 'image/png',
    sizeBytes: bytes.byteLength,
    model: { name: 'cls', version: '1.0.0' },
    reasons: ['low_confidence'],
    top: [
      { label: '0', confidence: 0.6 },
      { label: '180', confidence: 0.4 },
    ],
    features: { brightness: 0.3 },
    ...overrides,
  };
}

/** `POST /api/v1/samples` as a client sends it (multipart: meta JSON and content bytes). */
export function uploadSample(
  t: Pick<TestServer, 'url'>,
  credential: string,
  meta: unknown,
  bytes: Uint8Array,
  contentType = 'image/png',
): Promise<Response> {
  const form = new FormData();
  form.set('meta', typeof meta === 'string' ? meta : JSON.stringify(meta));
  form.set('content', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: contentType }), 'sample');
  return fetch(`${t.url}/api/v1/samples`, {
    method: 'POST',
    headers: { authorization: `Bearer ${credential}` },
    body: form,
  });
}

/**
 * A fleet for sample tests: model cls 1.0.0; devices `a-00000`, `a-00001` (line 2) and `b-00000` (line 3), each
 * serving cls (token `<id>.secret`); apps `shop` (serving cls) and `other`. Returns the apps' publishable keys.
 */
export async function sampleFleet(t: TestServer): Promise<{ shopKey: string; otherKey: string }> {
  await registerClsVersions(t, ['1.0.0']);
  const db = t.server.context.db;
  insertSimDevices(db, 'a', 2, { line: '2' }, t.clock.nowMs);
  insertSimDevices(db, 'b', 1, { line: '3' }, t.clock.nowMs);
  const ref = (await (
    await t.call('/api/v1/models/cls/versions/1.0.0')
  ).json()) as DesiredState['models']['active'];
  const { manifest, signature, artifactUrl, profileSpecUrl } = ref!;
  const active = { manifest, signature, artifactUrl, profileSpecUrl };
  const base = {
    telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 1000 },
    policies: { golden: 'if_present', shadowSampleRate: 1 },
  } as const;
  const sessions = t.server.parts.deviceState.sessions;
  for (const id of ['a-00000', 'a-00001', 'b-00000'])
    await sessions.publishDesired(id, { models: { active, shadow: null, standby: null }, ...base });
  const keys: string[] = [];
  for (const id of ['shop', 'other']) {
    await t.call('/api/v1/apps', { method: 'POST', json: { id, name: id } });
    await sessions.publishAppPlan(id, { models: [{ name: 'cls', current: active }], ...base });
    keys.push((await (await t.call(`/api/v1/apps/${id}`)).json()).publishableKey as string);
  }
  return { shopKey: keys[0]!, otherKey: keys[1]! };
}
