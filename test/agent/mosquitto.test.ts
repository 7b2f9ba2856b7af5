import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../fleet-server/src/db';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { type InferBody, publishDesired, registerCls, startEnrolledAgent, stripesPng, until } from './fleet';

// The same agent flow through the system Mosquitto (server in external broker mode).
const mosquittoUp = await new Promise<boolean>((resolve) => {
  const socket = new Socket();
  socket.setTimeout(1_000);
  socket.once('connect', () => {
    socket.destroy();
    resolve(true);
  });
  socket.once('error', () => resolve(false));
  socket.once('timeout', () => resolve(false));
  socket.connect(1883, '127.0.0.1');
});
if (!mosquittoUp) console.warn('SKIPPED agent via Mosquitto: nothing on 127.0.0.1:1883');

describe.skipIf(!mosquittoUp)('agent through Mosquitto', () => {
  // Own fleet and device id: parallel runs on the shared broker never see each other.
  const fleet = `ag-${randomUUID().slice(0, 8)}`;
  const deviceId = `station-${randomUUID().slice(0, 8)}`;
  let t: TestServer;
  let dataDir = '';
  beforeAll(async () => {
    t = await startTestServer({ mqttUrl: 'mqtt://127.0.0.1:1883', fleet });
  });
  afterAll(async () => {
    await t?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('enrolls, applies the desired state, serves and delivers telemetry via Mosquitto', async () => {
    const ref = await registerCls(t, '1.0.0');
    const started = await startEnrolledAgent(t, deviceId);
    const agent = started.agent;
    dataDir = started.dataDir;
    try {
      await until(() => agent.link?.connected, 10_000, 'connect');
      const desired = await publishDesired(t, deviceId, { active: ref });
      await until(() => agent.reportedRev() === desired.rev, 20_000, 'applied');
      const res = await fetch(`${agent.url}/v1/infer?outputs=false`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: await stripesPng(),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as InferBody).model.version).toBe('1.0.0');
      agent.flushWindow();
      await until(() => agent.outbox.stats().acked === 1, 10_000, 'ack via Mosquitto');
      const rows = t.server.context.db.select().from(schema.telemetryReports).all();
      expect(rows.filter((r) => r.clientId === deviceId)).toHaveLength(1);
    } finally {
      await agent.close();
    }
  });
});
