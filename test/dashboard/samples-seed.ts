// Seeds real samples for the Samples page tests: real text-line crops (the demo's generator, a real font through
// SVG and sharp), uploaded by enrolled devices through the real upload route under an admin capture setting.
import { createHash } from 'node:crypto';
import { deviceTopic, PROTOCOL_VERSION } from '@edgefleet/shared';
import type { SampleMeta } from '@edgefleet/shared/capture';
import { inspectionSample, type Orientation } from '../../demo/src/images';
import { connectClient } from '../../fleet-server/src/mqtt/test-clients';
import { enrollTestDevice } from '../../fleet-server/src/testing/enroll';
import type { TestServer } from '../../fleet-server/src/testing/harness';

/** Line 2 sees normal light; line 3's lamp failed (dark images the model is unsure of). */
export const SAMPLE_DEVICES = [
  { id: 'cam-21', labels: { site: 'plant-a', line: '2' }, samples: 24 },
  { id: 'cam-22', labels: { site: 'plant-a', line: '2' }, samples: 24 },
  { id: 'cam-31', labels: { site: 'plant-a', line: '3' }, samples: 4 },
] as const;

/** A sample as uploaded, with the truth an operator would give it. */
export interface SeededSample {
  sha256: string;
  deviceId: string;
  line: string;
  truth: Orientation;
  predicted: string;
  bytes: Uint8Array;
}

export interface SeededSamples {
  tokens: Record<string, string>;
  samples: SeededSample[];
  /** A line-2 image captured by both line-2 devices (two captures, one sample). */
  shared: SeededSample;
}

async function upload(t: TestServer, token: string, meta: SampleMeta, bytes: Uint8Array): Promise<void> {
  const form = new FormData();
  form.set('meta', JSON.stringify(meta));
  form.set('content', new Blob([bytes as Uint8Array<ArrayBuffer>], { type: meta.contentType }), 'sample');
  const res = await fetch(`${t.url}/api/v1/samples`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  if (res.status !== 201) throw new Error(`upload ${meta.sha256}: ${res.status} ${await res.text()}`);
}

const flip = (o: Orientation): Orientation => (o === '0' ? '180' : '0');

/**
 * Enrolls the sample devices, opts lines 2 and 3 into capture for `model` (an admin setting), and uploads
 * each device's crops (more than one page of the Samples grid in all): line 2 bright, predicted right with high confidence (random ε-sample), line 3
 * dark, low confidence and every other one predicted wrong.
 */
export async function seedSamples(
  t: TestServer,
  model: { name: string; version: string },
): Promise<SeededSamples> {
  const tokens: Record<string, string> = {};
  for (const d of SAMPLE_DEVICES) tokens[d.id] = await enrollTestDevice(t, d.id, d.labels);
  const setting = await t.call(`/api/v1/models/${model.name}/capture`, {
    method: 'PUT',
    json: {
      target: { selector: 'line in (2,3)' },
      policy: {
        lowConfidence: { below: 0.8 },
        random: { rate: 0.05 },
        budget: { maxSamplesPerDay: 100, maxBytesPerDay: 10_000_000 },
        clientRetentionDays: 3,
      },
    },
  });
  if (setting.status !== 200) throw new Error(`capture setting: ${setting.status} ${await setting.text()}`);
  const samples: SeededSample[] = [];
  const start = Date.now() - 30 * 60_000;
  // One capture every 20 s, the newest a few minutes ago.
  let seed = 100;
  for (const d of SAMPLE_DEVICES) {
    const dark = d.labels.line === '3';
    for (let i = 0; i < d.samples; i++) {
      seed++;
      const image = await inspectionSample(seed, dark ? { brightness: -95, contrast: 0.6 } : {});
      const bytes = new Uint8Array(image.bytes);
      const predicted = dark && i % 2 === 1 ? flip(image.orientation) : image.orientation;
      const confidence = dark ? 0.55 + i * 0.03 : 0.9 + (i % 10) * 0.01;
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const meta: SampleMeta = {
        v: 1,
        sha256,
        contentType: 'image/png',
        sizeBytes: bytes.byteLength,
        clientId: d.id,
        capturedAt: start + samples.length * 20_000,
        model,
        reasons: dark ? ['low_confidence'] : ['random'],
        top: [
          { label: predicted, confidence },
          { label: flip(predicted), confidence: 1 - confidence },
        ],
        features: { brightness: dark ? 0.18 + i * 0.01 : 0.74 - (i % 10) * 0.01 },
      };
      await upload(t, tokens[d.id]!, meta, bytes);
      samples.push({
        sha256,
        deviceId: d.id,
        line: d.labels.line,
        truth: image.orientation,
        predicted,
        bytes,
      });
    }
  }
  // The first line-2 image was also seen by the other line-2 camera.
  const shared = samples[0]!;
  const other = SAMPLE_DEVICES[1].id;
  const sample = samples.find((s) => s.sha256 === shared.sha256)!;
  await upload(
    t,
    tokens[other]!,
    {
      v: 1,
      sha256: shared.sha256,
      contentType: 'image/png',
      sizeBytes: shared.bytes.byteLength,
      clientId: other,
      capturedAt: start + samples.length * 20_000,
      model,
      reasons: ['random'],
      top: [{ label: sample.predicted, confidence: 0.9 }],
      features: { brightness: 0.7 },
    },
    shared.bytes,
  );
  return { tokens, samples, shared };
}

/** `deviceId` reports (over MQTT, as the agent does) that it runs `model` as its active version. */
export async function reportRunning(
  t: TestServer,
  fleet: string,
  deviceId: string,
  token: string,
  model: { name: string; version: string },
): Promise<void> {
  const port = Number(new URL(t.server.context.endpoints.mqttUrl).port);
  const client = await connectClient(port, {
    clientId: deviceId,
    username: deviceId,
    password: token,
    clean: true,
  });
  await client.publishAsync(
    deviceTopic(fleet, deviceId, 'reported'),
    JSON.stringify({
      v: PROTOCOL_VERSION,
      type: 'state',
      deviceId,
      epoch: 1,
      appliedRev: 0,
      agentVersion: 'sim',
      at: Date.now(),
      running: { active: model, shadow: null, standby: null },
      errors: [],
    }),
    { qos: 1 },
  );
  await client.endAsync();
}
