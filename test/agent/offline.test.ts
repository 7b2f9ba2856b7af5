import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { resolveAgentConfig, startAgent } from '@edgefleet/agent';
import { telemetryReportSchema } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadArtifact } from '../../agent/src/store/download';
import { schema } from '../../fleet-server/src/db';
import { startTestServer, type TestServer } from '../../fleet-server/src/testing/harness';
import { CLS_MODEL_PATH, publishDesired, registerCls, startEnrolledAgent, stripesPng, until } from './fleet';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('agent offline', () => {
  let t: TestServer;
  let dataDir = '';
  beforeAll(async () => {
    t = await startTestServer({ mqttPort: await freePort() });
  });
  afterAll(async () => {
    await t.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every window while the broker is down, delivers each once after, and restarts serving without the server', async () => {
    const ref = await registerCls(t, '1.0.0');
    const started = await startEnrolledAgent(t, 'station-o');
    let agent = started.agent;
    dataDir = started.dataDir;
    const png = await stripesPng();
    const infer = async () => {
      const res = await fetch(`${agent.url}/v1/infer?outputs=false`, {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: png,
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { model: { version: string } };
    };
    const rows = () => t.server.context.db.select().from(schema.telemetryReports).all();
    try {
      await until(() => agent.link?.connected, 10_000, 'connect');
      const desired = await publishDesired(t, 'station-o', { active: ref });
      await until(() => agent.reportedRev() === desired.rev, 20_000, 'applied');

      await t.server.close();
      await until(() => !agent.link?.connected, 10_000, 'disconnect');
      const windows = 6;
      for (let w = 0; w < windows; w++) {
        await infer();
        await infer();
        agent.flushWindow();
      }
      expect(agent.outbox.stats().pending).toBe(windows);
      // Every window report carries the process metrics of its window, valid under the shared schema.
      for (const row of agent.outbox.pending(windows)) {
        const report = telemetryReportSchema.parse(JSON.parse(row.body));
        expect(report.software?.rssBytes).toBeGreaterThan(0);
        expect(report.software?.cpuUserMs).toBeGreaterThan(0);
      }

      await t.restart();
      await until(() => agent.outbox.stats().pending === 0, 20_000, 'outbox drained');
      const stored = rows().filter((r) => r.clientId === 'station-o');
      expect(stored).toHaveLength(windows);
      expect(new Set(stored.map((r) => `${r.epoch}:${r.seq}`)).size).toBe(windows);
      expect(stored.reduce((n, r) => n + r.inferences, 0)).toBe(2 * windows);
    } finally {
      await agent.close();
    }

    // Restart with the server down: the last good model serves at once.
    await t.server.close();
    agent = await startAgent(resolveAgentConfig({ dataDir, httpPort: 0, threads: 1, logLevel: 'silent' }), {
      reconnect: { baseMs: 50, maxMs: 200 },
    });
    try {
      expect(agent.deployer.running().active).toEqual({ name: 'cls', version: '1.0.0' });
      expect((await infer()).model.version).toBe('1.0.0');
    } finally {
      await agent.close();
      await t.restart();
    }
  });

  it('merges windows past the outbox bound while the broker is down, then delivers every inference once', async () => {
    const ref = await registerCls(t, '1.0.2');
    const started = await startEnrolledAgent(t, 'station-m', { outboxMaxReports: 4 });
    const agent = started.agent;
    const png = await stripesPng();
    const rows = () =>
      t.server.context.db
        .select()
        .from(schema.telemetryReports)
        .all()
        .filter((r) => r.clientId === 'station-m');
    try {
      await until(() => agent.link?.connected, 10_000, 'connect');
      // The desired state's bound is the one that holds (it overrides the command line's).
      const desired = await publishDesired(
        t,
        'station-m',
        { active: ref },
        { telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 4 } },
      );
      await until(() => agent.reportedRev() === desired.rev, 20_000, 'applied');
      await t.server.close();
      await until(() => !agent.link?.connected, 10_000, 'disconnect');
      const windows = 9;
      for (let w = 0; w < windows; w++) {
        for (let i = 0; i < 2; i++) {
          const res = await fetch(`${agent.url}/v1/infer?outputs=false`, {
            method: 'POST',
            headers: { 'content-type': 'image/png' },
            body: png,
          });
          expect(res.status).toBe(200);
        }
        agent.flushWindow();
      }
      const offline = agent.outbox.stats();
      expect(offline.pending).toBe(4);
      expect(offline.overflow).toEqual({
        mergedWindows: windows - 4,
        droppedReports: 0,
        droppedInferences: 0,
      });

      await t.restart();
      await until(() => agent.outbox.stats().pending === 0, 20_000, 'outbox drained');
      const stored = rows();
      expect(stored).toHaveLength(4);
      expect(new Set(stored.map((r) => `${r.epoch}:${r.seq}`)).size).toBe(4);
      expect(stored.reduce((n, r) => n + r.inferences, 0)).toBe(2 * windows);
      expect(Math.max(...stored.map((r) => r.overflow.mergedWindows ?? 0))).toBe(windows - 4);
      expect(stored.every((r) => r.status === 'merged')).toBe(true);
    } finally {
      await agent.close();
      rmSync(started.dataDir, { recursive: true, force: true });
    }
  });

  it('resumes a partial artifact download with Range and checks its sha256', async () => {
    const bytes = readFileSync(CLS_MODEL_PATH);
    const ref = await registerCls(t, '1.0.1');
    const token = (await (
      await t.call('/api/v1/enrollment-tokens', { method: 'POST', json: { labels: {} } })
    ).json()) as {
      token: string;
    };
    const enrolled = (await (
      await fetch(`${t.url}/api/v1/enroll`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          enrollmentToken: token.token,
          deviceId: 'station-r',
          labels: {},
          capabilities: { platform: 'node', backends: ['cpu'] },
          agentVersion: '0.1.0',
        }),
      })
    ).json()) as { deviceToken: string };
    await publishDesired(t, 'station-r', { active: ref }); // a device reads what its desired state names
    const dest = join(t.dataDir, 'resume.partial');
    writeFileSync(dest, bytes.subarray(0, bytes.length >> 1));
    const seen: { range: string | null; status: number }[] = [];
    const fetchImpl: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      seen.push({ range: new Headers(init?.headers).get('range'), status: res.status });
      return res;
    };
    await downloadArtifact({
      url: `${t.url}${ref.artifactUrl}`,
      dest,
      sha256: ref.manifest.sha256,
      sizeBytes: ref.manifest.sizeBytes,
      headers: { authorization: `Bearer ${enrolled.deviceToken}` },
      fetchImpl,
    });
    expect(seen).toEqual([{ range: `bytes=${bytes.length >> 1}-`, status: 206 }]);
    expect(readFileSync(dest).equals(bytes)).toBe(true);

    // A wrong partial prefix is caught by the hash and deleted.
    const bad = Buffer.from(bytes.subarray(0, 1000));
    bad[10] = bad[10]! ^ 1;
    writeFileSync(dest, bad);
    await expect(
      downloadArtifact({
        url: `${t.url}${ref.artifactUrl}`,
        dest,
        sha256: ref.manifest.sha256,
        sizeBytes: ref.manifest.sizeBytes,
        headers: { authorization: `Bearer ${enrolled.deviceToken}` },
      }),
    ).rejects.toMatchObject({ step: 'verify_sha256' });
  });
});
