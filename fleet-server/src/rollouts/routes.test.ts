import { inStage } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/harness';
import { insertSimDevices } from './sim-fleet';
import { registerClsVersions } from './test-support';

let t: TestServer;

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000 });
  await registerClsVersions(t, ['1.0.0', '2.0.0']);
  insertSimDevices(t.server.context.db, 'a', 20, { site: 'a' }, t.clock.nowMs);
  insertSimDevices(t.server.context.db, 'b', 5, { site: 'b' }, t.clock.nowMs);
});
afterAll(() => t.dispose());

const create = (json: Record<string, unknown>) =>
  t.call('/api/v1/rollouts', {
    method: 'POST',
    json: { model: 'cls', candidate: '2.0.0', baseline: '1.0.0', ...json },
  });

async function expectError(res: Response, status: number, field: string) {
  expect(res.status).toBe(status);
  const body = await res.json();
  expect(body).toMatchObject({ error: expect.any(String), message: expect.any(String) });
  expect(JSON.stringify(body.details)).toContain(field);
  return body;
}

describe('rollout API', () => {
  it('creates, lists, shows, and refuses a second active rollout on overlapping targets', async () => {
    const res = await create({
      id: 'r-api',
      target: { selector: 'site=a' },
      stages: '10%:30m,100%',
      gates: { latencyP95Ms: 40 },
    });
    expect(res.status).toBe(201);
    const created = await res.json();
    expect(created).toMatchObject({
      id: 'r-api',
      status: 'scheduled',
      strategy: 'canary',
      stageCount: 2,
      targets: { total: 20, byState: { untouched: 20 } },
      audit: [{ event: 'created', actor: expect.stringMatching(/^admin:/) }],
    });
    expect(
      created.stages.map((s: { percent: number; minDurationMs: number }) => [s.percent, s.minDurationMs]),
    ).toEqual([
      [10, 1_800_000],
      [100, 0],
    ]);
    const list = await (await t.call('/api/v1/rollouts?model=cls')).json();
    expect(list.rollouts.map((r: { id: string }) => r.id)).toContain('r-api');
    expect((await t.call('/api/v1/rollouts/r-api')).status).toBe(200);
    const clash = await expectError(
      await create({ target: { devices: ['a-00003', 'b-00001'] } }),
      409,
      'target',
    );
    expect(clash.details.rolloutId).toBe('r-api');
    expect((await create({ id: 'r-b', target: { selector: 'site=b' } })).status).toBe(201);
  });

  it('pauses, resumes, promotes, aborts with who and why in the audit log; refuses what makes no sense', async () => {
    const pause = await t.call('/api/v1/rollouts/r-b/pause', {
      method: 'POST',
      json: { reason: 'line 3 retooling' },
    });
    expect(pause.status).toBe(200);
    expect((await pause.json()).transition).toMatchObject({ event: 'paused', reason: 'line 3 retooling' });
    await expectError(await t.call('/api/v1/rollouts/r-b/pause', { method: 'POST' }), 409, 'status');
    expect((await t.call('/api/v1/rollouts/r-b/resume', { method: 'POST' })).status).toBe(200);
    const promoted = await (
      await t.call('/api/v1/rollouts/r-b/promote', { method: 'POST', json: {} })
    ).json();
    expect(promoted.rollout).toMatchObject({ status: 'running', stageIndex: 1 });
    const aborted = await (
      await t.call('/api/v1/rollouts/r-b/abort', { method: 'POST', json: { reason: 'wrong site' } })
    ).json();
    expect(aborted.rollout.status).toBe('aborted');
    expect(aborted.rollout.audit.map((a: { event: string }) => a.event)).toEqual([
      'created',
      'paused',
      'resumed',
      'promoted',
      'aborted',
    ]);
    await expectError(await t.call('/api/v1/rollouts/r-b/rollback', { method: 'POST' }), 409, 'status');
  });

  it('chooses a salt that leaves no early device stage empty, and keeps a salt it is given', async () => {
    const { devices } = await (await t.call('/api/v1/devices?selector=site%3Db')).json();
    const ids = devices.map((d: { id: string }) => d.id);
    expect(ids).toHaveLength(5);
    // A 10 % stage of 5 devices is empty for 59 % of random salts; each of these rollouts gets one that is not.
    let resalted = 0;
    for (let i = 0; i < 20; i++) {
      const res = await create({
        id: `r-salt-${i}`,
        target: { selector: 'site=b' },
        stages: '10%:10m,50%:10m,100%',
      });
      expect(res.status).toBe(201);
      const { salt } = await (await t.call(`/api/v1/rollouts/r-salt-${i}`)).json();
      if (salt !== `r-salt-${i}`) resalted++;
      for (const percent of [10, 50]) expect(ids.some((id: string) => inStage(id, salt, percent))).toBe(true);
      expect(
        (await t.call(`/api/v1/rollouts/r-salt-${i}/abort`, { method: 'POST', json: { reason: 'test' } }))
          .status,
      ).toBe(200);
    }
    expect(resalted).toBeGreaterThan(0);
    const given = await create({
      id: 'r-salt-given',
      target: { selector: 'site=b' },
      stages: '10%:10m,100%',
      salt: 'mine',
    });
    expect(given.status).toBe(201);
    expect((await (await t.call('/api/v1/rollouts/r-salt-given')).json()).salt).toBe('mine');
    await t.call('/api/v1/rollouts/r-salt-given/abort', { method: 'POST', json: { reason: 'test' } });
  });

  it('answers invalid input with {error, message, details} naming the field', async () => {
    await expectError(await create({ target: { selector: 'site=' }, stages: '50%,10%' }), 400, 'stages');
    await expectError(await create({ target: { selector: 'site in (' } }), 400, 'target.selector');
    await expectError(await create({ candidate: '9.9.9', target: { selector: 'site=c' } }), 400, 'candidate');
    await expectError(await create({ baseline: '0.0.1', target: { selector: 'site=c' } }), 400, 'baseline');
    await expectError(await create({ target: { app: 'nope' } }), 400, 'target.app');
    await expectError(
      await create({ target: { selector: 'site=c' }, strategy: 'sideways' }),
      400,
      'strategy',
    );
    await expectError(
      await create({
        target: { selector: 'site=c' },
        maintenanceWindows: [{ days: ['mon'], start: '22:00', end: '06:00', timeZone: 'Mars/Base' }],
      }),
      400,
      'maintenanceWindows.0',
    );
    await expectError(
      await create({ target: { selector: 'site=c' }, strategy: 'all-at-once', stages: '50%,100%' }),
      400,
      'stages',
    );
    await expectError(await t.call('/api/v1/rollouts/nope'), 404, 'id');
    expect(
      (await t.call('/api/v1/rollouts', { headers: { authorization: 'Bearer nope.nope' } })).status,
    ).toBe(401);
  });

  it('refuses bad quality gates and ladder stages with 400 naming the field', async () => {
    const site = { target: { selector: 'site=c' } };
    await expectError(
      await create({ ...site, gates: { maxAccuracyDrop: 1.5 } }),
      400,
      'gates.maxAccuracyDrop',
    );
    await expectError(
      await create({ ...site, gates: { maxAgreementDrop: -0.1 } }),
      400,
      'gates.maxAgreementDrop',
    );
    await expectError(await create({ ...site, gates: { minLabels: 0 } }), 400, 'gates.minLabels');
    await expectError(
      await create({ ...site, gates: { minStepUpReviews: 2.5 } }),
      400,
      'gates.minStepUpReviews',
    );
    await expectError(await create({ ...site, gates: { maxReviewShare: 0.1 } }), 400, 'gates');
    await expectError(
      await create({ ...site, strategy: 'shadow', gates: { maxAccuracyDrop: 0.02 } }),
      400,
      'gates.maxAccuracyDrop',
    );
    await expectError(await create({ ...site, stages: '50%@manual,100%' }), 400, 'stages');
    await expectError(await create({ ...site, stages: '50%@partial(2,0.1),100%' }), 400, 'stages');
    await expectError(await create({ ...site, stages: '50%@full,100%@assist' }), 400, 'stages');
    await expectError(await create({ ...site, stages: '100%@assist,100%@assist' }), 400, 'stages');
    await expectError(
      await create({ ...site, strategy: 'shadow', stages: '50%@shadow,100%@assist' }),
      400,
      'stages',
    );
    await expectError(
      await create({ ...site, gates: { minStepUpAgreement: 0.9 }, stages: '50%,100%' }),
      400,
      'gates.minStepUpAgreement',
    );
    await t.call('/api/v1/apps', { method: 'POST', json: { id: 'ladder-app', name: 'Ladder' } });
    await expectError(
      await create({ target: { app: 'ladder-app' }, stages: '50%@shadow,100%@assist' }),
      400,
      'stages',
    );
    await expectError(
      await create({ target: { selector: 'site=c' }, baseline: null, gates: { maxAccuracyDrop: 0.02 } }),
      400,
      'gates.maxAccuracyDrop',
    );
  });

  it('creates a ladder rollout with quality gates and shows each stage with its level', async () => {
    const res = await create({
      id: 'r-ladder',
      target: { selector: 'site=b' },
      stages: '20%:30m@shadow,100%:1h@assist,100%:1h@partial(0.9,0.2),100%@full',
      gates: { maxAccuracyDrop: 0.02, minLabels: 200, minStepUpAgreement: 0.97, minStepUpReviews: 300 },
    });
    if (res.status !== 201) throw new Error(await res.text());
    const body = await res.json();
    expect(body.stages.map((s: { automation?: unknown }) => s.automation)).toEqual([
      { level: 'shadow' },
      { level: 'assist' },
      { level: 'partial', minConfidence: 0.9, minMargin: 0.2 },
      { level: 'full' },
    ]);
    expect(body.gates).toMatchObject({ maxAccuracyDrop: 0.02, minStepUpAgreement: 0.97 });
  });
});
