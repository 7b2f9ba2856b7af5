import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../mqtt/test-clients';
import { clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import {
  closeSimFleet,
  connectSimFleet,
  insertSimDevices,
  type SimDevice,
  type SimRunning,
  type SimWindow,
  simFeedback,
} from './sim-fleet';
import { registerClsVersions } from './test-support';

// The automation ladder and quality gates through the real server, embedded broker and SQLite, with simulated
// devices (real mqtt.js clients) that apply desired states and send window reports carrying operator feedback.

const MIN = 60_000;
const spec = clsBaseline().spec;
const classes = spec.classes ?? ['0', '180'];

let t: TestServer | null = null;
let devices: SimDevice[] = [];
afterEach(async () => {
  await closeSimFleet(devices);
  devices = [];
  await t?.dispose();
  t = null;
});

async function setup(count: number, initial: SimRunning) {
  const server = await startTestServer({ fleet: 'sim', rolloutTickMs: 50 });
  t = server;
  server.clock.nowMs = Date.UTC(2026, 10, 23, 10, 0);
  await registerClsVersions(server, ['1.0.0', '2.0.0']);
  const ids = insertSimDevices(server.server.context.db, 'st', count, { line: '3' }, server.clock.nowMs);
  const port = Number(new URL(server.server.context.endpoints.mqttUrl).port);
  devices = await connectSimFleet({
    port,
    fleet: 'sim',
    model: 'cls',
    now: () => server.clock.nowMs,
    ids,
    initial,
    hello: true,
  });
  await waitFor(async () => {
    const res = await server.call('/api/v1/devices?selector=line%3D3&limit=1000');
    const body = (await res.json()) as { devices: { reportedAt: number | null }[] };
    return body.devices.every((d) => d.reportedAt !== null);
  }, 30_000);
  return server;
}

interface View {
  status: string;
  stageIndex: number;
  stage: { startedAt: number; automation?: { level: string } | null; stepsDown?: number } | null;
  evaluation: { note: string; gates: { gate: string; status: string; n: number | null }[] } | null;
  audit: { event: string; reason: string; gates: { gate: string; status: string }[] }[];
}

const show = async (id: string) => (await (await t!.call(`/api/v1/rollouts/${id}`)).json()) as View;

async function waitForRollout(id: string, check: (r: View) => boolean, timeoutMs = 15_000) {
  let last = {} as View;
  await waitFor(async () => {
    last = await show(id);
    return check(last);
  }, timeoutMs).catch((err) => {
    throw new Error(`${(err as Error).message}; rollout: ${JSON.stringify(last)}`);
  });
  return last;
}

async function reportWindow(byVersion: (version: string) => SimWindow, startMs = t!.clock.nowMs) {
  const now = startMs;
  await Promise.all(devices.map((d) => d.sendTelemetry(spec, now, byVersion)));
  await new Promise((resolve) => setTimeout(resolve, 150));
}

/** 40 inferences, 20 of them labelled by the operator (all reviewed), `correct` of those right. */
const labelled = (correct: number): SimWindow => ({
  inferences: 40,
  feedback: simFeedback(classes, 20, correct, 20),
});

const onCandidate = () => devices.filter((d) => d.running.active === '2.0.0');

describe('automation ladder in a rollout (real server and broker, simulated devices)', () => {
  it('steps the members up on measured agreement and down one rung on an accuracy breach', async () => {
    const server = await setup(20, { active: '1.0.0', shadow: null, standby: null });
    const res = await server.call('/api/v1/rollouts', {
      method: 'POST',
      json: {
        id: 'ladder',
        model: 'cls',
        candidate: '2.0.0',
        target: { selector: 'line=3' },
        stages: '50%:1m@assist,50%:1m@partial(0.9,0.2),100%@full',
        minReportingTargets: 1,
        minInferences: 100,
        gates: { maxAccuracyDrop: 0.05, minLabels: 100, minStepUpAgreement: 0.85, minStepUpReviews: 150 },
      },
    });
    if (res.status !== 201) throw new Error(await res.text());
    // Stage 1: the members run the candidate at assist; the others keep the baseline and their level.
    await waitForRollout('ladder', (r) => r.status === 'running');
    await waitFor(
      async () => onCandidate().length > 0 && onCandidate().every((d) => d.automation?.level === 'assist'),
    );
    const members = onCandidate().length;
    expect(members).toBeGreaterThan(0);
    expect(members).toBeLessThan(20);
    expect(devices.filter((d) => d.running.active === '1.0.0').every((d) => d.automation === null)).toBe(
      true,
    );

    // Operators agree with the candidate on 19 of 20: the step up to partial passes once the stage lasted 1 min.
    for (let w = 0; w < 3; w++) {
      await reportWindow(() => labelled(19));
      server.clock.nowMs += 20_000;
    }
    server.clock.nowMs += MIN;
    const stepped = await waitForRollout('ladder', (r) => r.stageIndex === 1);
    expect(stepped.stage?.automation).toMatchObject({ level: 'partial', minConfidence: 0.9, minMargin: 0.2 });
    const advanced = stepped.audit.find((a) => a.event === 'advanced')!;
    expect(advanced.gates.find((g) => g.gate === 'ladder.stepUpAgreement')).toMatchObject({ status: 'pass' });
    await waitFor(async () => onCandidate().every((d) => d.automation?.level === 'partial'));
    expect(onCandidate()).toHaveLength(members); // the same share: only the level moved

    // The candidate now answers clearly worse than the control in the same windows: one rung down, no rollback.
    // A window that began before the step down (the stage restarts there, so it is not the lower rung's evidence;
    // a second breach there, the ladder's first rung, would roll back).
    server.clock.nowMs += 20_000;
    await reportWindow((version) => labelled(version === '2.0.0' ? 10 : 19), server.clock.nowMs - 10_000);
    const down = await waitForRollout('ladder', (r) => r.audit.some((a) => a.event === 'stepped_down'));
    expect(down.status).toBe('running');
    expect(down.stage).toMatchObject({ automation: { level: 'assist' }, stepsDown: 1 });
    const audit = down.audit.find((a) => a.event === 'stepped_down')!;
    expect(audit.reason).toContain('stepped down from partial(0.9,0.2) to assist');
    expect(audit.gates.find((g) => g.gate === 'quality.accuracyDrop')).toMatchObject({ status: 'breach' });
    await waitFor(async () => onCandidate().every((d) => d.automation?.level === 'assist'));
    expect(onCandidate()).toHaveLength(members);
    const alerts = (await (await server.call('/api/v1/alerts?status=open')).json()) as {
      alerts: { kind: string; severity: string }[];
    };
    expect(alerts.alerts, JSON.stringify(alerts.alerts)).toContainEqual(
      expect.objectContaining({ kind: 'gate_breach', severity: 'warning' }),
    );
  });

  it('gives a device the level stored while it did not serve the model, once a rollout reaches it', async () => {
    const server = await setup(4, { active: null, shadow: null, standby: null });
    const set = await server.call('/api/v1/models/cls/automation', {
      method: 'PUT',
      json: {
        target: { selector: 'line=3' },
        level: { level: 'partial', minConfidence: 0.8, minMargin: 0.1 },
      },
    });
    expect(set.status).toBe(200);
    expect((await set.json()).applied).toMatchObject({ devices: 0, skipped: 4 });
    const res = await server.call('/api/v1/rollouts', {
      method: 'POST',
      json: {
        id: 'first',
        model: 'cls',
        candidate: '1.0.0',
        target: { selector: 'line=3' },
        strategy: 'all-at-once',
      },
    });
    if (res.status !== 201) throw new Error(await res.text());
    await waitFor(async () => devices.every((d) => d.running.active === '1.0.0'));
    expect(devices.map((d) => d.automation)).toEqual(
      devices.map(() => ({ level: 'partial', minConfidence: 0.8, minMargin: 0.1 })),
    );
  });
});
