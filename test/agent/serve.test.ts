import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../fleet-server/src/db';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { type InferBody, publishDesired, registerCls, startEnrolledAgent, stripesPng, until } from './fleet';

describe('agent against the real fleet server', () => {
  let t: TestServer;
  const dirs: string[] = [];
  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t.dispose();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('enrolls, follows the desired state, serves the cls model over HTTP and delivers telemetry once', async () => {
    const ref = await registerCls(t, '1.0.0');
    const { agent, dataDir } = await startEnrolledAgent(t, 'station-1');
    dirs.push(dataDir);
    try {
      await until(() => agent.link?.connected, 10_000, 'mqtt connect');
      const desired = await publishDesired(t, 'station-1', { active: ref });
      await until(() => agent.reportedRev() === desired.rev, 20_000, 'desired applied');
      expect(agent.deployer.running().active).toEqual({ name: 'cls', version: '1.0.0' });
      expect(agent.lastErrors()).toEqual([]);

      const png = await stripesPng();
      const res = await fetch(`${agent.url}/v1/infer`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: png,
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as InferBody;
      expect(body.model).toEqual({ name: 'cls', version: '1.0.0' });
      expect(['0', '180']).toContain(body.top?.label);
      expect(body.top?.confidence).toBeGreaterThan(0.5);
      const [p0, p1] = body.outputs['softmax_0.tmp_0']!.data;
      expect(p0! + p1!).toBeCloseTo(1, 4);

      agent.flushWindow();
      await until(
        () => agent.outbox.stats().pending === 0 && agent.outbox.stats().acked >= 1,
        10_000,
        'report acked',
      );
      const rows = t.server.context.db.select().from(schema.telemetryReports).all();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        clientId: 'station-1',
        modelName: 'cls',
        modelVersion: '1.0.0',
        inferences: 1,
        seq: 1,
      });

      const status = (await (await fetch(`${agent.url}/v1/status`)).json()) as Record<string, unknown>;
      expect(status).toMatchObject({ deviceId: 'station-1', connected: true, appliedRev: desired.rev });
    } finally {
      await agent.close();
    }
  });
});
