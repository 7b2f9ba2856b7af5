import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { RunningAgent } from '@edgefleet/agent';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schema } from '../../fleet-server/src/db';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { modelRef, publishDesired, registerCls, startEnrolledAgent, stripesPng, until } from './fleet';
import { type MqttProxy, startMqttProxy } from './mqtt-proxy';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('exactly-once telemetry over a lossy path (real embedded broker, SQLite, cls model)', () => {
  let t: TestServer;
  let proxy: MqttProxy;
  let lose: (seq: number) => boolean = () => false;
  beforeAll(async () => {
    const mqttPort = await freePort();
    t = await startTestServer({ mqttPort });
    proxy = await startMqttProxy({
      upstreamPort: mqttPort,
      swallow: ({ topic, payload }) =>
        topic.endsWith('/telemetry') && lose((JSON.parse(payload.toString()) as { seq: number }).seq),
    });
  });
  afterAll(async () => {
    await proxy?.close();
    await t?.dispose();
  });

  const rowsOf = (clientId: string) =>
    t.server.context.db
      .select()
      .from(schema.telemetryReports)
      .all()
      .filter((r) => r.clientId === clientId);

  it('keeps a report lost in flight while later ones are stored, resends it on reconnect: each arrives once', async () => {
    const ref = await registerCls(t, '1.0.0');
    const { agent, dataDir } = await startEnrolledAgent(t, 'station-x', { mqttUrl: proxy.url });
    const rows = () => rowsOf('station-x');
    const png = await stripesPng();
    const infer = async (a: RunningAgent) => {
      const res = await fetch(`${a.url}/v1/infer?outputs=false`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: png,
      });
      expect(res.status).toBe(200);
    };
    try {
      await until(() => agent.link?.connected, 10_000, 'connect');
      const desired = await publishDesired(t, 'station-x', { active: ref });
      await until(() => agent.reportedRev() === desired.rev, 20_000, 'applied');

      // The broker acks seq 2 to the agent but never gets it; 1, 3, 4 and 5 are stored and acked.
      let lost = 0;
      lose = (seq) => seq === 2 && lost++ === 0;
      const windows = 5;
      for (let w = 0; w < windows; w++) {
        await infer(agent);
        agent.flushWindow();
      }
      await until(() => rows().length === windows - 1 && agent.sender?.inFlightCount === 1, 20_000, 'acks');
      expect(proxy.swallowed).toHaveLength(1);
      expect(
        rows()
          .map((r) => r.seq)
          .sort((a, b) => a - b),
      ).toEqual([1, 3, 4, 5]);
      // A highest-seq ack would have trimmed seq 2 with the others: it must still wait in the outbox.
      expect(agent.outbox.pending(10).map((p) => p.seq)).toEqual([2]);

      proxy.dropConnections();
      await until(() => agent.outbox.stats().pending === 0, 20_000, 'outbox drained');
      const stored = rows();
      expect(stored.map((r) => r.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(stored.map((r) => `${r.epoch}:${r.seq}`)).size).toBe(windows);
      expect(stored.reduce((n, r) => n + r.inferences, 0)).toBe(windows);
      expect(agent.sender?.inFlightCount).toBe(0);
    } finally {
      lose = () => false;
      await agent.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('resends a report whose ack never came after resendAfterMs, on the same connection', async () => {
    const ref = await modelRef(t, '1.0.0');
    const { agent, dataDir } = await startEnrolledAgent(
      t,
      'station-y',
      { mqttUrl: proxy.url },
      { resendAfterMs: 300 },
    );
    try {
      await until(() => agent.link?.connected, 10_000, 'connect');
      const desired = await publishDesired(t, 'station-y', { active: ref });
      await until(() => agent.reportedRev() === desired.rev, 20_000, 'applied');
      let lost = 0;
      lose = (seq) => seq === 1 && lost++ === 0;
      const png = await stripesPng();
      for (let w = 0; w < 3; w++) {
        const res = await fetch(`${agent.url}/v1/infer?outputs=false`, {
          method: 'POST',
          headers: { 'content-type': 'image/png' },
          body: png,
        });
        expect(res.status).toBe(200);
        agent.flushWindow();
      }
      await until(() => agent.outbox.stats().pending === 0, 20_000, 'outbox drained');
      expect(lost).toBe(2); // seq 1 went out twice: swallowed, then resent after 300 ms
      const stored = rowsOf('station-y');
      expect(stored.map((r) => r.seq).sort((a, b) => a - b)).toEqual([1, 2, 3]);
      expect(stored.reduce((n, r) => n + r.inferences, 0)).toBe(3);
    } finally {
      lose = () => false;
      await agent.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
