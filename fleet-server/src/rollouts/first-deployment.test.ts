import { type AppPlan, appPlanSchema, type DesiredState } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import type { MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { schema } from '../db';
import { connectClient, waitFor } from '../mqtt/test-clients';
import { clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import { closeSimFleet, connectSimFleet, insertSimDevices, type SimDevice } from './sim-fleet';
import { registerClsVersions } from './test-support';

// A fleet's first version of a model: rollouts without a baseline. Real server, embedded broker and SQLite file;
// simulated devices and a browser-like plan subscriber are real mqtt.js clients.

const MIN = 60_000;
const spec = clsBaseline().spec;
const FLEET = 'first';

let t: TestServer | null = null;
let devices: SimDevice[] = [];
let browsers: MqttClient[] = [];
afterEach(async () => {
  await closeSimFleet(devices);
  await Promise.all(browsers.map((b) => b.endAsync(true)));
  devices = [];
  browsers = [];
  await t?.dispose();
  t = null;
});

async function setup(count: number) {
  const server = await startTestServer({ fleet: FLEET, rolloutTickMs: 50 });
  t = server;
  server.clock.nowMs = Date.UTC(2026, 10, 23, 10, 0);
  await registerClsVersions(server, ['1.0.0', '2.0.0']);
  const ids = insertSimDevices(
    server.server.context.db,
    'st',
    count,
    { site: 'plant-a' },
    server.clock.nowMs,
  );
  devices = await connectSimFleet({
    port: mqttPort(server),
    fleet: FLEET,
    model: 'cls',
    now: () => server.clock.nowMs,
    ids,
    initial: { active: null, shadow: null, standby: null },
    hello: true,
  });
  await waitFor(() => reportedCount(server) === count, 15_000);
  return server;
}

const mqttPort = (server: TestServer) => Number(new URL(server.server.context.endpoints.mqttUrl).port);
const reportedCount = (server: TestServer) =>
  server.server.context.db
    .select({ at: schema.devices.reportedAt })
    .from(schema.devices)
    .all()
    .filter((d) => d.at !== null).length;
const storedDesired = (id: string) =>
  t!.server.context.db.select().from(schema.devices).where(eq(schema.devices.id, id)).get()!
    .desiredState as DesiredState | null;

interface View {
  status: string;
  stageIndex: number;
  baseline: string | null;
  targets: { total: number; byState: Record<string, number> };
  audit: { event: string; reason: string; gates: { gate: string; status: string }[] }[];
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
const create = (json: Record<string, unknown>) =>
  t!.call('/api/v1/rollouts', { method: 'POST', json: { model: 'cls', candidate: '1.0.0', ...json } });

describe('first deployment to devices', () => {
  it('all-at-once to a selector gives every target v1', async () => {
    await setup(30);
    const res = await create({
      id: 'first',
      target: { selector: 'site=plant-a' },
      strategy: 'all-at-once',
      minReportingTargets: 0,
      minInferences: 0,
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as View;
    expect(created.baseline).toBeNull();
    expect(created.targets.byState).toMatchObject({ untouched: 30, on_baseline: 0 });
    expect(created.audit[0]!.reason).toMatch(/first deployment of cls 1\.0\.0/);
    await waitFor(() => devices.every((d) => d.running.active === '1.0.0'), 15_000);
    const done = await waitForRollout(
      'first',
      (r) => r.status === 'completed' && r.targets.byState.switching === 0,
    );
    expect(done.targets.byState).toMatchObject({ on_candidate: 30, untouched: 0 });
    expect(storedDesired('st-00007')!.models).toMatchObject({
      active: { manifest: { name: 'cls', version: '1.0.0' } },
      shadow: null,
      standby: null,
    });
    // The next rollout of the model replaces what the targets now run.
    const next = await create({ candidate: '2.0.0', target: { selector: 'site=plant-a' } });
    expect(next.status).toBe(201);
    expect(((await next.json()) as View).baseline).toBe('1.0.0');
  });

  it('a canary whose gate breaches takes the model away from its members again; others never got one', async () => {
    const server = await setup(40);
    const res = await create({
      id: 'canary',
      target: { selector: 'site=plant-a' },
      stages: '25%:10m,100%',
      minReportingTargets: 2,
      minInferences: 50,
      gates: { maxErrorRate: 0.05, latencyP95Ms: 100 },
    });
    expect(res.status).toBe(201);
    await waitForRollout('canary', (r) => r.status === 'running' && r.targets.byState.switching === 0);
    await waitFor(() => devices.some((d) => d.running.active === '1.0.0'), 15_000);
    const members = devices.filter((d) => d.running.active === '1.0.0');
    const others = devices.filter((d) => d.running.active === null);
    expect(members.length).toBeGreaterThan(2);
    expect(others.length).toBeGreaterThan(members.length);
    for (const d of others) expect(storedDesired(d.id), d.id).toBeNull();
    const running = await show('canary');
    expect(running.targets.byState).toMatchObject({ on_candidate: members.length, untouched: others.length });

    // Members report a bad window: half the inferences fail.
    await Promise.all(
      members.map((d) =>
        d.sendTelemetry(spec, server.clock.nowMs, () => ({ inferences: 40, latencyMs: 5, errorRate: 0.5 })),
      ),
    );
    const back = await waitForRollout('canary', (r) => r.status === 'rolled_back');
    expect(back.audit.at(-1)!.gates.find((g) => g.gate === 'errorRate')?.status).toBe('breach');
    await waitFor(() => devices.every((d) => d.running.active === null), 15_000);
    for (const d of members) {
      expect(storedDesired(d.id)!.models, d.id).toEqual({ active: null, shadow: null, standby: null });
    }
    for (const d of others) expect(storedDesired(d.id), d.id).toBeNull();
    const settled = await waitForRollout('canary', (r) => r.targets.byState.switching === 0);
    expect(settled.targets.byState).toMatchObject({ untouched: 40, on_candidate: 0, on_baseline: 0 });

    // Nothing runs the model any more: the next try is a first deployment again.
    const retry = await create({ candidate: '2.0.0', target: { selector: 'site=plant-a' } });
    expect(retry.status).toBe(201);
    expect(((await retry.json()) as View).baseline).toBeNull();
  });
});

describe('first deployment to a web app', () => {
  /** Creates an app and follows its retained plan like a browser; returns every plan received. */
  async function followApp(server: TestServer, id: string): Promise<AppPlan[]> {
    const res = await server.call('/api/v1/apps', { method: 'POST', json: { id, name: id } });
    expect(res.status).toBe(201);
    const { publishableKey } = (await res.json()) as { publishableKey: string };
    const browser = await connectClient(mqttPort(server), {
      clientId: `app:${id}:browser`,
      username: `app:${id}`,
      password: publishableKey,
    });
    browsers.push(browser);
    const plans: AppPlan[] = [];
    browser.on('message', (_topic, payload) => {
      if (payload.length > 0) plans.push(appPlanSchema.parse(JSON.parse(payload.toString())));
    });
    await browser.subscribeAsync(`ef/v1/${FLEET}/app/${id}/desired`, { qos: 1 });
    return plans;
  }
  const slot = (plan: AppPlan | undefined) => {
    const s = plan?.models.find((m) => m.name === 'cls');
    return s
      ? { current: s.current?.manifest.version ?? null, candidate: s.candidate?.percent ?? null }
      : undefined;
  };

  it('the plan goes from no version (current null) through the canary share to v1', async () => {
    const server = await setup(0);
    const plans = await followApp(server, 'shop');
    const res = await create({
      id: 'web-first',
      target: { app: 'shop' },
      stages: '25%:10m,100%',
      minReportingTargets: 0,
      minInferences: 0,
    });
    expect(res.status).toBe(201);
    await waitFor(() => plans.length >= 1, 15_000);
    expect(slot(plans[0])).toEqual({ current: null, candidate: 25 });
    server.clock.nowMs += 10 * MIN;
    await waitForRollout('web-first', (r) => r.status === 'completed');
    await waitFor(() => slot(plans.at(-1))?.current === '1.0.0', 15_000);
    expect(slot(plans.at(-1))).toEqual({ current: '1.0.0', candidate: null });
    expect(plans.every((p, i) => i === 0 || p.rev > plans[i - 1]!.rev)).toBe(true);
  });

  it('a rollback of a first deployment leaves the plan with no version (current null)', async () => {
    const server = await setup(0);
    const plans = await followApp(server, 'kiosk');
    expect((await create({ id: 'web-back', target: { app: 'kiosk' }, stages: '25%:10m,100%' })).status).toBe(
      201,
    );
    await waitFor(() => slot(plans.at(-1))?.candidate === 25, 15_000);
    const rollback = await server.call('/api/v1/rollouts/web-back/rollback', {
      method: 'POST',
      json: { reason: 'misreads in the shop' },
    });
    expect(rollback.status).toBe(200);
    await waitFor(() => slot(plans.at(-1))?.candidate === null, 15_000);
    expect(slot(plans.at(-1))).toEqual({ current: null, candidate: null });
    const fetched = await server.call('/api/v1/rollouts/web-back');
    expect(((await fetched.json()) as View).status).toBe('rolled_back');
  });
});

describe('first deployment: refused requests', () => {
  async function expectError(res: Response, status: number, field: string) {
    expect(res.status).toBe(status);
    const body = await res.json();
    expect(body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    expect(JSON.stringify(body.details)).toContain(field);
    return body as { message: string };
  }

  it('answers malformed, hostile and inapplicable bodies with {error, message, details} and creates nothing', async () => {
    const server = await setup(0);
    const db = server.server.context.db;
    const running = (name: string) => ({
      type: 'state' as const,
      v: 1 as const,
      deviceId: 'sim',
      epoch: 1,
      appliedRev: 1,
      agentVersion: '0.1.0',
      at: server.clock.nowMs,
      errors: [],
      running: { active: { name, version: '1.0.0' }, shadow: null, standby: null },
    });
    for (const id of insertSimDevices(db, 'cls', 3, { site: 'cls' }, server.clock.nowMs))
      db.update(schema.devices)
        .set({ reportedState: running('cls') })
        .where(eq(schema.devices.id, id))
        .run();
    for (const id of insertSimDevices(db, 'ocr', 2, { site: 'mixed' }, server.clock.nowMs))
      db.update(schema.devices)
        .set({ reportedState: running('ocr') })
        .where(eq(schema.devices.id, id))
        .run();
    insertSimDevices(db, 'new', 2, { site: 'mixed' }, server.clock.nowMs);
    const apps = await server.call('/api/v1/apps', { method: 'POST', json: { id: 'shop', name: 'shop' } });
    expect(apps.status).toBe(201);
    const fresh = { target: { selector: 'site=new' } };

    // Malformed baselines.
    for (const baseline of ['', 'x'.repeat(129), 7, {}, ['1.0.0'], true]) {
      await expectError(await create({ ...fresh, baseline }), 400, 'baseline');
    }
    await expectError(await create({ ...fresh, baseline: '9.9.9' }), 400, 'baseline');
    await expectError(await create({ ...fresh, baseline: '1.0.0' }), 400, 'candidate');
    // `baseline: null` asserts a first deployment: refused where targets run the model.
    const runs = await expectError(
      await create({ target: { selector: 'site=cls' }, baseline: null }),
      400,
      'baseline',
    );
    expect(runs.message).toMatch(/cls@1\.0\.0/);
    // Strategies that need a version beside the candidate.
    for (const strategy of ['shadow', 'blue-green']) {
      const res = await expectError(await create({ ...fresh, strategy }), 400, 'strategy');
      expect(res.message).toMatch(/canary or all-at-once/);
      await expectError(await create({ target: { app: 'shop' }, strategy }), 400, 'strategy');
    }
    // Gates relative to a baseline that does not exist would wait forever.
    for (const gates of [{ latencyP95Ratio: 1.2 }, { latencyP99Ratio: 1.5 }, { minShadowAgreement: 0.9 }]) {
      await expectError(await create({ ...fresh, gates }), 400, `gates.${Object.keys(gates)[0]}`);
    }
    // A device serves one model: a first deployment does not replace another model.
    const mixed = await expectError(await create({ target: { selector: 'site=mixed' } }), 400, 'target');
    expect(mixed.message).toMatch(/ocr-00000: ocr@1\.0\.0/);
    // Hostile shapes and sizes.
    await expectError(await create({ ...fresh, baseline: null, extra: 1 }), 400, 'extra');
    await expectError(await create({ ...fresh, baseline: { $ne: null } }), 400, 'baseline');
    await expectError(await create({ ...fresh, baseline: 'x'.repeat(2_000_000) }), 413, 'body');
    const garbage = await server.call('/api/v1/rollouts', {
      method: 'POST',
      body: '{"model":"cls","candidate":"1.0.0","baseline":nul',
      headers: { 'content-type': 'application/json' },
    });
    expect(garbage.status).toBe(400);
    expect(await garbage.json()).toMatchObject({ error: expect.any(String), message: expect.any(String) });
    const list = (await (await server.call('/api/v1/rollouts')).json()) as { rollouts: unknown[] };
    expect(list.rollouts).toEqual([]);

    // The same requests are fine where they make sense: a baseline given, or a first canary on new devices.
    expect(
      (await create({ target: { selector: 'site=cls' }, candidate: '2.0.0', strategy: 'shadow' })).status,
    ).toBe(201);
    const ok = await create({ ...fresh, baseline: null, gates: { maxErrorRate: 0.01, latencyP95Ms: 40 } });
    expect(ok.status).toBe(201);
    expect(((await ok.json()) as View).baseline).toBeNull();
  });
});
