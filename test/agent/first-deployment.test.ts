import { rmSync } from 'node:fs';
import type { RunningAgent } from '@edgefleet/agent';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { registerCls, startEnrolledAgent, until } from './fleet';

// A real agent under a first-deployment rollout (no baseline): it serves v1 once the rollout gives it one,
// and after the rollback takes the model away it serves nothing: 503 `not_ready` "no model".

const ZEROS = { dims: [1, 3, 48, 192], data: new Array(3 * 48 * 192).fill(0) };

describe('agent under a first deployment', () => {
  let t: TestServer | undefined;
  let agent: RunningAgent | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await agent?.close();
    await t?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const infer = async () => {
    const res = await fetch(`${agent!.url}/v1/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(ZEROS),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('serves v1 from the rollout, and nothing (503 no model) after its rollback', async () => {
    t = await startTestServer({ rolloutTickMs: 100 });
    await registerCls(t, '1.0.0');
    ({ agent, dataDir } = await startEnrolledAgent(t, 'station-f'));
    await until(() => agent!.link?.connected, 10_000, 'mqtt connect');
    expect((await infer()).status).toBe(503);

    const created = await t.call('/api/v1/rollouts', {
      method: 'POST',
      json: {
        id: 'first',
        model: 'cls',
        candidate: '1.0.0',
        target: { devices: ['station-f'] },
        stages: '100%:1h',
        minReportingTargets: 0,
        minInferences: 0,
      },
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { baseline: string | null }).baseline).toBeNull();
    await until(async () => (await infer()).status === 200, 20_000, 'serving v1');
    expect((await infer()).body).toMatchObject({ model: { name: 'cls', version: '1.0.0' } });

    const back = await t.call('/api/v1/rollouts/first/rollback', {
      method: 'POST',
      json: { reason: 'test' },
    });
    expect(back.status).toBe(200);
    await until(async () => (await infer()).status === 503, 20_000, 'model withdrawn');
    expect((await infer()).body).toMatchObject({
      error: 'not_ready',
      message: expect.stringMatching(/^no model/),
    });
    const status = (await (await fetch(`${agent!.url}/v1/status`)).json()) as {
      running: { active: unknown; shadow: unknown; standby: unknown };
    };
    expect(status.running).toEqual({ active: null, shadow: null, standby: null });
  }, 60_000);
});
