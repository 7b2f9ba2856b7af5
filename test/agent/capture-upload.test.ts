import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type RunningAgent, resolveAgentConfig, startAgent } from '@edgefleet/agent';
import { type SampleMeta, sampleMetaSchema } from '@edgefleet/shared/capture';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestServer } from '../../fleet-server/src/testing/harness';
import {
  freePort,
  inferPng,
  publishDesired,
  registerCls,
  startEnrolledAgent,
  startServerWithBroker,
  stripesPng,
  until,
} from './fleet';

/**
 * The fleet server behind a front that passes every request to the real server and records what the real sample
 * route answered; the answer to the first `POST /api/v1/samples` is lost after the server stored it.
 */
function sampleFront(upstream: string, port: number) {
  const stored = new Map<string, SampleMeta>();
  const answers: number[] = [];
  let tries = 0;
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
    const isSample = req.method === 'POST' && req.url === '/api/v1/samples';
    let meta: SampleMeta | null = null;
    if (isSample) {
      const form = await new Request('http://front/', { method: 'POST', headers, body }).formData();
      meta = sampleMetaSchema.parse(JSON.parse(await (form.get('meta') as Blob).text()));
      tries++;
    }
    headers.delete('host');
    headers.delete('content-length');
    const up = await fetch(`${upstream}${req.url}`, {
      method: req.method ?? 'GET',
      headers,
      ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
    });
    const out: Record<string, string> = {};
    up.headers.forEach((v, k) => {
      if (k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'content-length') out[k] = v;
    });
    const answer = Buffer.from(await up.arrayBuffer());
    if (isSample && meta) {
      answers.push(up.status);
      if (up.status === 201) stored.set(meta.sha256, meta);
      // The first answer is lost after the server stored the sample.
      if (tries === 1) {
        res.destroy();
        return;
      }
    }
    res.writeHead(up.status, out).end(answer);
  };
  let server: Server | null = null;
  return {
    stored,
    answers,
    tries: () => tries,
    url: `http://127.0.0.1:${port}`,
    async start() {
      server = createServer((req, res) => {
        handle(req, res).catch(() => res.destroy());
      });
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    },
    close: () => new Promise((r) => (server ? server.close(r) : r(undefined))),
  };
}

describe('captured samples offline, across a restart, uploaded exactly once (real agent, broker, server, model)', () => {
  let t: TestServer;
  let agent: RunningAgent;
  let dataDir = '';
  let front: ReturnType<typeof sampleFront>;
  beforeAll(async () => {
    t = await startServerWithBroker();
  });
  afterAll(async () => {
    await agent?.close();
    await front?.close();
    await t.dispose();
  });

  it('keeps samples while the server is unreachable and a restart happens, then uploads each once', async () => {
    const ref = await registerCls(t, '1.0.0');
    const started = await startEnrolledAgent(t, 'station-up');
    dataDir = started.dataDir;
    agent = started.agent;
    await until(() => agent.link?.connected, 10_000, 'connect');
    const desired = await publishDesired(
      t,
      'station-up',
      { active: ref },
      {
        capture: {
          random: { rate: 1 },
          budget: { maxSamplesPerDay: 100, maxBytesPerDay: 1 << 26 },
          clientRetentionDays: 7,
        },
      },
    );
    // The server accepts samples only where an admin's capture setting reaches (opt-in): set it for this device.
    const setting = await fetch(`${t.url}/api/v1/models/cls/capture`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ target: { devices: ['station-up'] }, policy: desired.capture }),
    });
    expect(setting.status).toBe(200);
    await until(() => agent.reportedRev() >= desired.rev, 20_000, 'applied');
    // From now on the device's API base is the front, which is not up yet: sample uploads fail.
    front = sampleFront(t.url, await freePort());
    await agent.close();
    const enrollmentPath = join(started.dataDir, 'enrollment.json');
    writeFileSync(
      enrollmentPath,
      JSON.stringify({ ...JSON.parse(readFileSync(enrollmentPath, 'utf8')), apiUrl: front.url }),
    );
    const restart = () =>
      startAgent(
        resolveAgentConfig({ dataDir: started.dataDir, httpPort: 0, threads: 1, logLevel: 'silent' }),
        {
          reconnect: { baseMs: 50, maxMs: 200 },
        },
      );
    agent = await restart();
    const images = [
      await stripesPng(192, 48),
      await stripesPng(160, 48),
      await stripesPng(128, 48),
      await stripesPng(176, 48),
    ];
    for (const png of images) await inferPng(agent.url, png);
    await until(() => agent.capture.counters().queue.samples === images.length, 10_000, 'samples queued');
    // Restart while still unreachable: the queue survives.
    await agent.close();
    agent = await restart();
    expect(agent.capture.counters().queue.samples).toBe(images.length);
    await front.start();
    await until(() => agent.capture.counters().queue.samples === 0, 60_000, 'queue uploaded');
    // The real server stored each sample once and answered the resend as a duplicate.
    expect(front.stored.size).toBe(images.length);
    expect(front.answers.filter((a) => a === 201)).toHaveLength(images.length);
    expect(front.answers.filter((a) => a === 200)).toHaveLength(1);
    // The first answer was lost: one resend, answered as a duplicate; nothing stored twice.
    expect(front.tries()).toBe(images.length + 1);
    expect(agent.capture.counters()).toMatchObject({ uploaded: images.length - 1, duplicates: 1 });
    for (const meta of front.stored.values())
      expect(meta).toMatchObject({ clientId: 'station-up', reasons: ['random'] });
  });
  it('keeps telemetry flowing while a sample backlog uploads at the bandwidth bound', async () => {
    await agent.close();
    // 1 kB/s: each sample of a few kB holds the uploader for seconds, so a backlog lasts through the windows below.
    agent = await startAgent(
      resolveAgentConfig({
        dataDir,
        httpPort: 0,
        threads: 1,
        logLevel: 'silent',
        captureUploadBytesPerS: 1024,
      }),
      { reconnect: { baseMs: 50, maxMs: 200 } },
    );
    await until(() => agent.link?.connected, 10_000, 'connect');
    for (const w of [96, 112, 144, 208]) await inferPng(agent.url, await stripesPng(w, 48));
    await until(() => agent.capture.counters().queue.samples >= 3, 10_000, 'backlog queued');
    for (let i = 0; i < 3; i++) {
      await inferPng(agent.url, await stripesPng(192, 48));
      const t0 = Date.now();
      agent.flushWindow();
      await until(() => agent.outbox.stats().pending === 0, 5_000, `window ${i} acknowledged`);
      expect(Date.now() - t0).toBeLessThan(5_000);
    }
    // The backlog was still uploading all along (telemetry did not wait for it), and goes on after.
    expect(agent.capture.counters().queue.samples).toBeGreaterThan(0);
  });
});
