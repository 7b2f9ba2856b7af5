import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GoldenPairJson } from '@edgefleet/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrollTestDevice } from '../testing/enroll';
import {
  CLS_MODEL_PATH,
  clsBaseline,
  filesUnder,
  startTestServer,
  type TestServer,
} from '../testing/harness';
import { asBody, CLS_PREPROCESSING, makeClsGolden } from '../testing/reference';
import { readGoldenPair } from './golden';

let t: TestServer;
let model: { sha256: string; sizeBytes: number };
let golden: GoldenPairJson;
const OUTPUT = 'softmax_0.tmp_0';

const upload = (bytes: Uint8Array | string, kind: string) =>
  t.call(`/api/v1/artifacts?kind=${kind}`, { method: 'POST', body: asBody(bytes) });

beforeAll(async () => {
  t = await startTestServer();
  model = await (await upload(readFileSync(CLS_MODEL_PATH), 'model')).json();
  golden = await makeClsGolden(7);
});
afterAll(() => t.dispose());

const createVersion = (version: string, goldenSha256: string) =>
  t.call('/api/v1/models/cls/versions', {
    method: 'POST',
    json: {
      name: 'cls',
      version,
      sha256: model.sha256,
      sizeBytes: model.sizeBytes,
      preprocessing: CLS_PREPROCESSING,
      baseline: clsBaseline(),
      golden: { sha256: goldenSha256 },
      lineage: { createdBy: 'test' },
    },
  });

describe('golden pairs', () => {
  it('accepts a pair the model reproduces, and serves it to devices at goldenUrl', async () => {
    const stored = await upload(JSON.stringify(golden), 'golden');
    expect(stored.status).toBe(201);
    const { sha256 } = await stored.json();
    const res = await createVersion('1.0.0', sha256);
    expect(res.status).toBe(201);
    const version = await res.json();
    expect(version).toMatchObject({ goldenSha256: sha256, goldenUrl: `/api/v1/artifacts/${sha256}` });
    expect(version.manifest.goldenSha256).toBe(sha256);
    const deviceToken = await enrollTestDevice(t, 'station-1');
    const asDevice = { headers: { authorization: `Bearer ${deviceToken}` } };
    const ref = await (await t.call('/api/v1/models/cls/versions/1.0.0', asDevice)).json();
    // A device reads the artifacts its desired state names.
    expect((await t.call(ref.goldenUrl, asDevice)).status).toBe(403);
    const deviceState = t.server.parts.deviceState;
    await deviceState.sessions.publishDesired('station-1', {
      models: { active: ref, shadow: null, standby: null },
      telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 1000 },
      policies: { golden: 'if_present', shadowSampleRate: 1 },
    });
    const fetched = await t.call(ref.goldenUrl, asDevice);
    expect(fetched.status).toBe(200);
    const pair = readGoldenPair(new Uint8Array(await fetched.arrayBuffer()));
    expect(pair.outputs[OUTPUT]!.dims).toEqual([1, 2]);
  });

  it('refuses (422) a pair the model does not reproduce, or one that does not fit its inputs', async () => {
    const data = golden.outputs[OUTPUT]!.data as number[];
    const wrong = {
      ...golden,
      outputs: { [OUTPUT]: { ...golden.outputs[OUTPUT]!, data: [data[1]!, data[0]!] } },
    };
    const wrongSha = (await (await upload(JSON.stringify(wrong), 'golden')).json()).sha256;
    const res = await createVersion('2.0.0', wrongSha);
    expect(res.status).toBe(422);
    const body = await res.json();
    expect(body.message).toMatch(/does not reproduce output 'softmax_0.tmp_0'/);
    expect(body.details).toMatchObject({ field: `golden.outputs.${OUTPUT}`, index: 0 });
    const renamed = { ...golden, inputs: { image: golden.inputs.x! } };
    const renamedSha = (await (await upload(JSON.stringify(renamed), 'golden')).json()).sha256;
    const misfit = await createVersion('2.0.0', renamedSha);
    expect(misfit.status).toBe(422);
    expect((await misfit.json()).message).toMatch(/missing inputs \[x\], unknown inputs \[image\]/);
    const tight = {
      ...golden,
      tolerance: { abs: 0, rel: 0 },
      outputs: { [OUTPUT]: { ...golden.outputs[OUTPUT]!, data: data.map((v) => v + 1e-3) } },
    };
    const tightSha = (await (await upload(JSON.stringify(tight), 'golden')).json()).sha256;
    expect((await createVersion('2.0.0', tightSha)).status).toBe(422);
    expect((await (await t.call('/api/v1/models/cls/versions')).json()).versions).toHaveLength(1);
  });

  it('refuses malformed pair files at upload (400), storing nothing', async () => {
    const before = filesUnder(join(t.dataDir, 'artifacts')).length;
    const cases = [
      'not json',
      JSON.stringify({ ...golden, format: 'other' }),
      JSON.stringify({ ...golden, inputs: { x: { dtype: 'float32', dims: [1, 2], data: [1] } } }),
      JSON.stringify({ ...golden, inputs: { x: { dtype: 'float32', dims: [1, 2], base64: 'AAAA' } } }),
      JSON.stringify({ ...golden, tolerance: { abs: -1, rel: 0 } }),
    ];
    for (const body of cases) {
      const res = await upload(body, 'golden');
      expect(res.status).toBe(400);
    }
    expect(filesUnder(join(t.dataDir, 'artifacts'))).toHaveLength(before);
  });
});
