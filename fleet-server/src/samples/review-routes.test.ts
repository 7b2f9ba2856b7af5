import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { Sample, SampleCaptures, SamplePage } from '@edgefleet/shared/api';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollTestDevice } from '../testing/enroll';
import { startTestServer, type TestServer } from '../testing/harness';
import { metaOf, pngOf, policyOf, sampleFleet, uploadSample } from './test-support';

// Review of samples (list, one, content, label) against a real server with real uploads.

let t: TestServer;
let keys: { shopKey: string; otherKey: string };
let enrolledToken: string;
const shas: Record<string, string> = {};
let base: number;

const list = async (query: string) => {
  const res = await t.call(`/api/v1/samples${query ? `?${query}` : ''}`);
  expect(res.status).toBe(200);
  return (await res.json()) as SamplePage;
};
const keysOf = (page: SamplePage) => page.samples.map((s) => `${s.sha256.slice(0, 6)}@${s.clientId}`);
const errorOf = async (res: Response) => ({
  status: res.status,
  code: ((await res.json()) as { error: string }).error,
});

async function upload(credential: string, clientId: string, bytes: Uint8Array, extra: object = {}) {
  const meta = { ...metaOf(bytes, { clientId, capturedAt: base }), ...extra };
  const res = await uploadSample(t, credential, meta, bytes, (extra as { contentType?: string }).contentType);
  expect(res.status, await res.clone().text()).toBeLessThan(300);
  return meta.sha256;
}

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000 });
  keys = await sampleFleet(t);
  base = t.clock.nowMs - 3_600_000;
  enrolledToken = await enrollTestDevice(t, 'station-9', { line: '2', site: 'north' });
  const put = (json: unknown) => t.call('/api/v1/models/cls/capture', { method: 'PUT', json });
  expect((await put({ target: { selector: 'line=2' }, policy: policyOf(100) })).status).toBe(200);
  expect((await put({ target: { selector: 'line=3' }, policy: policyOf(100) })).status).toBe(200);
  expect((await put({ target: { app: 'shop' }, policy: policyOf(100) })).status).toBe(200);
  // A PaddleOCR-cls-sized crop (192×48) from a line-2 device, captured again by its neighbour.
  const ocr = await pngOf(101, 192, 48);
  shas.ocr = await upload('a-00000.secret', 'a-00000', ocr);
  await upload('a-00001.secret', 'a-00001', ocr, { capturedAt: base + 1000, reasons: ['random'] });
  // A camera-sized frame from line 3, another model version, predicted 180.
  const frame = await pngOf(102, 640, 480);
  shas.frame = await upload('b-00000.secret', 'b-00000', frame, {
    capturedAt: base + 2000,
    model: { name: 'cls', version: '1.1.0' },
    reasons: ['out_of_range'],
    top: [{ label: '180', confidence: 0.55 }],
  });
  // From a browser of app shop.
  const web = await pngOf(103, 96, 96);
  shas.web = await upload(keys.shopKey, 'browser-1', web, { capturedAt: base + 3000 });
  // A raw tensor (no image) from the enrolled device, captured as itself.
  const tensor = new Uint8Array(new Float32Array(3 * 48 * 192).map((_, i) => (i % 255) / 255).buffer);
  shas.tensor = await upload(enrolledToken, 'station-9', tensor, {
    capturedAt: base + 4000,
    contentType: 'application/octet-stream',
  });
});
afterAll(() => t?.dispose());

describe('who may review samples', () => {
  it('admins only: a device (its own samples or another’s) and an app key get 403, no credential 401', async () => {
    const routes = (sha: string) => [
      ['GET', '/api/v1/samples'],
      ['GET', '/api/v1/samples?device=station-9'],
      ['GET', `/api/v1/samples/${sha}`],
      ['GET', `/api/v1/samples/${sha}/content`],
      ['GET', `/api/v1/samples/${sha}/content?thumb=1`],
      ['PUT', `/api/v1/samples/${sha}/label`],
    ];
    const attempts: [string, string, string | null][] = [];
    for (const sha of [shas.tensor!, shas.ocr!, shas.web!])
      for (const credential of [enrolledToken, 'a-00000.secret', keys.shopKey, null])
        for (const [method, path] of routes(sha)) attempts.push([method!, path!, credential]);
    for (const [method, path, credential] of attempts) {
      const res = await fetch(`${t.url}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        },
        ...(method === 'PUT' ? { body: JSON.stringify({ label: 'forged' }) } : {}),
      });
      expect({ path, status: res.status }).toEqual({ path, status: credential ? 403 : 401 });
    }
    const page = await list('labelled=true');
    expect(page.samples).toEqual([]);
  });
});

describe('GET /api/v1/samples', () => {
  it('lists every capture newest first, with what was known at capture', async () => {
    const page = await list('');
    expect(page.nextCursor).toBeNull();
    expect(keysOf(page)).toEqual([
      `${shas.tensor!.slice(0, 6)}@station-9`,
      `${shas.web!.slice(0, 6)}@browser-1`,
      `${shas.frame!.slice(0, 6)}@b-00000`,
      `${shas.ocr!.slice(0, 6)}@a-00001`,
      `${shas.ocr!.slice(0, 6)}@a-00000`,
    ]);
    expect(page.samples[3]).toMatchObject({
      contentType: 'image/png',
      width: 192,
      height: 48,
      deviceId: 'a-00001',
      appId: null,
      deviceLabels: { line: '2' },
      model: { name: 'cls', version: '1.0.0' },
      reasons: ['random'],
      label: null,
    });
    expect(page.samples[0]).toMatchObject({
      contentType: 'application/octet-stream',
      width: null,
      deviceLabels: { line: '2', site: 'north' },
    });
  });

  it('narrows by every filter, the slice included', async () => {
    const shaSet = async (query: string) => new Set((await list(query)).samples.map((s) => s.sha256));
    expect(keysOf(await list('version=1.1.0'))).toEqual([`${shas.frame!.slice(0, 6)}@b-00000`]);
    expect(keysOf(await list('reason=random'))).toEqual([`${shas.ocr!.slice(0, 6)}@a-00001`]);
    expect(await shaSet('predicted=180')).toEqual(new Set([shas.frame]));
    expect(await shaSet('device=station-9')).toEqual(new Set([shas.tensor]));
    expect(await shaSet('app=shop')).toEqual(new Set([shas.web]));
    expect(await shaSet('model=other')).toEqual(new Set());
    expect((await list('slice=line%3D2')).samples.map((s) => s.clientId)).toEqual([
      'station-9',
      'a-00001',
      'a-00000',
    ]);
    expect(await shaSet('slice=line+in+(2,3),site!=north')).toEqual(new Set([shas.ocr, shas.frame]));
    // A browser capture has no device labels: no slice matches it, not even one that requires nothing present.
    expect(await shaSet('slice=!line')).toEqual(new Set());
    expect(await shaSet(`from=${base + 1000}&to=${base + 3000}`)).toEqual(new Set([shas.ocr, shas.frame]));
    expect(await shaSet('labelled=false&app=shop')).toEqual(new Set([shas.web]));
  });

  it('pages with an opaque cursor: every capture once, in order', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: SamplePage = await list(`limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.samples.length).toBeLessThanOrEqual(2);
      seen.push(...keysOf(page));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(seen).toEqual(keysOf(await list('')));
    // A slice across pages: two line-2 captures per page, the scan goes on past non-matching rows.
    const first = await list('slice=line%3D2&limit=2');
    expect(first.samples).toHaveLength(2);
    const second = await list(`slice=line%3D2&limit=2&cursor=${first.nextCursor}`);
    expect(second.samples.map((s) => s.clientId)).toEqual(['a-00000']);
    expect(second.nextCursor).toBeNull();
  });

  it('refuses malformed filters, selectors and cursors with 400 naming the field', async () => {
    const bad: [string, string][] = [
      ['cursor=abc', 'cursor'],
      ['cursor=-1', 'cursor'],
      ['cursor=0', 'cursor'],
      ['cursor=1e3', 'cursor'],
      [`cursor=${'9'.repeat(40)}`, 'cursor'],
      [`cursor=${'x'.repeat(300)}`, 'cursor'],
      ['slice=%3D2', 'slice'],
      ['slice=line%3D2%2C', 'slice'],
      ['slice=line+in+(2', 'slice'],
      [`slice=${'a'.repeat(5000)}`, 'slice'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=abc', 'limit'],
      ['reason=hunch', 'reason'],
      ['labelled=yes', 'labelled'],
      ['from=-5', 'from'],
      ['from=20&to=10', 'from'],
      ['model=%00bad', 'model'],
    ];
    for (const [query, field] of bad) {
      const res = await t.call(`/api/v1/samples?${query}`);
      const body = await res.json();
      expect({ query, status: res.status, error: body.error }).toEqual({
        query,
        status: 400,
        error: 'invalid_input',
      });
      expect(JSON.stringify(body.details ?? body.message)).toContain(field);
    }
  });
});

describe('GET /api/v1/samples/{sha256}', () => {
  it('answers every capture of the bytes, 404 for unknown bytes, 400 for a malformed digest', async () => {
    const res = await t.call(`/api/v1/samples/${shas.ocr}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as SampleCaptures;
    expect(body.captures.map((c: Sample) => c.clientId)).toEqual(['a-00001', 'a-00000']);
    expect(body.labelHistory).toEqual([]);
    expect(await errorOf(await t.call(`/api/v1/samples/${'e'.repeat(64)}`))).toEqual({
      status: 404,
      code: 'not_found',
    });
    for (const bad of ['E'.repeat(64), 'e'.repeat(63), '..%2F..%2Ffleet.db', `${'e'.repeat(64)}%00`])
      expect((await t.call(`/api/v1/samples/${bad}`)).status).toBe(400);
  });
});

describe('GET /api/v1/samples/{sha256}/content', () => {
  it('streams the stored bytes with their type and headers that keep a hostile sample inert', async () => {
    const res = await t.call(`/api/v1/samples/${shas.frame}/content`);
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(shas.frame);
    const names = [
      'content-type',
      'content-length',
      'x-content-type-options',
      'content-disposition',
      'content-security-policy',
    ];
    expect(Object.fromEntries(names.map((n) => [n, res.headers.get(n)]))).toEqual({
      'content-type': 'image/png',
      'content-length': String(bytes.byteLength),
      'x-content-type-options': 'nosniff',
      'content-disposition': `inline; filename="${shas.frame}.png"`,
      'content-security-policy': "default-src 'none'; sandbox",
    });
    const tensor = await t.call(`/api/v1/samples/${shas.tensor}/content`);
    expect(tensor.headers.get('content-type')).toBe('application/octet-stream');
    expect(tensor.headers.get('content-disposition')).toBe(`attachment; filename="${shas.tensor}.bin"`);
    expect(
      createHash('sha256')
        .update(new Uint8Array(await tensor.arrayBuffer()))
        .digest('hex'),
    ).toBe(shas.tensor);
  });

  it('keeps a PNG that carries HTML and script in its metadata an image/png attachment of its digest', async () => {
    const hostile = new Uint8Array(
      await sharp(await pngOf(104, 32, 32))
        .withMetadata({ exif: { IFD0: { ImageDescription: '<html><script>alert(1)</script>' } } })
        .png()
        .toBuffer(),
    );
    const sha = await upload('a-00000.secret', 'a-00000', hostile, { capturedAt: base + 5000 });
    const res = await t.call(`/api/v1/samples/${sha}/content`);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="${sha}.png"`);
    await res.arrayBuffer();
  });

  it('thumb=1: a JPEG of at most 256 px made once and then served from the cache', async () => {
    const thumbs = t.server.parts.samples.thumbnails;
    const made = thumbs.made;
    const res = await t.call(`/api/v1/samples/${shas.frame}/content?thumb=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-disposition')).toBe(`inline; filename="${shas.frame}-thumb.jpg"`);
    const jpeg = Buffer.from(await res.arrayBuffer());
    const info = await sharp(jpeg).metadata();
    expect({ format: info.format, width: info.width, height: info.height }).toEqual({
      format: 'jpeg',
      width: 256,
      height: 192,
    });
    expect(jpeg.byteLength).toBeLessThan(40_000);
    // A small image is not enlarged.
    const small = await sharp(
      Buffer.from(await (await t.call(`/api/v1/samples/${shas.ocr}/content?thumb=1`)).arrayBuffer()),
    ).metadata();
    expect([small.width, small.height]).toEqual([192, 48]);
    const again = await t.call(`/api/v1/samples/${shas.frame}/content?thumb=1`);
    expect(Buffer.from(await again.arrayBuffer()).equals(jpeg)).toBe(true);
    expect(thumbs.made).toBe(made + 2);
  });

  it('415 for a thumbnail of a tensor, 404 for unknown bytes or a blob gone from disk, 400 for thumb=2', async () => {
    expect(await errorOf(await t.call(`/api/v1/samples/${shas.tensor}/content?thumb=1`))).toEqual({
      status: 415,
      code: 'unsupported_media_type',
    });
    expect((await t.call(`/api/v1/samples/${'f'.repeat(64)}/content`)).status).toBe(404);
    // A PNG whose header decodes (the upload checks it) but whose pixel data is cut short: 422, not a crash.
    const whole = await pngOf(106, 320, 240);
    const cut = whole.slice(0, Math.floor(whole.byteLength / 2));
    const cutSha = await upload('a-00000.secret', 'a-00000', cut, { capturedAt: base + 7000 });
    expect(await errorOf(await t.call(`/api/v1/samples/${cutSha}/content?thumb=1`))).toEqual({
      status: 422,
      code: 'unprocessable_content',
    });
    const head = await fetch(`${t.url}/api/v1/samples/${cutSha}/content`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(cut.byteLength)]);
    expect((await t.call(`/api/v1/samples/${shas.frame}/content?thumb=2`)).status).toBe(400);
    const gone = await pngOf(105, 20, 20);
    const sha = await upload('a-00000.secret', 'a-00000', gone, { capturedAt: base + 6000 });
    rmSync(t.server.parts.samples.blobs.pathOf(sha));
    expect(await errorOf(await t.call(`/api/v1/samples/${sha}/content`))).toEqual({
      status: 404,
      code: 'not_found',
    });
  });
});

describe('PUT /api/v1/samples/{sha256}/label', () => {
  const label = (sha: string, body: unknown) =>
    t.call(`/api/v1/samples/${sha}/label`, { method: 'PUT', json: body });

  it('sets and clears the label, by the admin, with an audit of every change', async () => {
    const set = await label(shas.ocr!, { label: '180' });
    expect(set.status).toBe(200);
    const stored = await set.json();
    expect(stored).toEqual({
      sha256: shas.ocr,
      label: '180',
      labelledBy: expect.stringMatching(/^admin:/),
      labelledAt: t.clock.nowMs,
    });
    // Every capture of the bytes shows it; the label filter finds it.
    expect((await list('label=180')).samples.map((s) => s.clientId)).toEqual(['a-00001', 'a-00000']);
    expect((await list('labelled=true')).samples.every((s) => s.sha256 === shas.ocr)).toBe(true);
    t.clock.nowMs += 1000;
    expect((await (await label(shas.ocr!, { label: '0' })).json()).label).toBe('0');
    t.clock.nowMs += 1000;
    const cleared = await (await label(shas.ocr!, { label: null })).json();
    expect(cleared).toEqual({ sha256: shas.ocr, label: null, labelledBy: null, labelledAt: null });
    const { labelHistory } = (await (await t.call(`/api/v1/samples/${shas.ocr}`)).json()) as SampleCaptures;
    expect(labelHistory.map((h) => [h.label, h.previous, h.actor])).toEqual([
      ['180', null, stored.labelledBy],
      ['0', '180', stored.labelledBy],
      [null, '0', stored.labelledBy],
    ]);
    expect(labelHistory[2]!.at - labelHistory[0]!.at).toBe(2000);
  });

  it('refuses malformed labels and unknown samples, changing nothing', async () => {
    await label(shas.frame!, { label: 'kept' });
    const bad: unknown[] = [
      { label: '' },
      { label: 'x'.repeat(129) },
      { label: 7 },
      {},
      { label: 'a', by: 'me' },
    ];
    for (const body of bad)
      expect({ body, status: (await label(shas.frame!, body)).status }).toEqual({ body, status: 400 });
    const raw = await fetch(`${t.url}/api/v1/samples/${shas.frame}/label`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: '{"label":',
    });
    expect(raw.status).toBe(400);
    expect(await errorOf(await label('d'.repeat(64), { label: 'x' }))).toEqual({
      status: 404,
      code: 'not_found',
    });
    const { captures, labelHistory } = (await (
      await t.call(`/api/v1/samples/${shas.frame}`)
    ).json()) as SampleCaptures;
    expect(captures[0]!.label).toBe('kept');
    expect(labelHistory).toHaveLength(1);
  });
});
