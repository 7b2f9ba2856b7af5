import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../http/app';
import type { ModelSession } from '../runtime/model-session';
import { ServingEngine } from '../serving/engine';
import { TelemetryWindows } from '../telemetry/windows';
import { loadCls } from '../testing/cls';
import { DecodeBudget } from './decode';

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 90, g: 120, b: 30 } } })
    .png()
    .toBuffer();

describe('decoding is bounded by pixels per image and bytes in total (issue 19 item 8)', () => {
  let session: ModelSession;
  let huge: Buffer;
  beforeAll(async () => {
    session = await loadCls('1.0.0');
    // The 36-megapixel PNG (a few hundred kB compressed, 144 MB decoded).
    huge = await png(6000, 6000);
  });
  afterAll(async () => {
    await session.release();
  });

  const setup = (budget = new DecodeBudget(2 * 4 * 16_000_000)) => {
    const engine = new ServingEngine(new TelemetryWindows(), pino({ level: 'silent' }));
    engine.switchTo({ active: session, shadow: null, standby: null });
    const app = createApi({
      engine,
      maxBodyBytes: 16 << 20,
      maxImagePixels: 16_000_000,
      decodeBudget: budget,
      status: () => ({}),
    });
    const post = (body: Buffer) =>
      app.request('/v1/infer?outputs=false', {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: new Uint8Array(body),
      });
    return { engine, post, budget };
  };

  it('answers 413 naming the limit for a 36 Mpx PNG, from its header, before a pixel is decoded', async () => {
    const { engine, post, budget } = setup();
    const rssBefore = process.memoryUsage().rss;
    const res = await post(huge);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: 'too_large',
      message: 'image is 6000×6000 = 36000000 pixels; the limit is 16000000 pixels (--max-image-pixels)',
    });
    // Decoding it takes 144 MB of RGBA (the issue saw RSS go from 170 to 410 MB); the header costs next to nothing.
    expect(rssGrowth).toBeLessThan(64 * 1024 * 1024);
    expect(engine.counters.rejected).toEqual({ too_large: 1 });
    expect(budget.inFlightBytes).toBe(0);
  });

  it('refuses with 503 busy while the total budget is taken, and serves once it is given back', async () => {
    const small = await png(192, 48);
    const { post, budget } = setup(new DecodeBudget(192 * 48 * 4 + 100));
    expect((await post(small)).status).toBe(200);
    expect(budget.inFlightBytes).toBe(0);
    const held = budget.reserve(200);
    const busy = await post(small);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(((await busy.json()) as { message: string }).message).toMatch(
      /limit of 36964 \(--max-decode-bytes\)/,
    );
    held();
    held();
    expect(budget.inFlightBytes).toBe(0);
    expect((await post(small)).status).toBe(200);
  });

  it('hostile headers: garbage after a PNG signature, a truncated PNG, a zero-size claim', async () => {
    const { post, budget } = setup();
    const good = await png(64, 64);
    const garbage = Buffer.concat([good.subarray(0, 8), Buffer.alloc(100, 0xff)]);
    const truncated = good.subarray(0, 40);
    for (const body of [garbage, truncated]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_input');
    }
    expect(budget.inFlightBytes).toBe(0);
  });
});
