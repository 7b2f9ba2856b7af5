import { createHash } from 'node:crypto';
import type { RunningAgent } from '@edgefleet/agent';
import { type DesiredState, deviceTopic } from '@edgefleet/shared';
import type { CapturePolicy } from '@edgefleet/shared/capture';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../fleet-server/src/db';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import {
  freePort,
  inferPng,
  publishDesired,
  registerCls,
  startEnrolledAgent,
  stripesPng,
  until,
} from './fleet';

const budget = { maxSamplesPerDay: 1_000, maxBytesPerDay: 1 << 26 };

/** A distinct PNG per `i` (the same stripes, a different grey level in one corner). */
async function distinctPng(i: number): Promise<Uint8Array<ArrayBuffer>> {
  const base = await stripesPng();
  const mark = await sharp({
    create: { width: 4, height: 4, channels: 3, background: { r: i % 256, g: (i >> 8) % 256, b: 7 } },
  })
    .png()
    .toBuffer();
  return new Uint8Array(
    await sharp(base)
      .composite([{ input: mark, left: 0, top: 0 }])
      .png()
      .toBuffer(),
  );
}

// The agent's capture on a real agent, real broker, real server, real cls model. The server's sample store holds
// one byte, so its upload route answers 507 (retry later) to an opted-in device: samples wait in the queue.
describe('data capture on the agent (real agent, broker, server, cls model)', () => {
  let t: TestServer;
  let agent: RunningAgent;
  beforeAll(async () => {
    t = await startTestServer({ mqttPort: await freePort(), sampleStoreBytes: 1 });
  });
  afterAll(async () => {
    await agent?.close();
    await t.dispose();
  });
  // The admin's capture setting (opt-in), set before the desired state below is published directly.
  const optIn = async (deviceId: string, policy: CapturePolicy) => {
    const res = await fetch(`${t.url}/api/v1/models/cls/capture`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: { devices: [deviceId] }, policy }),
    });
    expect(res.status).toBe(200);
  };

  it('captures under the policy, evicts the oldest from a full queue while serving goes on, reports the counters, refuses a malformed policy', async () => {
    const ref = await registerCls(t, '1.0.0');
    const pngs = await Promise.all(Array.from({ length: 8 }, (_, i) => distinctPng(i)));
    // Room for exactly the first three samples (they are stored in capture order).
    const room = pngs[0]!.length + pngs[1]!.length + pngs[2]!.length;
    agent = (await startEnrolledAgent(t, 'station-cap', { captureQueueBytes: room })).agent;
    await until(() => agent.link?.connected, 10_000, 'connect');
    const policy: CapturePolicy = { random: { rate: 1 }, budget, clientRetentionDays: 7 };
    await optIn('station-cap', policy);
    const desired = await publishDesired(t, 'station-cap', { active: ref }, { capture: policy });
    await until(() => agent.reportedRev() >= desired.rev, 20_000, 'applied');

    for (const png of pngs) await inferPng(agent.url, png);
    await until(
      () => agent.capture.counters().captured.random + agent.capture.counters().dropped.overflow >= 8,
      10_000,
      'captures stored',
    );
    await agent.capture.rules.drain();
    const c = agent.capture.counters();
    // Each new random sample made room by evicting the oldest (all are random-only); one that could not get room
    // (the oldest is in flight to the server, which answers 507) is counted as overflow.
    expect(c.captured.random + c.dropped.overflow).toBe(8);
    expect(c.dropped.evicted).toBeGreaterThanOrEqual(3);
    expect(c.captured.random - c.dropped.evicted).toBe(c.queue.samples);
    expect(c.queue.samples).toBeGreaterThanOrEqual(2);
    expect(c.queue.samples).toBeLessThanOrEqual(3);
    expect(c.queue.bytes).toBeLessThanOrEqual(room);
    // What waits is the newest (stored as received: the PNG's own hash), not the first three.
    const sha = (png: Uint8Array) => createHash('sha256').update(png).digest('hex');
    expect(agent.capture.queue.has(sha(pngs[7]!))).toBe(true);
    expect(pngs.slice(0, 3).filter((png) => agent.capture.queue.has(sha(png))).length).toBeLessThanOrEqual(1);
    // Serving went on: all eight answered (inferPng throws otherwise), and the status says so.
    const status = (await (await fetch(`${agent.url}/v1/status`)).json()) as {
      capture: typeof c;
      serving: { inferences: number };
    };
    expect(status.serving.inferences).toBe(8);
    expect(status.capture.dropped.evicted).toBe(c.dropped.evicted);

    // The counters reach the server in the window's software metrics.
    agent.flushWindow();
    await until(() => agent.outbox.stats().pending === 0, 20_000, 'outbox drained');
    const rows = t.server.context.db
      .select()
      .from(schema.telemetryReports)
      .all()
      .filter((r) => r.clientId === 'station-cap');
    const reported = rows.map((r) => r.software?.capture).find((x) => x !== undefined);
    expect(reported).toMatchObject({
      captured: { random: c.captured.random },
      dropped: { overflow: c.dropped.overflow, evicted: c.dropped.evicted },
      queue: { samples: c.queue.samples },
    });

    // A desired state whose capture policy is malformed is ignored whole, like any malformed desired state.
    const bad = {
      ...desired,
      rev: desired.rev + 1,
      capture: { ...policy, budget: { maxSamplesPerDay: -1, maxBytesPerDay: 1 } },
      models: { ...desired.models, active: null },
    } as unknown as DesiredState;
    await t.server.parts.mqtt.link!.publish(
      deviceTopic(agent.enrollment!.fleet, 'station-cap', 'desired'),
      JSON.stringify(bad),
      { qos: 1, retain: false },
    );
    await new Promise((r) => setTimeout(r, 1_000));
    expect(agent.reportedRev()).toBe(desired.rev);
    expect(agent.deployer.running().active).toMatchObject({ version: '1.0.0' });
    expect(agent.deployer.state.capture).toEqual(policy);
  });

  it('captures a JSON tensor input of the local API as its raw float32 bytes (application/octet-stream)', async () => {
    await agent?.close();
    const ref = await registerCls(t, '1.0.2');
    agent = (await startEnrolledAgent(t, 'station-tensor')).agent;
    await until(() => agent.link?.connected, 10_000, 'connect');
    const policy: CapturePolicy = { random: { rate: 1 }, budget, clientRetentionDays: 7, maxSidePx: 16 };
    await optIn('station-tensor', policy);
    const desired = await publishDesired(t, 'station-tensor', { active: ref }, { capture: policy });
    await until(() => agent.reportedRev() >= desired.rev, 20_000, 'applied');
    // `+ 0`: no -0, which JSON sends as 0.
    const data = Array.from({ length: 3 * 48 * 192 }, (_, k) => Math.round(Math.sin(k) * 1e4) / 1e4 + 0);
    const res = await fetch(`${agent.url}/v1/infer?outputs=false`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dims: [1, 3, 48, 192], data }),
    });
    expect(res.status).toBe(200);
    const { predictionId } = (await res.json()) as { predictionId: string };
    await until(() => agent.capture.counters().captured.random === 1, 10_000, 'tensor captured');
    const queued = agent.capture.queue.next()!;
    const bytes = Buffer.from(Float32Array.from(data).buffer);
    expect(Buffer.compare(queued.content, bytes)).toBe(0);
    expect(JSON.parse(queued.meta)).toMatchObject({
      contentType: 'application/octet-stream',
      sizeBytes: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      reasons: ['random'],
      predictionId,
    });
    expect(JSON.parse(queued.meta).width).toBeUndefined();
  });

  it('captures a label that disagrees with the prediction, with the label, and not one that agrees', async () => {
    await agent.close();
    const ref = await registerCls(t, '1.0.1');
    agent = (await startEnrolledAgent(t, 'station-dis')).agent;
    await until(() => agent.link?.connected, 10_000, 'connect');
    const policy: CapturePolicy = { disagreement: true, budget, clientRetentionDays: 7 };
    await optIn('station-dis', policy);
    // assist: every prediction goes to review, so its image is kept for the label.
    const desired = await publishDesired(
      t,
      'station-dis',
      { active: ref },
      { capture: policy, automation: { level: 'assist' } },
    );
    await until(() => agent.reportedRev() >= desired.rev, 20_000, 'applied');
    const label = (predictionId: string, value: string) =>
      fetch(`${agent.url}/v1/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ predictionId, label: value }),
      });
    const agreeing = await inferPng(agent.url, await distinctPng(100));
    const disagreeing = await inferPng(agent.url, await distinctPng(101));
    expect((await label(agreeing.predictionId, agreeing.top.label)).status).toBe(200);
    const other = disagreeing.top.label === '0' ? '180' : '0';
    expect((await label(disagreeing.predictionId, other)).status).toBe(200);
    await until(() => agent.capture.counters().captured.disagreement === 1, 10_000, 'disagreement captured');
    await new Promise((r) => setTimeout(r, 200));
    const c = agent.capture.counters();
    expect(c.captured.disagreement).toBe(1);
    expect(c.queue.samples).toBe(1);
    const queued = agent.capture.queue.next()!;
    expect(JSON.parse(queued.meta)).toMatchObject({
      reasons: ['disagreement'],
      label: other,
      predictionId: disagreeing.predictionId,
      top: [{ label: disagreeing.top.label }],
    });
  });
});
