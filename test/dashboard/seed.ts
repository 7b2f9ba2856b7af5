// Seeds a real fleet for the dashboard tests: real cls versions with baselines, devices enrolled through
// the API, connected as real mqtt.js clients over the embedded broker, sending real telemetry reports.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { deviceTopic, PROTOCOL_VERSION } from '@edgefleet/shared';
import { connectClient, waitFor } from '../../fleet-server/src/mqtt/test-clients';
import { SimDevice, type SimWindow } from '../../fleet-server/src/rollouts/sim-fleet';
import { enrollTestDevice } from '../../fleet-server/src/testing/enroll';
import {
  CLS_MODEL_PATH,
  CLS_PREPROCESSING,
  clsBaseline,
  type TestServer,
} from '../../fleet-server/src/testing/harness';

export const FLEET = 'dash';
export const MODEL = 'cls';
export const SPEC = clsBaseline().spec;
const MIN = 60_000;

export interface SeededDevice {
  sim: SimDevice;
  labels: Record<string, string>;
}

/** Devices: plant-a lines 1–2 healthy, plant-b line 3 drifting; one of plant-a reports a failed deploy. */
export const DEVICES: { id: string; labels: Record<string, string> }[] = [
  { id: 'st-a1', labels: { site: 'plant-a', line: '1' } },
  { id: 'st-a2', labels: { site: 'plant-a', line: '1' } },
  { id: 'st-a3', labels: { site: 'plant-a', line: '2' } },
  { id: 'st-a4', labels: { site: 'plant-a', line: '2' } },
  { id: 'st-b1', labels: { site: 'plant-b', line: '3' } },
  { id: 'st-b2', labels: { site: 'plant-b', line: '3' } },
  { id: 'st-b3', labels: { site: 'plant-b', line: '3' } },
];
/** Enrolled, reports once, then goes away (offline, later silent). */
export const SILENT_DEVICE = { id: 'st-b9', labels: { site: 'plant-b', line: '4' } };

/** Versions with their lineage: each trained from the one before. */
const VERSIONS: { version: string; lineage: Record<string, unknown> }[] = [
  {
    version: '1.0.0',
    lineage: { codeRevision: 'a1b2c3d', params: { lr: 0.001, epochs: 40 }, metrics: { accuracy: 0.962 } },
  },
  {
    version: '2.0.0',
    lineage: {
      codeRevision: 'e4f5a6b',
      parent: { name: MODEL, version: '1.0.0' },
      params: { lr: 0.0005, epochs: 60 },
      metrics: { accuracy: 0.971 },
    },
  },
  {
    version: '2.1.0',
    lineage: {
      codeRevision: '0c9d8e7',
      parent: { name: MODEL, version: '2.0.0' },
      params: { lr: 0.0005, epochs: 80 },
      metrics: { accuracy: 0.974 },
    },
  },
];

/** Uploads the real cls model once and registers cls 1.0.0, 2.0.0 and 2.1.0 with the test baseline and lineage. */
export async function seedModels(t: TestServer): Promise<void> {
  const model = readFileSync(CLS_MODEL_PATH);
  const sha256 = createHash('sha256').update(model).digest('hex');
  const upload = await t.call('/api/v1/artifacts?kind=model', {
    method: 'POST',
    body: new Uint8Array(model),
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (upload.status !== 201 && upload.status !== 200) throw new Error(`upload: ${upload.status}`);
  const trainingDataSha256 = createHash('sha256').update('plant-a crops 2026-10').digest('hex');
  for (const { version, lineage } of VERSIONS) {
    const res = await t.call(`/api/v1/models/${MODEL}/versions`, {
      method: 'POST',
      json: {
        name: MODEL,
        version,
        sha256,
        sizeBytes: model.length,
        preprocessing: CLS_PREPROCESSING,
        baseline: clsBaseline(),
        lineage: { createdBy: 'ml-team', trainingDataSha256, ...lineage },
      },
    });
    if (res.status !== 201)
      throw new Error(`register ${MODEL}@${version}: ${res.status} ${await res.text()}`);
  }
}

/** Registers `name@version` as a model no device runs yet (same real cls artifact, uploaded by seedModels). */
export async function seedFirstModel(t: TestServer, name: string, version: string): Promise<void> {
  const model = readFileSync(CLS_MODEL_PATH);
  const res = await t.call(`/api/v1/models/${name}/versions`, {
    method: 'POST',
    json: {
      name,
      version,
      sha256: createHash('sha256').update(model).digest('hex'),
      sizeBytes: model.length,
      preprocessing: CLS_PREPROCESSING,
      baseline: clsBaseline(),
      lineage: { createdBy: 'ml-team', codeRevision: 'f00dfee' },
    },
  });
  if (res.status !== 201) throw new Error(`register ${name}@${version}: ${res.status} ${await res.text()}`);
}

async function connectDevice(t: TestServer, id: string, labels: Record<string, string>): Promise<SimDevice> {
  const token = await enrollTestDevice(t, id, labels);
  const port = Number(new URL(t.server.context.endpoints.mqttUrl).port);
  // Like the agent: a retained `offline` presence as the last will.
  const will = {
    topic: deviceTopic(FLEET, id, 'presence'),
    payload: Buffer.from(
      JSON.stringify({ v: PROTOCOL_VERSION, status: 'offline', epoch: 1, at: Date.now() }),
    ),
    qos: 1 as const,
    retain: true,
  };
  const client = await connectClient(port, {
    clientId: id,
    username: id,
    password: token,
    clean: true,
    will,
  });
  const sim = new SimDevice(id, client, FLEET, MODEL, { active: '1.0.0', shadow: null, standby: null });
  client.on('message', (_topic, payload) => {
    if (payload.length > 0) sim.apply(JSON.parse(payload.toString()));
  });
  await client.subscribeAsync(deviceTopic(FLEET, id, 'desired'), { qos: 1 });
  sim.report('hello');
  return sim;
}

/** The window a device of this site reports at history step `k` (0 = oldest): plant-b drifts more and more. */
export function windowOf(labels: Record<string, string>, k: number): SimWindow {
  const drifting = labels.site === 'plant-b';
  return {
    inferences: 40 + Math.round(12 * Math.sin(k / 5)) + (k % 3),
    latencyMs: 5 + 1.2 * Math.sin(k / 4) + (drifting ? 1.5 + k * 0.03 : 0),
    errorRate: k % 9 === 4 ? 0.05 : 0,
    ...(drifting ? { inputShift: k * 0.01 } : {}),
  };
}

/** Enrolls and connects the fleet and sends `history` past one-minute windows per device. */
export async function seedFleet(t: TestServer, history = 45): Promise<SeededDevice[]> {
  const seeded: SeededDevice[] = [];
  for (const { id, labels } of DEVICES) seeded.push({ sim: await connectDevice(t, id, labels), labels });
  const now = Date.now();
  for (let k = 0; k < history; k++) {
    const windowStart = now - (history - k + 1) * MIN;
    await Promise.all(
      seeded.map(({ sim, labels }) => sim.sendTelemetry(SPEC, windowStart, () => windowOf(labels, k))),
    );
  }
  // One device fails to deploy 2.1.0: a state report with a deploy error (the fleet counts it as failing).
  const failing = seeded[3]!.sim;
  failing.client.publish(
    deviceTopic(FLEET, failing.id, 'reported'),
    JSON.stringify({
      v: PROTOCOL_VERSION,
      type: 'state',
      deviceId: failing.id,
      epoch: 1,
      appliedRev: 0,
      agentVersion: 'sim',
      at: Date.now(),
      running: { active: { name: MODEL, version: '1.0.0' }, shadow: null, standby: null },
      errors: [
        {
          step: 'verify_signature',
          message: 'manifest signature does not verify with the fleet key',
          model: { name: MODEL, version: '2.1.0' },
          at: Date.now(),
        },
      ],
    }),
    { qos: 1 },
  );
  return seeded;
}

/**
 * A device that reported once and went away. Call it while the server's clock is set back, so that the
 * server saw it last long ago (silent for longer than the alert threshold).
 */
export async function seedGoneDevice(t: TestServer, lastSeenMs: number): Promise<void> {
  const gone = await connectDevice(t, SILENT_DEVICE.id, SILENT_DEVICE.labels);
  await gone.sendTelemetry(SPEC, lastSeenMs - MIN, () => windowOf(SILENT_DEVICE.labels, 0));
  await waitFor(async () => {
    const res = await t.call(`/api/v1/devices/${SILENT_DEVICE.id}/reports`);
    return ((await res.json()) as { reports: unknown[] }).reports.length > 0;
  }, 10_000);
  gone.client.stream.destroy(); // a crash, not a clean disconnect: the broker publishes the last will
  // Stamped offline while the clock is still set back.
  await waitFor(async () => {
    const res = await t.call(`/api/v1/devices/${SILENT_DEVICE.id}`);
    return ((await res.json()) as { online: boolean }).online === false;
  }, 10_000);
  await gone.client.endAsync(true);
}

/** Every connected device sends one window starting now (inside the current stage) for each version it runs. */
export async function reportNow(devices: SeededDevice[], k = 45): Promise<void> {
  const now = Date.now();
  await Promise.all(
    devices.map(({ sim, labels }) => sim.sendTelemetry(SPEC, now, () => windowOf(labels, k))),
  );
}
