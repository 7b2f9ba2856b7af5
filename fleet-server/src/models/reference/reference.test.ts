import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson, preprocessImage, specHash } from '@edgefleet/shared';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLS_MODEL_PATH, filesUnder, startTestServer, type TestServer } from '../../testing/harness';
import {
  asBody,
  CLS_PREPROCESSING,
  type TarInput,
  textLineImage,
  toNpy,
  writeTar,
} from '../../testing/reference';
import { baselineFromLocalReference } from './local';

let t: TestServer;
let model: { sha256: string; sizeBytes: number };
const images: { path: string; bytes: Buffer }[] = [];
let npy: Buffer;

const upload = (bytes: Uint8Array, kind: string) =>
  t.call(`/api/v1/artifacts?kind=${kind}`, { method: 'POST', body: asBody(bytes) });

beforeAll(async () => {
  t = await startTestServer();
  model = await (await upload(readFileSync(CLS_MODEL_PATH), 'model')).json();
  for (let i = 0; i < 12; i++) {
    const format = i % 4 === 3 ? 'jpeg' : 'png';
    images.push({
      path: `lines/${i}.${format === 'png' ? 'png' : 'jpg'}`,
      bytes: await textLineImage(i, { format }),
    });
  }
  const raw = await sharp(images[0]!.bytes).raw().toBuffer({ resolveWithObject: true });
  const tensor = preprocessImage(
    { data: raw.data, width: raw.info.width, height: raw.info.height, channels: 3 },
    CLS_PREPROCESSING,
  );
  if (!tensor.ok) throw new Error(tensor.error.message);
  npy = toNpy(tensor.value.data as Float32Array, tensor.value.dims);
});
afterAll(() => t.dispose());

const versionBody = (version: string, fromReference: Record<string, unknown>) => ({
  name: 'cls',
  version,
  sha256: model.sha256,
  sizeBytes: model.sizeBytes,
  preprocessing: CLS_PREPROCESSING,
  baseline: { fromReference },
  lineage: { createdBy: 'test' },
});

describe('baseline computed by the server from a reference set', () => {
  it('registers a version whose signed baseline comes from a tar of PNG, JPEG, .npy and .json inputs', async () => {
    const json = JSON.stringify({
      dtype: 'float32',
      dims: [1, 3, 48, 192],
      base64: npy.subarray(128).toString('base64'),
    });
    const tar = writeTar([
      ...images,
      { path: 'tensors/first.npy', bytes: npy },
      { path: 'tensors/first.json', bytes: Buffer.from(json) },
      { path: 'lines/.DS_Store', bytes: Buffer.from('junk') },
      { path: 'lines', type: '5' },
    ]);
    const reference = await upload(tar, 'reference');
    expect(reference.status).toBe(201);
    const { sha256 } = await reference.json();
    const res = await t.call('/api/v1/models/cls/versions', {
      method: 'POST',
      json: versionBody('1.0.0', { sha256, bins: 8, classes: ['0', '180'] }),
    });
    expect(res.status).toBe(201);
    const version = await res.json();
    const spec = await (await t.call('/api/v1/models/cls/versions/1.0.0/spec')).json();
    const baseline = await (await t.call('/api/v1/models/cls/versions/1.0.0/baseline')).json();
    expect(version.manifest.specHash).toBe(specHash(spec));
    expect(version.baselineSha256).toBe(createHash('sha256').update(canonicalJson(baseline)).digest('hex'));
    expect(spec.classes).toEqual(['0', '180']);
    expect(spec.inputs.map((f: { name: string }) => f.name)).toEqual(
      expect.arrayContaining(['ch0.mean', 'brightness', 'contrast', 'sharpness']),
    );
    expect(spec.outputs.map((f: { name: string }) => f.name)).toEqual(['confidence', 'margin']);
    expect(spec.inputs[0].edges.length).toBeLessThanOrEqual(9);
    expect(baseline.inferences).toBe(14); // 12 images, the .npy and the .json; .DS_Store and the directory skipped
    expect(baseline.inputs[0].m[0]).toBe(14);
  });

  it('computes the same baseline from multipart files on POST /baselines, storing nothing', async () => {
    const form = new FormData();
    form.set('model', model.sha256);
    // As `curl -F preprocessing=@pre.json` sends it: a file part, read as the JSON field, not as a reference file.
    form.set('preprocessing', new Blob([JSON.stringify(CLS_PREPROCESSING)]), 'pre.json');
    form.set('options', JSON.stringify({ bins: 8, classes: ['0', '180'] }));
    for (const image of images) form.append('file', new Blob([asBody(image.bytes)]), image.path);
    form.append('file', new Blob([asBody(npy)]), 'first.npy');
    form.append('file', new Blob([asBody(npy)]), 'again.npy');
    const before = filesUnder(join(t.dataDir, 'artifacts')).length;
    const res = await t.call('/api/v1/baselines', { method: 'POST', body: form });
    expect(res.status).toBe(200);
    const computed = await res.json();
    expect(computed).toMatchObject({ samples: 14, files: 14 });
    const stored = await (await t.call('/api/v1/models/cls/versions/1.0.0')).json();
    expect(computed.specHash).toBe(stored.manifest.specHash);
    expect(computed.baselineSha256).toBe(stored.baselineSha256);
    expect(filesUnder(join(t.dataDir, 'artifacts'))).toHaveLength(before);
  });
});

describe('the same computation on a local machine (what the CLI calls)', () => {
  it('gives the baseline the server signed, from a directory or a tar file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ef-reference-'));
    try {
      for (const image of images) {
        mkdirSync(join(dir, 'lines'), { recursive: true });
        writeFileSync(join(dir, image.path), image.bytes);
      }
      writeFileSync(join(dir, 'tensors.npy'), npy);
      const options = { bins: 8, classes: ['0', '180'] };
      const local = await baselineFromLocalReference({
        modelPath: CLS_MODEL_PATH,
        preprocessing: CLS_PREPROCESSING,
        reference: dir,
        options,
      });
      const multipart = new FormData();
      multipart.set('model', model.sha256);
      multipart.set('preprocessing', JSON.stringify(CLS_PREPROCESSING));
      multipart.set('options', JSON.stringify(options));
      // Moments add up in input order, so the same files in the directory's (sorted) order.
      const sorted = [...images].sort((a, b) => (a.path < b.path ? -1 : 1));
      for (const image of sorted) multipart.append('file', new Blob([asBody(image.bytes)]), image.path);
      multipart.append('file', new Blob([asBody(npy)]), 'tensors.npy');
      const server = await (await t.call('/api/v1/baselines', { method: 'POST', body: multipart })).json();
      expect(local).toMatchObject({
        samples: 13,
        specHash: server.specHash,
        baselineSha256: server.baselineSha256,
      });
      const tarPath = join(dir, 'set.tar');
      writeFileSync(tarPath, writeTar([...sorted, { path: 'tensors.npy', bytes: npy }]));
      const fromTar = await baselineFromLocalReference({
        modelPath: CLS_MODEL_PATH,
        preprocessing: CLS_PREPROCESSING,
        reference: tarPath,
        options,
      });
      expect(fromTar.baselineSha256).toBe(server.baselineSha256);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hostile reference sets', () => {
  const pngLike = Buffer.from('\x89PNG\r\n\x1a\n', 'latin1');
  const png = () => images[0]?.bytes ?? pngLike;
  const archives: [string, TarInput[], number, RegExp][] = [
    ['path traversal', [{ path: '../../etc/evil.png', bytes: pngLike }], 400, /unsafe path/],
    ['absolute path', [{ path: '/tmp/evil.png', bytes: pngLike }], 400, /unsafe path/],
    ['symbolic link', [{ path: 'link.png', type: '2', linkName: '/etc/passwd' }], 400, /symbolic link/],
    ['device', [{ path: 'dev.png', type: '3' }], 400, /character device/],
    ['huge entry', [{ path: 'huge.png', bytes: pngLike, declaredSize: 2 * 1024 ** 3 }], 413, /at most/],
    ['non-image file', [{ path: 'notes.txt', bytes: Buffer.from('hello') }], 400, /unsupported file type/],
  ];
  it.each(archives)('%s: refused at upload, nothing stored', async (_name, entries, status, message) => {
    const before = filesUnder(join(t.dataDir, 'artifacts')).length;
    const res = await upload(writeTar(entries), 'reference');
    expect(res.status).toBe(status);
    expect((await res.json()).message).toMatch(message);
    expect(filesUnder(join(t.dataDir, 'artifacts'))).toHaveLength(before);
    expect(filesUnder(join(t.dataDir, 'tmp'))).toEqual([]);
  });

  it('refuses what is not a tar archive', async () => {
    const res = await upload(Buffer.alloc(2048, 0x41), 'reference');
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/not a tar archive/);
  });

  it('refuses images that do not decode, and too small sets, at version creation (422/400, no version)', async () => {
    const fake = writeTar([
      ...images.slice(0, 9),
      { path: 'fake.png', bytes: Buffer.concat([pngLike, Buffer.from('nope')]) },
    ]);
    const fakeRef = await (await upload(fake, 'reference')).json();
    const bad = await t.call('/api/v1/models/cls/versions', {
      method: 'POST',
      json: versionBody('2.0.0', { sha256: fakeRef.sha256 }),
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/'fake.png' could not be decoded/);
    const small = await (await upload(writeTar(images.slice(0, 3)), 'reference')).json();
    const few = await t.call('/api/v1/models/cls/versions', {
      method: 'POST',
      json: versionBody('2.0.0', { sha256: small.sha256 }),
    });
    expect(few.status).toBe(400);
    expect((await few.json()).message).toMatch(/3 samples; a baseline needs at least 8/);
    const classes = await t.call('/api/v1/models/cls/versions', {
      method: 'POST',
      json: versionBody('2.0.0', { sha256: fakeRef.sha256, classes: ['a', 'b', 'c'] }),
    });
    expect(classes.status).toBe(400);
    const notReference = await t.call('/api/v1/models/cls/versions', {
      method: 'POST',
      json: versionBody('2.0.0', { sha256: model.sha256 }),
    });
    expect(notReference.status).toBe(400);
    expect((await notReference.json()).details.field).toBe('baseline.fromReference.sha256');
    const malformed = await t.call('/api/v1/models/cls/versions', {
      method: 'POST',
      json: versionBody('2.0.0', { sha256: 'nope', bins: 99 }),
    });
    expect(malformed.status).toBe(400);
    expect(JSON.stringify((await malformed.json()).details)).toContain('"baseline.fromReference.sha256"');
    expect((await (await t.call('/api/v1/models/cls/versions')).json()).versions).toHaveLength(1);
  });

  it('answers multipart mistakes on POST /baselines with the field at fault', async () => {
    const form = new FormData();
    form.set('model', model.sha256);
    form.set('preprocessing', JSON.stringify({ ...CLS_PREPROCESSING, mean: [0.5] }));
    form.append('file', new Blob([asBody(png())]), 'a.png');
    const res = await t.call('/api/v1/baselines', { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect((await res.json()).details.field).toBe('preprocessing.mean');
    const traversal = new FormData();
    traversal.set('model', model.sha256);
    traversal.set('preprocessing', JSON.stringify(CLS_PREPROCESSING));
    traversal.append('file', new Blob([asBody(png())]), '../a.png');
    const unsafe = await t.call('/api/v1/baselines', { method: 'POST', body: traversal });
    expect(unsafe.status).toBe(400);
    const json = await t.call('/api/v1/baselines', { method: 'POST', json: {} });
    expect(json.status).toBe(400);
  });
});
