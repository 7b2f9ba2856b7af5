import { readFileSync } from 'node:fs';
import {
  classifierFeatures,
  imageFeatureOptionsFor,
  imageFeatures,
  Profile,
  type ProfileSpec,
  preprocessImages,
} from '@edgefleet/shared';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectClient, waitFor } from './mqtt/test-clients';
import { clsReport } from './telemetry/fixtures';
import { enrollTestDevice } from './testing/enroll';
import { CLS_MODEL_PATH, startTestServer, type TestServer } from './testing/harness';
import { asBody, CLS_PREPROCESSING, textLineImage, writeTar } from './testing/reference';

// The real PaddleOCR cls model end to end on the server side: a version whose baseline the server computes
// from generated text-line images, an enrolled device reporting windows built from the model's real outputs
// on real images (shared preprocessing, features and Profile), then metrics and drift from the query API.

const SIZE = { width: 96, height: 24 };
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 23, 8);
let t: TestServer;
let session: InferenceSession;

beforeAll(async () => {
  t = await startTestServer();
  session = await InferenceSession.create(CLS_MODEL_PATH, { intraOpNumThreads: 1 });
});
afterAll(async () => {
  await session?.release();
  await t?.dispose();
});

const images = (from: number, count: number, brightness = 0) =>
  Promise.all(Array.from({ length: count }, (_, i) => textLineImage(from + i, { ...SIZE, brightness })));

/**
 * What an agent does, batched to keep the test fast: decode, shared preprocessing, one ONNX run over the
 * batch, shared features per item into a window Profile; latency is the batch's share per item.
 */
async function windowProfile(spec: ProfileSpec, pngs: Buffer[]): Promise<Profile> {
  const profile = new Profile(spec);
  const options = imageFeatureOptionsFor(CLS_PREPROCESSING);
  const started = performance.now();
  const raws = await Promise.all(pngs.map((png) => sharp(png).raw().toBuffer({ resolveWithObject: true })));
  const input = preprocessImages(
    raws.map(({ data, info }) => ({ data, width: info.width, height: info.height, channels: 3 as const })),
    CLS_PREPROCESSING,
  );
  if (!input.ok) throw new Error(input.error.message);
  const prepared = performance.now();
  const x = input.value.data as Float32Array;
  const out = (await session.run({ x: new Tensor('float32', x, input.value.dims) }))[
    'softmax_0.tmp_0'
  ] as Tensor;
  const inferred = performance.now();
  for (let item = 0; item < pngs.length; item++) {
    const inputs = imageFeatures(x, input.value.dims, 'NCHW', { ...options, item });
    const outputs = classifierFeatures(out.data as Float32Array, out.dims, { item });
    if (!inputs.ok || !outputs.ok) throw new Error('feature extraction failed');
    profile.observeInputs(inputs.value);
    profile.observeOutputs({ confidence: outputs.value.confidence, margin: outputs.value.margin });
    profile.observeClass(outputs.value.top1);
    profile.observeLatency('preprocess', (prepared - started) / pngs.length);
    profile.observeLatency('infer', (inferred - prepared) / pngs.length);
    profile.observeLatency('total', (performance.now() - started) / pngs.length);
  }
  return profile;
}

describe('cls model end to end on the server', () => {
  it('computes the baseline, ingests real windows from a device and reports drift', async () => {
    // 1. Register cls@1.0.0 with a server-computed baseline from 120 reference images.
    const model = await (
      await t.call('/api/v1/artifacts?kind=model', {
        method: 'POST',
        body: asBody(readFileSync(CLS_MODEL_PATH)),
      })
    ).json();
    const reference = (await images(0, 120)).map((bytes, i) => ({ path: `ref/${i}.png`, bytes }));
    const referenceSha = (
      await (
        await t.call('/api/v1/artifacts?kind=reference', {
          method: 'POST',
          body: asBody(writeTar(reference)),
        })
      ).json()
    ).sha256;
    const created = await t.call('/api/v1/models/cls/versions', {
      method: 'POST',
      json: {
        name: 'cls',
        version: '1.0.0',
        sha256: model.sha256,
        sizeBytes: model.sizeBytes,
        preprocessing: CLS_PREPROCESSING,
        baseline: { fromReference: { sha256: referenceSha, classes: ['0', '180'] } },
        lineage: { createdBy: 'e2e' },
      },
    });
    expect(created.status).toBe(201);
    const spec: ProfileSpec = await (await t.call('/api/v1/models/cls/versions/1.0.0/spec')).json();

    // 2. Enroll a device and connect it to the embedded broker with its own credentials.
    const token = await enrollTestDevice(t, 'station-7', { site: 'plant-a' });
    const mqtt = t.server.parts.mqtt;
    const device = await connectClient(mqtt.broker!.tcpPort!, {
      clientId: 'station-7',
      username: 'station-7',
      password: token,
    });
    const topic = (kind: string) => `ef/v1/default/dev/station-7/${kind}`;
    await device.subscribeAsync(topic('ack'), { qos: 1 });

    // 3. Two windows: the same world as the reference (new images), then a much darker scene.
    const same = await windowProfile(spec, await images(1_000, 100));
    const dark = await windowProfile(spec, await images(1_000, 100, -110));
    const acked: number[] = [];
    device.on('message', (_topic, payload) => acked.push(JSON.parse(payload.toString()).seq));
    for (const [seq, profile, startMs] of [
      [1, same, T0],
      [2, dark, T0 + 2 * HOUR],
    ] as const) {
      const report = clsReport('station-7', seq, profile, { startMs });
      await device.publishAsync(topic('telemetry'), JSON.stringify(report), { qos: 1 });
    }
    await waitFor(() => acked.includes(2), 10_000);
    await device.endAsync(true);

    // 4. Metrics and drift per time range.
    const metrics = async (from: number) => {
      const res = await t.call(
        `/api/v1/models/cls/versions/1.0.0/metrics?from=${from}&to=${from + HOUR}&selector=site%3Dplant-a`,
      );
      expect(res.status).toBe(200);
      return res.json();
    };
    const before = await metrics(T0);
    const after = await metrics(T0 + 2 * HOUR);
    for (const m of [before, after]) {
      expect(m).toMatchObject({ reports: 1, devices: 1, inferences: 100, errors: 0 });
      expect(m.latencyMs.infer.p50).toBeGreaterThan(0);
      expect(m.profile.specHash).toBe(m.drift.specHash);
    }
    const brightness = (m: { drift: { inputs: { name: string; psi: number; verdict: string }[] } }) =>
      m.drift.inputs.find((f) => f.name === 'brightness')!;
    expect(brightness(before).verdict).not.toBe('alert');
    expect(brightness(after).verdict).toBe('alert');
    expect(brightness(after).psi).toBeGreaterThan(10 * brightness(before).psi);
    expect(after.drift.verdict).toBe('alert');
    expect(before.drift.classes.labels).toEqual(['0', '180']);
  });
});
