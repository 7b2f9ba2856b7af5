// Captured samples on the way to the server: made offline, uploaded exactly once after a reload (and only after the
// telemetry the page left behind); telemetry not delayed while a slow sample backlog uploads; refusals dropped and
// counted, "later" answers (budget, space, server errors, no network) kept and retried. Real fleet server, real
// Chromium (WASM), real PaddleOCR cls model; the sample uploads are read (and, for refusals, answered) at the
// browser's network edge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowserFleet } from './assets';
import {
  captureStatus,
  drained,
  images,
  inferAll,
  open,
  policy,
  publish,
  shared,
  start,
} from './capture-page';
import { clsModelBytes } from './fleet';

beforeAll(async () => {
  shared.env = await startBrowserFleet({ webgpu: false });
  shared.fleet = shared.env.fleet;
  shared.ref = await shared.fleet.register('1.0.0', clsModelBytes());
  await publish(undefined, policy({ random: { rate: 1 } }));
}, 120_000);

afterAll(async () => {
  await shared.env?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: ${JSON.stringify(value)}`);
    await sleep(100);
  }
}

describe('sample transport (real Chromium, WASM, PaddleOCR cls)', () => {
  it('offline capture is uploaded exactly once after a reload, after the telemetry left behind', async () => {
    const { context, sink, page } = await open();
    await start(page);
    // Offline for the page, and for routed requests too (Playwright would still answer those).
    await context.setOffline(true);
    sink.mode = 'offline';
    const answers = await inferAll(page, images(2000, 6));
    const offline = await until(
      () => captureStatus(page),
      (s) => s?.captured.random === 6,
      'not captured',
    );
    expect(offline).toMatchObject({ queue: { samples: 6 }, uploaded: 0 });
    // The page goes away offline: its open telemetry window lands in the telemetry outbox.
    await page.evaluate(() => window.ef.runtime!.close());
    expect(sink.uploads.filter((u) => u.status !== 0)).toEqual([]);
    const telemetryAnswered: number[] = [];
    page.on('requestfinished', (r) => {
      if (r.url().includes('/api/v1/telemetry')) telemetryAnswered.push(Date.now());
    });
    await context.setOffline(false);
    sink.mode = 'accept';
    const reportsBefore = shared.fleet.reports().length;
    await start(page);
    const status = await drained(page);
    expect(status).toMatchObject({
      captured: { random: 6 },
      uploaded: 6,
      queue: { samples: 0 },
      dropped: { rejected: 0 },
    });
    const delivered = sink.delivered();
    expect(delivered.size).toBe(6);
    expect([...delivered.values()]).toEqual([1, 1, 1, 1, 1, 1]);
    expect(new Set(sink.uploads.filter((u) => u.status === 201).map((u) => u.meta.predictionId))).toEqual(
      new Set(answers.map((a) => a.predictionId)),
    );
    // Telemetry first: the left-behind report was stored, and no sample went before its POST was answered.
    expect(shared.fleet.reports().length).toBeGreaterThan(reportsBefore);
    const firstSample = Math.min(...sink.uploads.filter((u) => u.status === 201).map((u) => u.startedMs));
    expect(telemetryAnswered.length).toBeGreaterThan(0);
    expect(firstSample).toBeGreaterThanOrEqual(telemetryAnswered[0]!);
    // Another reload sends nothing again.
    const uploads = sink.uploads.length;
    await start(page);
    await sleep(1_500);
    expect((await captureStatus(page))?.queue.samples).toBe(0);
    expect(sink.uploads.length).toBe(uploads);
    await context.close();
  }, 120_000);

  it('telemetry is not delayed while a slow sample backlog uploads', async () => {
    const { context, sink, page } = await open();
    await start(page);
    const flushMs = async () => {
      await inferAll(page, images(Math.floor(Math.random() * 1e6), 1));
      const t0 = Date.now();
      const s = await page.evaluate(() => window.ef.runtime!.flush());
      expect(s.buffered).toBe(0);
      return Date.now() - t0;
    };
    // Without a backlog (the one sample each flush makes goes right after).
    const baseline: number[] = [];
    for (let i = 0; i < 3; i++) {
      baseline.push(await flushMs());
      await drained(page);
    }
    // Each sample upload now takes 3 s: a backlog of 16 takes 48 s, longer than the three flushes below.
    sink.delayMs = 3_000;
    await inferAll(page, images(3000, 16));
    const reports = shared.fleet.reports().length;
    const under: number[] = [];
    for (let i = 0; i < 3; i++) {
      await until(
        async () => sink.inFlight,
        (n) => n > 0,
        'no upload in flight',
      );
      under.push(await flushMs());
      expect((await captureStatus(page))!.queue.samples).toBeGreaterThan(0);
    }
    expect(shared.fleet.reports().length).toBe(reports + 3);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1]!;
    console.log(
      `web.capture.telemetry_flush_ms: ${median(baseline)} ms; under_sample_backlog: ${median(under)} ms`,
    );
    // Well below one sample upload (3 s): telemetry never waited for one.
    expect(median(under)).toBeLessThan(1_500);
    await context.close();
  }, 180_000);

  it('a full queue evicts the oldest random samples (counted); the counters reach the server in telemetry', async () => {
    // 507: the server keeps saying "later", so samples stay queued; the queue holds three.
    const { context, sink, page } = await open({ status: 507, error: 'sample_store_full' });
    await start(page, { maxQueuedSamples: 3 });
    const answers = await inferAll(page, images(6000, 5));
    const full = await until(
      () => captureStatus(page),
      (s) => (s?.captured.random ?? 0) + (s?.dropped.overflow ?? 0) === 5,
      'not captured',
    );
    expect(full).toMatchObject({
      captured: { random: 5 },
      dropped: { evicted: 2, overflow: 0 },
      queue: { samples: 3 },
      uploaded: 0,
    });
    // The counters go out in the next window's report (software metrics, as the agent's), and the server stores them.
    const clientId = await page.evaluate(() => window.ef.runtime!.clientId);
    const flushed = await page.evaluate(() => window.ef.runtime!.flush());
    expect(flushed.buffered).toBe(0);
    const stored = shared.fleet
      .reports()
      .filter((r) => r.clientId === clientId)
      .map((r) => r.software?.capture)
      .filter((c) => c !== undefined);
    expect(stored.at(-1)).toMatchObject({
      captured: { random: 5 },
      dropped: { evicted: 2, overflow: 0, rejected: 0 },
      queue: { samples: 3 },
      uploaded: 0,
    });
    expect(stored.at(-1)!.queue.bytes).toBeGreaterThan(0);
    expect(stored.at(-1)).not.toHaveProperty('rejectedByStatus');
    // Three waited, the last two among them (only older samples make room; the one in flight to the server is
    // never evicted, so which older one stayed depends on timing): they are what the server gets once it takes them.
    sink.mode = 'accept';
    await drained(page);
    const got = new Set(sink.uploads.filter((u) => u.status === 201).map((u) => u.meta.predictionId));
    expect(got.size).toBe(3);
    for (const a of answers.slice(3)) expect(got.has(a.predictionId)).toBe(true);
    await context.close();
  }, 60_000);

  describe.each([
    [403, 'capture_disabled'],
    [413, 'sample_too_large'],
    [415, 'unsupported_content_type'],
    [422, 'invalid_sample'],
  ])('a %i (%s) answer', (status, error) => {
    it('drops the sample, counts it by status, and never resends it', async () => {
      const { context, sink, page } = await open({ status, error });
      await start(page);
      await inferAll(page, images(4000 + status, 3));
      const s = await drained(page);
      expect(s).toMatchObject({
        captured: { random: 3 },
        uploaded: 0,
        queue: { samples: 0 },
        dropped: { rejected: 3 },
        rejectedByStatus: { [status]: 3 },
      });
      await sleep(1_000);
      expect(sink.uploads.length).toBe(3);
      await context.close();
    });
  });

  describe.each([
    [{ status: 429, error: 'capture_budget_exhausted', retryAfterS: 0 }],
    [{ status: 507, error: 'sample_store_full' }],
    [{ status: 503, error: 'unavailable' }],
    ['offline' as const],
  ])('a retry-later answer (%j)', (mode) => {
    it('keeps the samples and retries them until the server takes them, once each', async () => {
      const { context, sink, page } = await open(mode);
      await start(page);
      await inferAll(page, images(5000, 2));
      await until(
        async () => sink.uploads.length,
        (n) => n >= 4,
        'not retried',
      );
      expect((await captureStatus(page))!).toMatchObject({
        queue: { samples: 2 },
        uploaded: 0,
        dropped: { rejected: 0 },
      });
      sink.mode = 'accept';
      const s = await drained(page);
      expect(s).toMatchObject({ captured: { random: 2 }, uploaded: 2, dropped: { rejected: 0 } });
      expect([...sink.delivered().values()]).toEqual([1, 1]);
      await context.close();
    }, 60_000);
  });
});
