import { type Dataset, type DownloadUrl, datasetManifestSchema } from '@edgefleet/shared/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type SeededSample, seedDatasetSamples } from '../datasets/test-support';
import { readSetting } from '../fleet/bootstrap';
import { bufferSource, readTarEntries } from '../tar/reader';
import { startTestServer, type TestServer } from '../testing/harness';
import { DOWNLOAD_SECRET_SETTING } from './downloads';
import { canonicalQuery, signableTarget, signatureOf } from './signed-url';

let t: TestServer;
let samples: Record<string, SeededSample>;
/** The publishable key of app shop (public by design: it must not sign or open anything). */
let appKey: string;
let ds: Dataset;
let other: Dataset;
const TTL_MS = 60_000;

/** A GET with no credentials, as a browser following a link sends it. */
const plain = (url: string, init: RequestInit = {}) => fetch(`${t.url}${url}`, init);
const sign = (path: string, headers: Record<string, string> = {}) =>
  t.call('/api/v1/downloads', { method: 'POST', json: { path }, headers });
async function signed(path: string, token?: string): Promise<DownloadUrl> {
  const res = await sign(path, token ? { authorization: `Bearer ${token}` } : {});
  expect(res.status).toBe(201);
  return (await res.json()) as DownloadUrl;
}
async function expectError(res: Response, status: number, code: string, message?: RegExp) {
  const body = await res.json();
  expect({ status: res.status, code: body.error }).toEqual({ status, code });
  if (message) expect(body.message).toMatch(message);
}
/** The URL with one query parameter replaced. */
function withParam(url: string, name: string, value: string): string {
  const parsed = new URL(url, 'http://x');
  parsed.searchParams.set(name, value);
  return `${parsed.pathname}${parsed.search}`;
}
async function newAdminToken(label: string): Promise<{ id: string; token: string }> {
  const res = await t.call('/api/v1/admin-tokens', { method: 'POST', json: { label } });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; token: string };
}

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000, downloadUrlTtlMs: TTL_MS });
  let keys: { shopKey: string };
  ({ samples, keys } = await seedDatasetSamples(t));
  appKey = keys.shopKey;
  for (const [name, labelledOnly] of [
    ['signed', false],
    ['other', true],
  ] as const) {
    const res = await t.call('/api/v1/datasets', { method: 'POST', json: { name, labelledOnly } });
    expect(res.status).toBe(201);
    if (name === 'signed') ds = (await res.json()) as Dataset;
    else other = (await res.json()) as Dataset;
  }
}, 60_000);
afterAll(() => t?.dispose());

describe('POST /api/v1/downloads', () => {
  it('signs a dataset export for the configured TTL; the URL streams the real tar without a header', async () => {
    const { url, expiresAt } = await signed(`/api/v1/datasets/${ds.id}/export`);
    expect(expiresAt).toBe(t.clock.nowMs + TTL_MS);
    expect(url).toMatch(
      new RegExp(`^/api/v1/datasets/${ds.id}/export\\?exp=${expiresAt}&by=adm_[0-9a-f]{24}&sig=[\\w-]{43}$`),
    );
    const viaHeader = await t.call(`/api/v1/datasets/${ds.id}/export`);
    const res = await plain(url);
    expect(res.status).toBe(200);
    for (const header of ['content-type', 'content-length', 'content-disposition', 'cache-control'])
      expect(res.headers.get(header)).toBe(viaHeader.headers.get(header));
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="signed.tar"');
    const tar = new Uint8Array(await res.arrayBuffer());
    expect(tar.byteLength).toBe(Number(res.headers.get('content-length')));
    const files = new Map<string, Uint8Array>();
    for await (const entry of readTarEntries(bufferSource(tar), { maxEntries: 100, maxEntryBytes: 1 << 24 }))
      files.set(entry.path, await entry.read());
    const manifest = datasetManifestSchema.parse(
      JSON.parse(Buffer.from(files.get('manifest.json')!).toString()),
    );
    expect(manifest).toMatchObject({ id: ds.id, sampleCount: ds.sampleCount });
    for (const entry of manifest.samples) expect(files.get(entry.path)?.byteLength).toBe(entry.sizeBytes);
    expect(Buffer.from(tar).equals(Buffer.from(await viaHeader.arrayBuffer()))).toBe(true);
  });

  it('signs sample content and its thumbnail; each URL opens only its own query', async () => {
    const sha = samples.d0!.meta.sha256;
    const full = await signed(`/api/v1/samples/${sha}/content`);
    const thumb = await signed(`/api/v1/samples/${sha}/content?thumb=1`);
    const res = await plain(full.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(samples.d0!.bytes))).toBe(true);
    const small = await plain(thumb.url);
    expect(small.status).toBe(200);
    expect(small.headers.get('content-type')).toBe('image/jpeg');
    // altered query: thumb dropped, changed or added
    await expectError(await plain(thumb.url.replace('thumb=1&', '')), 401, 'unauthorized', /signature/);
    await expectError(await plain(thumb.url.replace('thumb=1', 'thumb=0')), 401, 'unauthorized', /signature/);
    await expectError(await plain(`${full.url}&thumb=1`), 401, 'unauthorized', /signature/);
    await expectError(await plain(`${full.url}&thumb=0`), 401, 'unauthorized', /signature/);
  });

  it('logs who signed which path until when, never the signature', async () => {
    const logger = t.server.context.logger;
    const spies = (['info', 'warn', 'error', 'debug'] as const).map((level) => vi.spyOn(logger, level));
    try {
      const { url, expiresAt } = await signed(`/api/v1/datasets/${ds.id}/export`);
      expect((await plain(url)).status).toBe(200);
      await expectError(await plain(withParam(url, 'exp', String(expiresAt + 1))), 401, 'unauthorized');
      const logged = spies.flatMap((spy) => spy.mock.calls.map((call) => JSON.stringify(call)));
      expect(logged.some((line) => line.includes('download URL signed') && line.includes(ds.id))).toBe(true);
      const sig = new URL(url, 'http://x').searchParams.get('sig')!;
      for (const line of logged) expect(line).not.toContain(sig);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('refuses to sign anything but an allow-listed GET path (400), and needs an admin token', async () => {
    const sha = samples.d0!.meta.sha256;
    for (const path of [
      '/api/v1/datasets',
      `/api/v1/datasets/${ds.id}`,
      '/api/v1/admin-tokens',
      '/api/v1/samples',
      `/api/v1/samples/${sha}`,
      `/api/v1/datasets/${ds.id}/export/`,
      `/api/v1/datasets/${ds.id}/export?x=1`,
      `/api/v1/datasets/${ds.id}/export?exp=1`,
      `/api/v1/datasets/${ds.id}/export#frag`,
      `/api/v1/datasets/DROP TABLE/export`,
      `/api/v1/datasets/../admin-tokens`,
      `/api/v1/samples/${sha}/../../admin-tokens`,
      `/api/v1/samples/${sha}/content?thumb=2`,
      `/api/v1/samples/${sha}/content?thumb=1&thumb=1`,
      `/api/v1/samples/${sha}/content?sig=x`,
      `/api/v1/samples/${sha.toUpperCase()}/content`,
      `/api/v1/samples/%2e%2e/content`,
      `//evil.example/api/v1/datasets/${ds.id}/export`,
      `http://evil.example/api/v1/datasets/${ds.id}/export`,
      `api/v1/datasets/${ds.id}/export`,
      '/healthz',
    ])
      await expectError(await sign(path), 400, 'invalid_input');
    await expectError(await t.call('/api/v1/downloads', { method: 'POST', json: {} }), 400, 'invalid_input');
    await expectError(
      await t.call('/api/v1/downloads', { method: 'POST', json: { path: `/${'a'.repeat(600)}` } }),
      400,
      'invalid_input',
    );
    const path = `/api/v1/datasets/${ds.id}/export`;
    await expectError(
      await plain('/api/v1/downloads', { method: 'POST', body: JSON.stringify({ path }) }),
      401,
      'unauthorized',
    );
    await expectError(await sign(path, { authorization: 'Bearer a-00000.secret' }), 403, 'forbidden');
    await expectError(await sign(path, { authorization: `Bearer ${appKey}` }), 403, 'forbidden');
    // A publishable key sent with a valid signed URL is checked as the credential it is, not waved through.
    const { url } = await signed(path);
    await expectError(await plain(url, { headers: { authorization: `Bearer ${appKey}` } }), 403, 'forbidden');
  });
});

describe('a signed URL', () => {
  it('answers 401 when forged, altered in path, pointed at another resource or stripped of a part', async () => {
    const { url } = await signed(`/api/v1/datasets/${ds.id}/export`);
    const sig = new URL(url, 'http://x').searchParams.get('sig')!;
    const forged = sig.startsWith('A') ? `B${sig.slice(1)}` : `A${sig.slice(1)}`;
    for (const bad of [
      withParam(url, 'sig', forged),
      withParam(url, 'sig', sig.slice(0, 20)),
      withParam(url, 'sig', ''),
      withParam(url, 'by', 'adm_000000000000000000000000'),
      withParam(url, 'exp', String(Number(new URL(url, 'http://x').searchParams.get('exp')) + 3_600_000)),
      url.replace(ds.id, other.id),
      `${url}&sig=${sig}`,
      url.replace(/&by=[^&]+/, ''),
      url.replace(/exp=\d+&/, ''),
      withParam(url, 'sig', 'A'.repeat(4_000)),
      withParam(url, 'sig', `${sig}\u0000`),
      withParam(url, 'exp', 'abc'),
      withParam(url, 'exp', '1e20'),
      withParam(url, 'exp', '-1'),
      withParam(url, 'by', `${'adm_'}${'0'.repeat(24)}' OR 1=1`),
    ])
      await expectError(await plain(bad), 401, 'unauthorized');
    // a path no route serves stays 404, with or without the signature
    await expectError(await plain(url.replace('/export', '/export/')), 404, 'not_found');
    // another route with a valid export signature: the signature never travels to another resource
    await expectError(
      await plain(url.replace(`/datasets/${ds.id}/export`, `/datasets/${ds.id}`)),
      401,
      'unauthorized',
    );
    // a signature made with the right secret for another dataset does not open this one
    const forOther = await signed(`/api/v1/datasets/${other.id}/export`);
    const otherSig = new URL(forOther.url, 'http://x').searchParams.get('sig')!;
    await expectError(await plain(withParam(url, 'sig', otherSig)), 401, 'unauthorized', /signature/);
    // it was signed for GET: HEAD (which hono answers with the GET handler) is refused, POST has no route
    expect((await plain(url, { method: 'HEAD' })).status).toBe(401);
    await expectError(await plain(url, { method: 'POST' }), 404, 'not_found');
    expect((await plain(url)).status).toBe(200);
  });

  it('matches an HMAC under the secret kept in the database, so any replica on it can check it', async () => {
    const { url, expiresAt } = await signed(`/api/v1/samples/${samples.d1!.meta.sha256}/content?thumb=1`);
    const secret = readSetting(t.server.context.db, DOWNLOAD_SECRET_SETTING)!;
    const parsed = new URL(url, 'http://x');
    const verdict = signableTarget(`${parsed.pathname}?thumb=1`);
    if (!verdict.ok) throw new Error(verdict.reason);
    expect(canonicalQuery(verdict.target.query)).toBe('thumb=1');
    const sig = signatureOf(Buffer.from(secret, 'base64url'), {
      method: 'GET',
      target: verdict.target,
      expiresAt,
      tokenId: parsed.searchParams.get('by')!,
    });
    expect(parsed.searchParams.get('sig')).toBe(sig);
  });

  it('stops working once exp passes, also for a URL that worked before (no replay)', async () => {
    const { url, expiresAt } = await signed(`/api/v1/datasets/${ds.id}/export`);
    expect((await plain(url)).status).toBe(200);
    const start = t.clock.nowMs;
    try {
      t.clock.nowMs = expiresAt;
      expect((await plain(url)).status).toBe(200);
      t.clock.nowMs = expiresAt + 1;
      await expectError(await plain(url), 401, 'unauthorized', /expired/);
    } finally {
      t.clock.nowMs = start;
    }
  });

  it('stops working when the admin token that signed it is revoked; the others keep theirs', async () => {
    const second = await newAdminToken('signer');
    const byRevoked = await signed(`/api/v1/datasets/${ds.id}/export`, second.token);
    expect(byRevoked.url).toContain(`by=${second.id}`);
    const byFirst = await signed(`/api/v1/datasets/${ds.id}/export`);
    expect((await plain(byRevoked.url)).status).toBe(200);
    expect((await t.call(`/api/v1/admin-tokens/${second.id}`, { method: 'DELETE' })).status).toBe(200);
    await expectError(await plain(byRevoked.url), 401, 'unauthorized', /revoked/);
    // re-pointing the URL at a live token breaks its signature
    const firstId = new URL(byFirst.url, 'http://x').searchParams.get('by')!;
    await expectError(await plain(withParam(byRevoked.url, 'by', firstId)), 401, 'unauthorized', /signature/);
    expect((await plain(byFirst.url)).status).toBe(200);
  });

  it('keeps the route header-authenticated as before, and answers the route errors to a valid signature', async () => {
    expect((await t.call(`/api/v1/datasets/${ds.id}/export`)).status).toBe(200);
    await expectError(await plain(`/api/v1/datasets/${ds.id}/export`), 401, 'unauthorized');
    const missing = await signed('/api/v1/datasets/ds-000000000000/export');
    await expectError(await plain(missing.url), 404, 'not_found');
  });
});
