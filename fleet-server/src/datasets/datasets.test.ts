import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { type Dataset, type DatasetSample, datasetManifestSchema } from '@edgefleet/shared/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteExpiredSamples, setLabel } from '../samples/store';
import { bufferSource, readTarEntries } from '../tar/reader';
import {
  CLS_MODEL_PATH,
  CLS_PREPROCESSING,
  clsBaseline,
  startTestServer,
  type TestServer,
} from '../testing/harness';
import { samplePath } from './export';
import { exportFileName } from './routes';
import { type SeededSample, seedDatasetSamples } from './test-support';
import { verifyDatasetArchive } from './verify';

let t: TestServer;
let samples: Awaited<ReturnType<typeof seedDatasetSamples>>['samples'];
let keys: { shopKey: string; otherKey: string };

const sha = (s: SeededSample) => s.meta.sha256;
const blobPath = (sha256: string) => t.server.parts.samples.blobs.pathOf(sha256);
const create = (json: unknown, headers: Record<string, string> = {}) =>
  t.call('/api/v1/datasets', { method: 'POST', json, headers });
async function created(json: unknown): Promise<Dataset> {
  const res = await create(json);
  expect(res.status).toBe(201);
  return (await res.json()) as Dataset;
}
type DatasetDetail = Dataset & { samples: DatasetSample[] };
const detail = async (id: string) => (await (await t.call(`/api/v1/datasets/${id}`)).json()) as DatasetDetail;
const exportsCount = () => Object.fromEntries(t.server.parts.datasets.exports);

async function expectError(res: Response, status: number, code: string, field?: string) {
  const body = await res.json();
  expect({ status: res.status, code: body.error }).toEqual({ status, code });
  if (field) expect(JSON.stringify(body.details)).toContain(field);
  return body;
}

/** Every regular file of a tar, read by the server's own (independent) tar reader. */
async function untar(bytes: Uint8Array): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const entry of readTarEntries(bufferSource(bytes), { maxEntries: 1000, maxEntryBytes: 1 << 26 }))
    files.set(entry.path, await entry.read());
  return files;
}

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000 });
  ({ samples, keys } = await seedDatasetSamples(t));
}, 60_000);
afterAll(() => t?.dispose());

describe('POST /api/v1/datasets', () => {
  it('snapshots the labelled samples, each once, with provenance from the captures it took', async () => {
    const ds = await created({ name: 'all labelled' });
    expect(ds.id).toMatch(/^ds-[0-9a-f]{12}$/);
    expect(ds).toMatchObject({
      name: 'all labelled',
      labelledOnly: true,
      maxSamples: 10_000,
      sampleCount: 3,
      truncated: 0,
      totalBytes: samples.d0.bytes.byteLength + samples.d1.bytes.byteLength + samples.w0.bytes.byteLength,
      trainedVersions: [],
    });
    expect(ds.createdBy).toMatch(/^admin:/);
    expect(ds.createdAt).toBe(t.clock.nowMs);
    expect(ds.provenance).toEqual({
      devices: ['a-00000', 'a-00001'],
      apps: ['shop'],
      versions: [{ name: 'cls', version: '1.0.0' }],
      // d0 was captured twice (low_confidence by a-00000, low_margin by a-00001): one sample, both reasons.
      reasons: { low_confidence: 2, low_margin: 1, random: 1 },
      labels: { '0': 2, '180': 1 },
      labelledBy: ['client:a-00000', 'client:a-00001', 'client:browser-1'],
      from: samples.d0.meta.capturedAt,
      to: samples.w0.meta.capturedAt,
    });
    const got = await detail(ds.id);
    expect(got.samples.map((s) => s.sha256).sort()).toEqual(
      [sha(samples.d0), sha(samples.d1), sha(samples.w0)].sort(),
    );
    expect(got.samples.find((s) => s.sha256 === sha(samples.d1))).toEqual({
      sha256: sha(samples.d1),
      contentType: 'image/png',
      sizeBytes: samples.d1.bytes.byteLength,
      label: '180',
    });
  });

  it('narrows by slice, device, reason and time; --all takes unlabelled samples with a null label', async () => {
    const line3 = await created({ name: 'line 3', filter: { slice: 'line=3' }, labelledOnly: false });
    expect((await detail(line3.id)).samples).toEqual([
      {
        sha256: sha(samples.b0),
        contentType: 'image/png',
        sizeBytes: samples.b0.bytes.byteLength,
        label: null,
      },
    ]);
    expect(line3.provenance).toMatchObject({ devices: ['b-00000'], apps: [], labels: {}, labelledBy: [] });
    const a0 = await created({ name: 'a0', filter: { device: 'a-00000' }, labelledOnly: false });
    expect(a0.sampleCount).toBe(2); // d0 and u1
    expect(a0.provenance.devices).toEqual(['a-00000']); // d0's capture by a-00001 does not match the filter
    const random = await created({ name: 'r', filter: { reason: 'random' } });
    expect((await detail(random.id)).samples.map((s) => s.sha256)).toEqual([sha(samples.d1)]);
    const window = await created({
      name: 'window',
      filter: { from: samples.d1.meta.capturedAt, to: samples.w0.meta.capturedAt },
    });
    expect(window.provenance.labels).toEqual({ '180': 1, '0': 1 }); // d1, and d0 by its later capture
    const none = await created({ name: 'none', filter: { model: 'nope' } });
    expect(none).toMatchObject({ sampleCount: 0, totalBytes: 0, provenance: { from: null, to: null } });
  });

  it('takes the newest maxSamples and counts the rest as truncated', async () => {
    const ds = await created({ name: 'two', maxSamples: 2, labelledOnly: false });
    expect(ds).toMatchObject({ sampleCount: 2, truncated: 3 });
    expect((await detail(ds.id)).samples.map((s) => s.sha256).sort()).toEqual(
      [sha(samples.u1), sha(samples.w0)].sort(),
    );
  });

  it('is immutable: a label changed later does not change it; a new snapshot has the new label', async () => {
    const before = await created({ name: 'before', filter: { device: 'a-00001' } });
    expect(setLabel(t.server.context.db, sha(samples.d1), '0', 'admin:test', t.clock.nowMs)).toBe(true);
    const after = await created({ name: 'after', filter: { device: 'a-00001' } });
    const labelOf = async (id: string) =>
      (await detail(id)).samples.find((s) => s.sha256 === sha(samples.d1))?.label;
    expect(await labelOf(before.id)).toBe('180');
    expect(await labelOf(after.id)).toBe('0');
    expect(after.provenance.labelledBy).toContain('admin:test');
    setLabel(t.server.context.db, sha(samples.d1), '180', 'client:a-00001', t.clock.nowMs);
  });

  it('pins its samples against retention: expired unlabelled samples in no dataset go, the others stay', async () => {
    const fresh = await startTestServer({ rolloutTickMs: 3_600_000 });
    try {
      const seeded = await seedDatasetSamples(fresh);
      const res = await fresh.call('/api/v1/datasets', {
        method: 'POST',
        json: { name: 'b0 only', filter: { device: 'b-00000' }, labelledOnly: false },
      });
      expect(res.status).toBe(201);
      const deleted = deleteExpiredSamples(fresh.server.context.db, fresh.clock.nowMs + 86_400_000, 100);
      expect(deleted).toEqual([seeded.samples.u1.meta.sha256]); // b0 is unlabelled too, but in the dataset
    } finally {
      await fresh.dispose();
    }
  });

  it('refuses hostile input with a clear error and creates nothing', async () => {
    const before = (await (await t.call('/api/v1/datasets')).json()).datasets.length;
    await expectError(await create({ name: 'x', filter: { color: 'red' } }), 400, 'invalid_input', 'filter');
    await expectError(
      await create({ name: 'x', filter: { slice: 'line in (2' } }),
      400,
      'invalid_input',
      'filter.slice',
    );
    await expectError(
      await create({ name: 'x', filter: { slice: 'a'.repeat(5000) } }),
      400,
      'invalid_input',
      'slice',
    );
    await expectError(await create({ name: 'x', maxSamples: 100_001 }), 400, 'invalid_input', 'maxSamples');
    await expectError(await create({ name: 'x', maxSamples: 0 }), 400, 'invalid_input', 'maxSamples');
    await expectError(
      await create({ name: 'x', filter: { from: 10, to: 10 } }),
      400,
      'invalid_input',
      'filter.from',
    );
    await expectError(
      await create({ name: 'x', filter: { reason: 'boredom' } }),
      400,
      'invalid_input',
      'reason',
    );
    await expectError(
      await create({ name: 'x', filter: { labelled: false } }),
      400,
      'invalid_input',
      'filter.labelled',
    );
    await expectError(await create({ name: '' }), 400, 'invalid_input', 'name');
    await expectError(await create({ name: 'x', id: 'ds-000000000000' }), 400, 'invalid_input');
    await expectError(
      await create({ name: 'x' }, { authorization: 'Bearer a-00000.secret' }),
      403,
      'forbidden',
    );
    await expectError(
      await create({ name: 'x' }, { authorization: `Bearer ${keys.shopKey}` }),
      403,
      'forbidden',
    );
    await expectError(await create({ name: 'x' }, { authorization: 'Bearer nope' }), 401, 'unauthorized');
    const bad = await t.call('/api/v1/datasets', {
      method: 'POST',
      body: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect((await (await t.call('/api/v1/datasets')).json()).datasets).toHaveLength(before);
  });
});

describe('GET /api/v1/datasets[/{id}]', () => {
  it('lists newest first, answers 404 for an unknown id, 400 for a malformed one, 403 for non-admins', async () => {
    const list = (await (await t.call('/api/v1/datasets')).json()).datasets as Dataset[];
    expect(list.length).toBeGreaterThan(3);
    expect(list.map((d) => d.createdAt)).toEqual([...list.map((d) => d.createdAt)].sort((a, b) => b - a));
    await expectError(await t.call('/api/v1/datasets/ds-000000000000'), 404, 'not_found');
    await expectError(await t.call('/api/v1/datasets/ds-000000000000/export'), 404, 'not_found');
    await expectError(await t.call('/api/v1/datasets/..%2Fetc'), 400, 'invalid_input');
    for (const credential of ['a-00000.secret', keys.shopKey]) {
      const headers = { authorization: `Bearer ${credential}` };
      await expectError(await t.call('/api/v1/datasets', { headers }), 403, 'forbidden');
      await expectError(await t.call(`/api/v1/datasets/${list[0]!.id}`, { headers }), 403, 'forbidden');
      await expectError(
        await t.call(`/api/v1/datasets/${list[0]!.id}/export`, { headers }),
        403,
        'forbidden',
      );
    }
  });
});

describe('GET /api/v1/datasets/{id}/export', () => {
  it('names the file after the dataset, with nothing a header or a file system could misread', async () => {
    expect(exportFileName('line 3 dark', 'ds-000000000000')).toBe('line_3_dark.tar');
    expect(exportFileName('..', 'ds-000000000000')).toBe('ds-000000000000.tar');
    expect(exportFileName('ünï', 'ds-000000000000')).toBe('n_.tar');
    const ds = await created({ name: '"evil"\r\n/../x; filename=y ü' });
    const res = await t.call(`/api/v1/datasets/${ds.id}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="evil_.._x_filename_y_.tar"');
    await res.arrayBuffer();
  });

  it('round-trips: every file in the tar matches its manifest entry, the stored sample and labels.jsonl', async () => {
    const ds = await created({ name: 'round trip', labelledOnly: false });
    const res = await t.call(`/api/v1/datasets/${ds.id}/export`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-tar');
    const tar = new Uint8Array(await res.arrayBuffer());
    expect(tar.byteLength).toBe(Number(res.headers.get('content-length')));
    const files = await untar(tar);
    const manifest = datasetManifestSchema.parse(
      JSON.parse(Buffer.from(files.get('manifest.json')!).toString()),
    );
    expect(manifest).toMatchObject({ v: 1, id: ds.id, sampleCount: 5, provenance: ds.provenance });
    const stored = await detail(ds.id);
    expect(manifest.samples.map(({ path: _path, ...s }) => s)).toEqual(stored.samples);
    const seeded = new Map(Object.values(samples).map((s) => [s.meta.sha256, s.bytes]));
    for (const entry of manifest.samples) {
      const bytes = files.get(entry.path)!;
      expect(entry.path).toBe(samplePath(entry));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.sha256);
      expect(bytes.byteLength).toBe(entry.sizeBytes);
      expect(Buffer.from(bytes).equals(readFileSync(blobPath(entry.sha256)))).toBe(true);
      expect(Buffer.from(bytes).equals(Buffer.from(seeded.get(entry.sha256)!))).toBe(true);
    }
    const lines = Buffer.from(files.get('labels.jsonl')!)
      .toString()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual(manifest.samples);
    expect([...files.keys()].sort()).toEqual(
      ['labels.jsonl', 'manifest.json', ...manifest.samples.map((s) => s.path)].sort(),
    );
    expect((await verifyDatasetArchive(bufferSource(tar))).ok).toBe(true);
    expect(exportsCount().exported).toBeGreaterThanOrEqual(1);
  });

  it('refuses (409) before streaming when a sample blob is gone, and aborts the stream when one changed', async () => {
    const ds = await created({ name: 'damaged', filter: { device: 'a-00001' } });
    const path = blobPath(sha(samples.d1));
    renameSync(path, `${path}.away`);
    try {
      const body = await expectError(
        await t.call(`/api/v1/datasets/${ds.id}/export`),
        409,
        'dataset_incomplete',
        'samples',
      );
      expect(body.details.missing).toEqual([sha(samples.d1)]);
    } finally {
      renameSync(`${path}.away`, path);
    }
    const original = readFileSync(path);
    const flipped = Buffer.from(original);
    flipped[flipped.length - 1]! ^= 0xff; // same size: only the hash while streaming can tell
    writeFileSync(path, flipped);
    try {
      const failedBefore = exportsCount().failed ?? 0;
      const res = await t.call(`/api/v1/datasets/${ds.id}/export`);
      expect(res.status).toBe(200);
      await expect(res.arrayBuffer()).rejects.toThrow();
      expect(exportsCount().failed).toBe(failedBefore + 1);
    } finally {
      writeFileSync(path, original);
    }
    expect((await t.call(`/api/v1/datasets/${ds.id}/export`)).status).toBe(200);
    expect(exportsCount().dataset_incomplete).toBe(1);
  });

  it('refuses an export over --max-export-bytes with 413 export_too_large before sending anything, counted', async () => {
    const small = await startTestServer({ rolloutTickMs: 3_600_000, maxExportBytes: 4_096 });
    try {
      await seedDatasetSamples(small);
      const make = async (maxSamples: number) =>
        (
          await (
            await small.call('/api/v1/datasets', { method: 'POST', json: { name: 'n', maxSamples } })
          ).json()
        ).id as string;
      const big = await make(3);
      const res = await small.call(`/api/v1/datasets/${big}/export`);
      const body = await expectError(res, 413, 'export_too_large', 'maxExportBytes');
      expect(body.details.maxBytes).toBe(4_096);
      expect(body.details.sizeBytes).toBeGreaterThan(4_096);
      expect(small.server.parts.datasets.exports.get('export_too_large')).toBe(1);
      const metrics = await (await small.call('/metrics')).text();
      expect(metrics).toMatch(/edgefleet_dataset_exports_total\{result="export_too_large"\} 1/);
      // One tiny sample fits: the limit is on the tar's exact size, not a guess.
      const empty = (
        await (
          await small.call('/api/v1/datasets', {
            method: 'POST',
            json: { name: 'e', filter: { model: 'none' } },
          })
        ).json()
      ).id;
      const ok = await small.call(`/api/v1/datasets/${empty}/export`);
      expect(ok.status).toBe(200);
      expect((await ok.arrayBuffer()).byteLength).toBeLessThanOrEqual(4_096);
    } finally {
      await small.dispose();
    }
  });
});

describe('lineage.trainedOn', () => {
  it('refuses an unknown dataset (400, nothing registered) and links a known one both ways', async () => {
    const ds = await created({ name: 'train me' });
    const model = readFileSync(CLS_MODEL_PATH); // uploaded with cls@1.0.0 by the sample fleet
    const sha256 = createHash('sha256').update(model).digest('hex');
    const version = (v: string, trainedOn: string) => ({
      name: 'cls',
      version: v,
      sha256,
      sizeBytes: model.length,
      preprocessing: CLS_PREPROCESSING,
      baseline: clsBaseline(),
      lineage: { createdBy: 'test', trainedOn },
    });
    const push = (body: unknown) => t.call('/api/v1/models/cls/versions', { method: 'POST', json: body });
    await expectError(
      await push(version('2.0.0', 'ds-000000000000')),
      400,
      'invalid_input',
      'lineage.trainedOn',
    );
    expect((await t.call('/api/v1/models/cls/versions/2.0.0')).status).toBe(404);
    await expectError(await push(version('2.0.0', '../x')), 400, 'invalid_input', 'lineage.trainedOn');
    expect((await push(version('2.0.0', ds.id))).status).toBe(201);
    expect((await push(version('2.1.0', ds.id))).status).toBe(201);
    const v = await (await t.call('/api/v1/models/cls/versions/2.0.0')).json();
    expect(v.lineage).toEqual({ createdBy: 'test', trainedOn: ds.id });
    const trained = [
      { name: 'cls', version: '2.0.0' },
      { name: 'cls', version: '2.1.0' },
    ];
    expect((await detail(ds.id)).trainedVersions).toEqual(trained);
    const list = (await (await t.call('/api/v1/datasets')).json()).datasets as Dataset[];
    expect(list.find((d) => d.id === ds.id)?.trainedVersions).toEqual(trained);
    expect(list.filter((d) => d.trainedVersions.length > 0)).toHaveLength(1);
  });
});
