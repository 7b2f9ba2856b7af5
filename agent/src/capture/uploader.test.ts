import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CaptureCounters, emptyCaptureCounters, sampleMetaSchema } from '@edgefleet/shared/capture';
import { type HttpBindings, serve } from '@hono/node-server';
import { Hono } from 'hono';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SampleQueue } from './queue';
import { CaptureStore } from './store';
import { SampleUploader } from './uploader';

const logger = pino({ level: 'silent' });
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** A real HTTP server speaking the sample route's contract; `answer` may override the status of a try. */
async function sampleServer(
  answer: (tryNo: number, sha: string) => number | 'drop' | undefined = () => undefined,
) {
  const stored = new Map<string, Buffer>();
  const tries: { sha: string; auth: string | undefined; atMs: number }[] = [];
  const app = new Hono<{ Bindings: HttpBindings }>();
  app.post('/api/v1/samples', async (c) => {
    const form = await c.req.formData();
    const meta = sampleMetaSchema.parse(JSON.parse(await (form.get('meta') as Blob).text()));
    const content = Buffer.from(await (form.get('content') as Blob).arrayBuffer());
    if (createHash('sha256').update(content).digest('hex') !== meta.sha256)
      return c.json({ error: 'sha' }, 422);
    tries.push({ sha: meta.sha256, auth: c.req.header('authorization'), atMs: performance.now() });
    const forced = answer(tries.length, meta.sha256);
    if (typeof forced === 'number') {
      if (forced === 429) c.header('retry-after', '1');
      return c.json({ error: forced === 403 ? 'capture_disabled' : 'nope' }, forced as 403);
    }
    const duplicate = stored.has(meta.sha256);
    stored.set(meta.sha256, content);
    // A lost answer: stored, then the connection dies before the client hears it.
    if (forced === 'drop') return new Promise<Response>(() => c.env.outgoing.destroy());
    return c.json({ sha256: meta.sha256, status: duplicate ? 'duplicate' : 'stored' }, duplicate ? 200 : 201);
  });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((r) => server.once('listening', r));
  cleanups.push(() => new Promise((r) => server.close(r)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, stored, tries };
}

function queueOf(samples: number, sizeBytes: number) {
  const dir = mkdtempSync(join(tmpdir(), 'ef-capture-up-'));
  const store = new CaptureStore(join(dir, 'capture.db'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  cleanups.push(() => store.close());
  const counters = emptyCaptureCounters();
  const queue = new SampleQueue(store, counters, 1 << 30, Date.now);
  for (let i = 0; i < samples; i++) {
    const content = Buffer.alloc(sizeBytes, i + 1);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const meta = {
      v: 1,
      clientId: 'dev-1',
      sha256,
      contentType: 'image/png',
      sizeBytes,
      model: { name: 'cls', version: '1.0.0' },
      capturedAt: 1_000 + i,
      reasons: ['random'],
    };
    queue.enqueue({ sha256, capturedMs: 1_000 + i, sizeBytes, meta: JSON.stringify(meta), content });
  }
  return { queue, counters };
}

function uploader(
  queue: SampleQueue,
  counters: CaptureCounters,
  url: string,
  over: { bytesPerS?: number; canSend?: () => boolean } = {},
) {
  const u = new SampleUploader(
    queue,
    counters,
    {
      apiUrl: url,
      deviceToken: 'tok-1',
      bytesPerS: over.bytesPerS ?? 1 << 30,
      canSend: over.canSend ?? (() => true),
      maxBackoffMs: 200,
    },
    logger,
  );
  cleanups.push(() => u.stop());
  return u;
}

const until = async (check: () => boolean, what: string, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('SampleUploader (real HTTP, real SQLite)', () => {
  it('uploads each sample once, with the device token, at most bytesPerS on average', async () => {
    const srv = await sampleServer();
    const { queue, counters } = queueOf(4, 10_000);
    const t0 = performance.now();
    uploader(queue, counters, srv.url, { bytesPerS: 40_000 }).start();
    await until(() => counters.uploaded === 4, '4 uploads');
    expect(srv.stored.size).toBe(4);
    expect(srv.tries.every((t) => t.auth === 'Bearer tok-1')).toBe(true);
    // 4 × 10 kB at 40 kB/s: the fourth starts no earlier than 0.75 s after the first did.
    expect(srv.tries[3]!.atMs - t0).toBeGreaterThanOrEqual(750);
    expect(queue.size).toEqual({ samples: 0, bytes: 0 });
  });

  it('resends after a lost answer; the server says duplicate; the sample leaves the queue, stored once', async () => {
    const srv = await sampleServer((n) => (n === 1 ? 'drop' : undefined));
    const { queue, counters } = queueOf(2, 1_000);
    uploader(queue, counters, srv.url).start();
    await until(() => queue.size.samples === 0, 'queue empty');
    expect(srv.tries.length).toBe(3);
    expect(srv.stored.size).toBe(2);
    expect(counters).toMatchObject({ uploaded: 1, duplicates: 1 });
  });

  it('drops content the server refuses for good (counted), keeps and retries what it defers', async () => {
    // Try 1: 422 (dropped). Try 2: 429 with Retry-After 1 s (kept). Try 3: 507 (kept). Then stored.
    const srv = await sampleServer((n) => [422, 429, 507][n - 1]);
    const { queue, counters } = queueOf(2, 1_000);
    uploader(queue, counters, srv.url).start();
    await until(() => queue.size.samples === 0, 'queue empty');
    expect(counters).toMatchObject({ uploaded: 1, dropped: { rejected: 1 } });
    expect(srv.tries[2]!.atMs - srv.tries[1]!.atMs).toBeGreaterThanOrEqual(990);
    expect(srv.stored.size).toBe(1);
  });

  it('sends nothing while telemetry is not drained, and goes as soon as it is', async () => {
    const srv = await sampleServer();
    const { queue, counters } = queueOf(1, 1_000);
    let telemetryPending = true;
    uploader(queue, counters, srv.url, { canSend: () => !telemetryPending }).start();
    await new Promise((r) => setTimeout(r, 600));
    expect(srv.tries.length).toBe(0);
    telemetryPending = false;
    await until(() => counters.uploaded === 1, 'upload');
  });

  it('waits out an unreachable server and delivers once it is back', async () => {
    const { queue, counters } = queueOf(1, 1_000);
    const srv = await sampleServer();
    const down = 'http://127.0.0.1:9'; // discard port: connection refused
    let url = down;
    const u = new SampleUploader(
      queue,
      counters,
      {
        apiUrl: down,
        deviceToken: 't',
        bytesPerS: 1 << 30,
        canSend: () => true,
        maxBackoffMs: 100,
        fetchImpl: (input, init) => fetch(String(input).replace(down, url), init),
      },
      logger,
    );
    cleanups.push(() => u.stop());
    u.start();
    await new Promise((r) => setTimeout(r, 400));
    expect(queue.size.samples).toBe(1);
    url = srv.url;
    await until(() => counters.uploaded === 1, 'upload after the server came back');
    expect(srv.stored.size).toBe(1);
  });
});
