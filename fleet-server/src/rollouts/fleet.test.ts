import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../mqtt/test-clients';
import { clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import {
  closeSimFleet,
  connectSimFleet,
  insertSimDevices,
  type SimDevice,
  type SimWindow,
} from './sim-fleet';
import { registerClsVersions } from './test-support';

// Real server, real embedded broker, real SQLite, simulated devices as real mqtt.js clients.

const FLEET_SIZE = Number(process.env.ROLLOUT_TEST_DEVICES ?? 1_000);
const MIN = 60_000;
const spec = clsBaseline().spec;
const healthy: SimWindow = { inferences: 20, latencyMs: 5 };

let t: TestServer | null = null;
let devices: SimDevice[] = [];
afterEach(async () => {
  await closeSimFleet(devices);
  devices = [];
  await t?.dispose();
  t = null;
});

async function setup(count: number) {
  const server = await startTestServer({ fleet: 'sim', rolloutTickMs: 50 });
  t = server;
  server.clock.nowMs = Date.UTC(2026, 10, 23, 10, 0); // a Monday, 10:00 UTC
  await registerClsVersions(server, ['1.0.0', '2.0.0']);
  const ids = insertSimDevices(
    server.server.context.db,
    'st',
    count,
    { site: 'plant-a' },
    server.clock.nowMs,
  );
  const port = Number(new URL(server.server.context.endpoints.mqttUrl).port);
  devices = await connectSimFleet({
    port,
    fleet: 'sim',
    model: 'cls',
    now: () => server.clock.nowMs,
    ids,
    initial: { active: '1.0.0', shadow: null, standby: null },
    hello: true,
  });
  // Every hello stored: the default baseline ("what the targets run now") is known.
  await waitFor(async () => {
    const res = await server.call('/api/v1/devices?selector=site%3Dplant-a&limit=1000');
    const body = (await res.json()) as { devices: { reportedAt: number | null }[] };
    return body.devices.every((d) => d.reportedAt !== null);
  }, 30_000);
  return server;
}

/** The parts of `GET /api/v1/rollouts/{id}` these tests read. */
interface View {
  status: string;
  stageIndex: number;
  baseline: string;
  stage: { startedAt: number } | null;
  evaluation: { note: string } | null;
  targets: { byState: Record<string, number> };
  audit: {
    event: string;
    actor: string;
    reason: string;
    gates: { gate: string; status: string; threshold: number }[];
  }[];
}

const show = async (id: string) => (await (await t!.call(`/api/v1/rollouts/${id}`)).json()) as View;

async function waitForRollout(id: string, check: (r: View) => boolean, timeoutMs = 15_000) {
  let last = {} as View;
  await waitFor(async () => {
    last = await show(id);
    return check(last);
  }, timeoutMs).catch((err) => {
    throw new Error(`${(err as Error).message}; rollout: ${JSON.stringify({ ...last, audit: undefined })}`);
  });
  return last;
}

/** Every device sends one window for each version it runs; then waits until the ingestor merged them. */
async function reportWindow(byVersion: (version: string, role: 'active' | 'shadow') => SimWindow) {
  const now = t!.clock.nowMs;
  for (let i = 0; i < devices.length; i += 200) {
    await Promise.all(devices.slice(i, i + 200).map((d) => d.sendTelemetry(spec, now, byVersion)));
  }
  await new Promise((resolve) => setTimeout(resolve, 150)); // the ingestor flushes within 20 ms of a batch
}

const onCandidate = () => devices.filter((d) => d.running.active === '2.0.0').length;
const carriesCandidate = () => devices.filter((d) => Object.values(d.running).includes('2.0.0')).length;

describe(`rollout with ${FLEET_SIZE} simulated devices`, () => {
  it('takes a 3-stage canary to 100% with passing gates', async () => {
    const server = await setup(FLEET_SIZE);
    const res = await server.call('/api/v1/rollouts', {
      method: 'POST',
      json: {
        id: 'canary',
        model: 'cls',
        candidate: '2.0.0',
        target: { selector: 'site=plant-a' },
        stages: '5%:10m,25%:10m,100%:10m',
        minReportingTargets: 5,
        minInferences: 100,
        gates: { latencyP95Ms: 50, latencyP95Ratio: 1.5, maxErrorRate: 0.05, maxPsi: 0.25 },
      },
    });
    expect(res.status).toBe(201);
    expect(((await res.json()) as View).baseline).toBe('1.0.0');
    const stageShares = [0.05, 0.25, 1];
    for (const [stage, share] of stageShares.entries()) {
      const rollout = await waitForRollout('canary', (r) => r.status === 'running' && r.stageIndex === stage);
      await waitFor(
        () => onCandidate() === rollout.targets.byState.on_candidate! + rollout.targets.byState.switching!,
        15_000,
      );
      await waitFor(async () => (await show('canary')).targets.byState.switching === 0, 15_000);
      const members = onCandidate();
      expect(Math.abs(members / FLEET_SIZE - share)).toBeLessThan(share === 1 ? 1e-9 : 0.05);
      await reportWindow(() => healthy);
      server.clock.nowMs += 10 * MIN;
    }
    const done = await waitForRollout('canary', (r) => r.status === 'completed');
    await waitFor(() => onCandidate() === FLEET_SIZE, 15_000);
    expect(done.audit.map((a: { event: string }) => a.event)).toEqual([
      'created',
      'started',
      'advanced',
      'advanced',
      'completed',
    ]);
    const advanced = done.audit.find((a) => a.event === 'advanced')!;
    expect(advanced.gates.find((g) => g.gate === 'latency.p95Ms')).toMatchObject({
      status: 'pass',
      threshold: 50,
    });
  }, 120_000);

  it('rolls back on drift in stage 1: every device back on the baseline, the audit log says why', async () => {
    const server = await setup(FLEET_SIZE);
    await server.call('/api/v1/rollouts', {
      method: 'POST',
      json: {
        id: 'drifty',
        model: 'cls',
        candidate: '2.0.0',
        target: { selector: 'site=plant-a' },
        stages: '5%:10m,25%:10m,100%',
        minReportingTargets: 5,
        minInferences: 100,
        gates: { latencyP95Ms: 50, maxPsi: 0.25 },
      },
    });
    await waitForRollout('drifty', (r) => r.status === 'running');
    await waitFor(() => onCandidate() > 0, 15_000);
    await waitFor(async () => (await show('drifty')).targets.byState.switching === 0, 15_000);
    await reportWindow((version) => (version === '2.0.0' ? { ...healthy, inputShift: 0.45 } : healthy));
    const rolled = await waitForRollout('drifty', (r) => r.status === 'rolled_back');
    await waitFor(() => carriesCandidate() === 0, 15_000);
    expect(devices.every((d) => d.running.active === '1.0.0')).toBe(true);
    const entry = rolled.audit.at(-1)!;
    expect(entry).toMatchObject({ event: 'rolled_back', actor: 'controller' });
    expect(entry.reason).toMatch(/drift\.psi\.input\.brightness \S+ \[\S+, \S+\] > 0\.25/);
    expect(entry.gates.find((g) => g.gate === 'drift.psi.input.brightness')?.status).toBe('breach');
  }, 120_000);
});

describe('rollout gates and schedule (100 simulated devices)', () => {
  it('rolls back on slow p99 latency (absolute gate) in stage 1', async () => {
    const server = await setup(100);
    await server.call('/api/v1/rollouts', {
      method: 'POST',
      json: {
        id: 'slow',
        model: 'cls',
        candidate: '2.0.0',
        target: { selector: 'site=plant-a' },
        stages: '20%:10m,100%',
        minReportingTargets: 3,
        gates: { latencyP99Ms: 30 },
      },
    });
    await waitForRollout('slow', (r) => r.status === 'running');
    await waitFor(() => onCandidate() > 0, 15_000);
    await reportWindow((version) => (version === '2.0.0' ? { ...healthy, latencyMs: 120 } : healthy));
    const rolled = await waitForRollout('slow', (r) => r.status === 'rolled_back');
    expect(rolled.audit.at(-1)!.reason).toContain('latency.p99Ms');
    await waitFor(() => carriesCandidate() === 0, 15_000);
  }, 60_000);

  it('stops a shadow rollout whose agreement is below the gate', async () => {
    const server = await setup(100);
    await server.call('/api/v1/rollouts', {
      method: 'POST',
      json: {
        id: 'shadow',
        model: 'cls',
        candidate: '2.0.0',
        strategy: 'shadow',
        target: { selector: 'site=plant-a' },
        stages: '20%:10m,100%',
        minReportingTargets: 3,
        gates: { minShadowAgreement: 0.9 },
      },
    });
    await waitForRollout('shadow', (r) => r.status === 'running');
    await waitFor(() => devices.some((d) => d.running.shadow === '2.0.0'), 15_000);
    expect(devices.every((d) => d.running.active === '1.0.0')).toBe(true);
    await reportWindow((_, role) => (role === 'shadow' ? { ...healthy, shadowAgreement: 0.5 } : healthy));
    const stopped = await waitForRollout('shadow', (r) => r.status === 'rolled_back');
    expect(stopped.audit.at(-1)!.reason).toMatch(/shadow\.agreement 0\.5\d* \[\S+, \S+\] < 0\.9/);
    await waitFor(() => carriesCandidate() === 0, 15_000);
  }, 60_000);

  it('holds a passing stage outside the maintenance window and advances inside it (clock injected)', async () => {
    const server = await setup(50);
    server.clock.nowMs = Date.UTC(2026, 10, 23, 22, 5); // Mon 23:05 Berlin
    await server.call('/api/v1/rollouts', {
      method: 'POST',
      json: {
        id: 'night',
        model: 'cls',
        candidate: '2.0.0',
        target: { selector: 'site=plant-a' },
        stages: '20%:10m,100%',
        minReportingTargets: 2,
        maintenanceWindows: [
          {
            days: ['mon', 'tue', 'wed', 'thu', 'fri'],
            start: '23:00',
            end: '23:30',
            timeZone: 'Europe/Berlin',
          },
        ],
      },
    });
    await waitForRollout('night', (r) => r.status === 'running');
    await waitFor(() => onCandidate() > 0, 15_000);
    await reportWindow(() => healthy);
    server.clock.nowMs = Date.UTC(2026, 10, 23, 22, 40); // Mon 23:40 Berlin: stage passed, window closed
    const held = await waitForRollout('night', (r) =>
      (r.evaluation?.note ?? '').includes('outside every maintenance window'),
    );
    expect(held.stageIndex).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await show('night')).stageIndex).toBe(0);
    server.clock.nowMs = Date.UTC(2026, 10, 24, 22, 1); // Tue 23:01 Berlin: inside again
    await waitForRollout('night', (r) => r.status === 'completed' || r.stageIndex === 1);
  }, 60_000);

  it('resumes mid-stage after a server restart: same stage, same timer, no double transition', async () => {
    const server = await setup(50);
    await server.call('/api/v1/rollouts', {
      method: 'POST',
      json: {
        id: 'restart',
        model: 'cls',
        candidate: '2.0.0',
        target: { selector: 'site=plant-a' },
        stages: '20%:30m,100%:30m',
        minReportingTargets: 2,
      },
    });
    const before = await waitForRollout('restart', (r) => r.status === 'running');
    await waitFor(() => onCandidate() > 0, 15_000);
    const members = onCandidate();
    await reportWindow(() => healthy);
    server.clock.nowMs += 20 * MIN;
    await closeSimFleet(devices);
    await server.restart();
    const after = await show('restart');
    expect(after).toMatchObject({
      status: 'running',
      stageIndex: 0,
      stage: { startedAt: before.stage!.startedAt },
    });
    const port = Number(new URL(server.server.context.endpoints.mqttUrl).port);
    const state = new Map(devices.map((d) => [d.id, { running: d.running, rev: d.appliedRev }]));
    devices = await connectSimFleet({
      port,
      fleet: 'sim',
      model: 'cls',
      now: () => server.clock.nowMs,
      ids: [...state.keys()],
      initial: { active: '1.0.0', shadow: null, standby: null },
    });
    for (const d of devices) {
      d.running = state.get(d.id)!.running;
      d.appliedRev = state.get(d.id)!.rev;
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // several ticks: 20 of 30 minutes, no advance
    expect((await show('restart')).stageIndex).toBe(0);
    expect(onCandidate()).toBe(members);
    server.clock.nowMs += 10 * MIN; // 30 minutes after the stage began before the restart
    const advanced = await waitForRollout('restart', (r) => r.stageIndex === 1);
    expect(advanced.audit.filter((a: { event: string }) => a.event === 'started')).toHaveLength(1);
    expect(advanced.audit.filter((a: { event: string }) => a.event === 'advanced')).toHaveLength(1);
    await waitFor(() => onCandidate() === 50, 15_000);
  }, 60_000);
});
