import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OperatorFeedback } from '../feedback';
import type { ReviewImageStore } from '../feedback/review-images';
import type { ModelSession } from '../runtime/model-session';
import { ServingEngine } from '../serving/engine';
import { TelemetryWindows } from '../telemetry/windows';
import { loadCls } from '../testing/cls';
import { createApi } from './app';

describe('review routes, review images and the station page (real cls model, real SQLite)', () => {
  let session: ModelSession;
  let dir: string;
  let png: Buffer;
  beforeAll(async () => {
    session = await loadCls('1.0.0');
    dir = mkdtempSync(join(tmpdir(), 'ef-review-routes-'));
    png = await sharp({ create: { width: 192, height: 48, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
  });
  afterAll(async () => {
    await session.release();
    rmSync(dir, { recursive: true, force: true });
  });

  const setup = (sub: string) => {
    const windows = new TelemetryWindows();
    const logger = pino({ level: 'silent' });
    const engine = new ServingEngine(windows, logger);
    const feedback = new OperatorFeedback(
      { dataDir: mkdtempSync(join(dir, sub)), ttlMs: 60_000, maxPredictions: 100, reviewImageBytes: 1 << 20 },
      windows,
      logger,
    );
    engine.rememberPrediction = feedback.remember;
    engine.automation = { level: 'assist' };
    engine.switchTo({ active: session, shadow: null, standby: null });
    const app = createApi({ engine, feedback, maxBodyBytes: 1 << 20, status: () => ({}) });
    const infer = async () => {
      const res = await app.request('/v1/infer?outputs=false', {
        method: 'POST',
        headers: { 'content-type': 'image/png' },
        body: new Uint8Array(png),
      });
      expect(res.status).toBe(200);
      const answer = (await res.json()) as { predictionId: string; top: { label: string } };
      windows.runDeferred();
      return answer;
    };
    const verdict = (id: string, body: string, headers: Record<string, string> = {}) =>
      app.request(`/v1/review/${id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    return { app, feedback, infer, verdict };
  };

  it('serves a review image as PNG until it is labelled, then 404; the verdict route counts once', async () => {
    const { app, feedback, infer, verdict } = setup('a-');
    const a = await infer();
    const listed = (await (await app.request('/v1/review')).json()) as { pending: { image: string }[] };
    expect(listed.pending[0]!.image).toBe(`/v1/review/${a.predictionId}/image`);
    const img = await app.request(`/v1/review/${a.predictionId}/image`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/png');
    expect(img.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(Buffer.from(await img.arrayBuffer())).toEqual(png);

    expect((await verdict(a.predictionId, JSON.stringify({ label: 'sideways' }))).status).toBe(422);
    const ok = await verdict(a.predictionId, JSON.stringify({ label: a.top.label }));
    expect(ok.status).toBe(200);
    expect((await verdict(a.predictionId, JSON.stringify({ label: a.top.label }))).status).toBe(409);
    expect((await app.request(`/v1/review/${a.predictionId}/image`)).status).toBe(404);
    expect(feedback.counters).toMatchObject({ labelsCounted: 1, reviewImages: { kept: 1, sizeBytes: 0 } });
    feedback.close();
  });

  it('refuses bad ids, path traversal, foreign origins and non-JSON bodies (CSRF) without counting a label', async () => {
    const { app, feedback, infer, verdict } = setup('b-');
    const a = await infer();
    for (const id of ['..%2F..%2Fetc%2Fpasswd', 'a'.repeat(65), '%00', 'a%20b', '<script>']) {
      expect((await app.request(`/v1/review/${id}/image`)).status, id).toBe(400);
      expect((await verdict(id, JSON.stringify({ label: '0' }))).status, id).toBe(400);
    }
    expect((await app.request('/v1/review/../../etc/passwd/image')).status).toBe(404);
    expect((await app.request('/v1/review/no-such-id/image')).status).toBe(404);
    // A form or text/plain post is what a foreign page can send without a preflight: refused.
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await verdict(a.predictionId, JSON.stringify({ label: '0' }), { 'content-type': type });
      expect(res.status, type).toBe(415);
      const fb = await app.request('/v1/feedback', {
        method: 'POST',
        headers: { 'content-type': type },
        body: JSON.stringify({ predictionId: a.predictionId, label: '0' }),
      });
      expect(fb.status, type).toBe(415);
    }
    const foreign = await verdict(a.predictionId, JSON.stringify({ label: '0' }), {
      origin: 'https://evil.example',
    });
    expect(foreign.status).toBe(403);
    const rebound = await verdict(a.predictionId, JSON.stringify({ label: '0' }), {
      host: 'evil.example:8470',
    });
    expect(rebound.status).toBe(403);
    expect((await verdict(a.predictionId, 'x'.repeat(2048))).status).toBe(413);
    expect(feedback.counters.labelsCounted).toBe(0);
    feedback.close();
  });

  it('serves the station page with a strict CSP and no framing', async () => {
    const { app, feedback } = setup('c-');
    const page = await app.request('/station');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toMatch(
      /script-src 'self'; .*frame-ancestors 'none'/,
    );
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).not.toMatch(/https?:\/\//); // no CDN: works with no internet
    const js = await app.request('/station/station.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).not.toMatch(/innerHTML|insertAdjacentHTML|document\.write/);
    feedback.close();
  });

  it('a failing image store is counted and serving goes on', async () => {
    const { feedback, infer } = setup('d-');
    (feedback as unknown as { images: ReviewImageStore }).images.close();
    const a = await infer();
    expect(a.predictionId).toBeTruthy();
    expect(feedback.counters).toMatchObject({
      predictionsKept: 1,
      reviewImages: { kept: 0, storeFailures: 1 },
    });
    expect(feedback.reviewImage(a.predictionId)).toBeUndefined();
    feedback.close();
  });
});
