import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalJson, importKeyRing, modelRefSchema, verifyManifest } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLS_MODEL_PATH,
  CLS_PREPROCESSING,
  clsBaseline,
  startTestServer,
  type TestServer,
} from '../testing/harness';
import { makeClsGolden } from '../testing/reference';

const model = readFileSync(CLS_MODEL_PATH);
const sha256 = createHash('sha256').update(model).digest('hex');
let goldenSha: string;

let t: TestServer;
const preprocessing = CLS_PREPROCESSING;
const baseBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'cls',
  version: '1.0.0',
  sha256,
  sizeBytes: model.length,
  preprocessing,
  baseline: clsBaseline(),
  lineage: { createdBy: 'test', codeRevision: 'abc123', metrics: { accuracy: 0.97 } },
  ...overrides,
});
const createVersion = (body: unknown, name = 'cls') =>
  t.call(`/api/v1/models/${name}/versions`, { method: 'POST', json: body });

async function expectInvalid(res: Response, field: string, status = 400): Promise<void> {
  expect(res.status).toBe(status);
  const body = await res.json();
  expect(body.error).toBeTypeOf('string');
  expect(body.message).toBeTypeOf('string');
  expect(JSON.stringify(body.details)).toContain(field);
}

beforeAll(async () => {
  t = await startTestServer({ fleet: 'acme', maxJsonBytes: 200_000 });
  const up = (body: Buffer, kind: string) =>
    t.call(`/api/v1/artifacts?kind=${kind}`, {
      method: 'POST',
      body: new Uint8Array(body),
      headers: { 'content-type': 'application/octet-stream' },
    });
  expect((await up(model, 'model')).status).toBe(201);
  const golden = Buffer.from(JSON.stringify(await makeClsGolden(3)));
  goldenSha = createHash('sha256').update(golden).digest('hex');
  expect((await up(golden, 'golden')).status).toBe(201);
});
afterAll(() => t.dispose());

describe('model versions', () => {
  it('registers a version with a manifest signed by the fleet key', async () => {
    const res = await createVersion(baseBody({ golden: { sha256: goldenSha } }));
    expect(res.status).toBe(201);
    const version = await res.json();
    expect(version).toMatchObject({
      name: 'cls',
      version: '1.0.0',
      sha256,
      sizeBytes: model.length,
      goldenSha256: goldenSha,
      artifactUrl: `/api/v1/artifacts/${sha256}`,
      goldenUrl: `/api/v1/artifacts/${goldenSha}`,
      profileSpecUrl: '/api/v1/models/cls/versions/1.0.0/spec',
    });
    expect(version.manifest).toMatchObject({ fleet: 'acme', name: 'cls', format: 'onnx', sha256 });

    const fleet = await (await t.call('/api/v1/fleet', { headers: { authorization: '' } })).json();
    const ring = await importKeyRing(fleet.signingKeys);
    if (!ring.ok) throw new Error(ring.error.message);
    const ref = modelRefSchema.parse(version);
    const verified = await verifyManifest(ref, ring.value);
    expect(verified.ok).toBe(true);
    const tampered = await verifyManifest(
      { ...ref, manifest: { ...ref.manifest, sizeBytes: 1 } },
      ring.value,
    );
    expect(tampered.ok).toBe(false);
  });

  it('serves the spec and the baseline whose canonical sha256 the manifest signs', async () => {
    const version = await (await t.call('/api/v1/models/cls/versions/1.0.0')).json();
    const spec = await (await t.call(version.profileSpecUrl)).json();
    expect(spec).toEqual(clsBaseline().spec);
    const baseline = await (await t.call(version.baselineUrl)).json();
    expect(createHash('sha256').update(canonicalJson(baseline)).digest('hex')).toBe(
      version.manifest.baselineSha256,
    );
  });

  it('keeps versions immutable: 409 on a duplicate', async () => {
    await expectInvalid(await createVersion(baseBody({ lineage: { createdBy: 'other' } })), 'version', 409);
  });

  it('lists models and versions, and deprecates idempotently', async () => {
    expect((await createVersion(baseBody({ version: '1.1.0-rc.1' }))).status).toBe(201);
    const models = await (await t.call('/api/v1/models')).json();
    expect(models.models).toEqual([expect.objectContaining({ name: 'cls', versions: 2 })]);
    const versions = await (await t.call('/api/v1/models/cls/versions')).json();
    expect(versions.versions.map((v: { version: string }) => v.version)).toEqual(['1.0.0', '1.1.0-rc.1']);
    const deprecate = () =>
      t.call('/api/v1/models/cls/versions/1.1.0-rc.1/deprecate', {
        method: 'POST',
        json: { reason: 'bad recall' },
      });
    const first = await (await deprecate()).json();
    expect(first.deprecatedAt).toBeTypeOf('number');
    t.clock.nowMs += 5000;
    expect((await (await deprecate()).json()).deprecatedAt).toBe(first.deprecatedAt);
    expect((await t.call('/api/v1/models/nope/versions')).status).toBe(404);
    expect((await t.call('/api/v1/models/cls/versions/9.9.9')).status).toBe(404);
  });

  it('answers hostile bodies with 400 naming the field, and creates nothing', async () => {
    const versionBody = (overrides: Record<string, unknown> = {}) =>
      baseBody({ version: '3.0.0', ...overrides });
    await expectInvalid(await createVersion(versionBody({ version: 'v1' })), 'version');
    await expectInvalid(await createVersion(versionBody({ version: '1.0' })), 'version');
    await expectInvalid(await createVersion(versionBody({ sha256: 'f'.repeat(64) })), 'sha256');
    await expectInvalid(await createVersion(versionBody({ sha256: '../../etc/passwd' })), 'sha256');
    await expectInvalid(await createVersion(versionBody({ sizeBytes: 12 })), 'sizeBytes');
    await expectInvalid(await createVersion(versionBody({ sizeBytes: '12' })), 'sizeBytes');
    await expectInvalid(await createVersion(versionBody({ golden: { sha256 } })), 'golden.sha256');
    await expectInvalid(
      await createVersion(versionBody({ preprocessing: { ...preprocessing, inputName: 'y' } })),
      'preprocessing.inputName',
    );
    await expectInvalid(
      await createVersion(versionBody({ preprocessing: { ...preprocessing, mean: [1] } })),
      'preprocessing',
    );
    const { spec, profile } = clsBaseline();
    await expectInvalid(
      await createVersion(
        versionBody({ baseline: { spec: { ...spec, inputs: [{ name: 'b', edges: [2, 1] }] }, profile } }),
      ),
      'baseline.spec',
    );
    await expectInvalid(
      await createVersion(
        versionBody({ baseline: { spec, profile: { ...(profile as object), inputs: 'x' } } }),
      ),
      'baseline.profile',
    );
    await expectInvalid(await createVersion(versionBody({ name: 'other' })), 'name');
    await expectInvalid(await createVersion(versionBody(), '..%2F..'), 'name');
    await expectInvalid(await createVersion(versionBody({ lineage: undefined })), 'lineage');
    const versions = await (await t.call('/api/v1/models/cls/versions')).json();
    expect(versions.versions).toHaveLength(2);
    expect((await t.call('/api/v1/models/other/versions')).status).toBe(404);
  });

  it('answers malformed JSON, a wrong content type and an oversized body', async () => {
    const raw = (body: string, type = 'application/json') =>
      t.call('/api/v1/models/cls/versions', { method: 'POST', body, headers: { 'content-type': type } });
    await expectInvalid(await raw('{"name": "cls",'), 'body');
    await expectInvalid(await raw('name=cls', 'application/x-www-form-urlencoded'), 'content-type', 415);
    const huge = JSON.stringify(baseBody({ lineage: { createdBy: 'x', notes: 'n'.repeat(300_000) } }));
    const res = await raw(huge);
    expect(res.status).toBe(413);
    expect((await res.json()).error).toBe('payload_too_large');
  });

  it('needs admin credentials to register', async () => {
    const res = await t.call('/api/v1/models/cls/versions', {
      method: 'POST',
      json: baseBody({ version: '2.0.0' }),
      headers: { authorization: 'Bearer efp_not-a-key' },
    });
    expect(res.status).toBe(401);
  });
});
