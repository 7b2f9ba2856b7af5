import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Profile, type ProfileSpec, preprocessImage } from '@edgefleet/shared';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baselineFromLocalReference } from '../models/reference/local';
import { clsReport } from '../telemetry/fixtures';
import { enrollTestDevice } from '../testing/enroll';
import {
  CLS_MODEL_PATH,
  CLS_PREPROCESSING,
  clsBaseline,
  startTestServer,
  type TestServer,
} from '../testing/harness';
import { makeClsGolden, textLineImage, toNpy } from '../testing/reference';
import { BIN_TEST_TIMEOUT_MS, cliHome, runInProcess } from './test-support';

// `edgefleet model …` and `edgefleet drift` through the real bin, with the real cls model and a real
// reference folder (PNG, JPEG and .npy), against a real server.

let t: TestServer;
const home = cliHome();
const dir = mkdtempSync(join(tmpdir(), 'edgefleet-cli-model-'));
const path = (name: string) => join(dir, name);
let env: Record<string, string>;
const MAX_MODEL_BYTES = 1_000_000;

beforeAll(async () => {
  t = await startTestServer({ maxModelBytes: MAX_MODEL_BYTES });
  env = { EDGEFLEET_URL: t.url, EDGEFLEET_ADMIN_TOKEN: t.adminToken };
  mkdirSync(path('ref/sub'), { recursive: true });
  for (let i = 0; i < 9; i++) writeFileSync(path(`ref/${i}.png`), await textLineImage(i));
  writeFileSync(path('ref/sub/jpeg.jpg'), await textLineImage(20, { format: 'jpeg', brightness: -30 }));
  const { data, info } = await sharp(await textLineImage(30))
    .raw()
    .toBuffer({ resolveWithObject: true });
  const tensor = preprocessImage(
    { data, width: info.width, height: info.height, channels: 3 },
    CLS_PREPROCESSING,
  );
  if (!tensor.ok) throw new Error(tensor.error.message);
  writeFileSync(path('ref/sub/t.npy'), toNpy(tensor.value.data as Float32Array, tensor.value.dims));
  writeFileSync(path('ref/.DS_Store'), 'junk');
  mkdirSync(path('empty'));
  mkdirSync(path('bad'));
  writeFileSync(path('bad/fake.png'), 'not a png at all');
  writeFileSync(path('pre.json'), JSON.stringify(CLS_PREPROCESSING));
  writeFileSync(path('golden.json'), JSON.stringify(await makeClsGolden(1)));
  writeFileSync(path('baseline.json'), JSON.stringify(clsBaseline()));
  writeFileSync(path('bad-baseline.json'), JSON.stringify({ spec: { v: 1 }, profile: {} }));
  writeFileSync(path('lineage.json'), JSON.stringify({ codeRevision: 'git:1234', notes: 'from a file' }));
  writeFileSync(path('junk.onnx'), Buffer.alloc(4096, 7));
  writeFileSync(path('huge.onnx'), Buffer.alloc(MAX_MODEL_BYTES + 10, 1));
}, BIN_TEST_TIMEOUT_MS);
afterAll(async () => {
  await t.dispose();
  home.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const push = (version: string, ...extra: string[]) => pushFile(CLS_MODEL_PATH, version, ...extra);
const pushFile = (file: string, version: string, ...extra: string[]) => [
  'model',
  'push',
  file,
  '--name',
  'cls',
  '--version',
  version,
  '--preprocessing',
  `@${path('pre.json')}`,
  ...extra,
];

const inProcess = (argv: string[]) => runInProcess(argv, { ...env, EDGEFLEET_CONFIG: home.config });

describe('edgefleet model push', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  it('uploads with progress, computes the baseline locally with the server code, registers the version', async () => {
    const pushed = await home.run(
      push(
        '1.0.0',
        '--baseline',
        path('ref'),
        '--golden',
        path('golden.json'),
        '--lineage-kv',
        'codeRevision=abc123',
        '--lineage-kv',
        'params.lr=0.01',
        '--lineage-kv',
        'metrics.accuracy=0.97',
        '--description',
        'text direction',
      ),
      { env },
    );
    expect(
      pushed.stderr.match(/^uploading ch_ppocr_mobile_v2\.0_cls_infer\.onnx: \d+% /gm)?.length,
    ).toBeGreaterThan(5);
    expect(pushed.stderr).toContain('uploading ch_ppocr_mobile_v2.0_cls_infer.onnx: 100% (579 kB of 579 kB)');
    expect(pushed).toMatchObject({ code: 0 });
    expect(pushed.stdout).toMatch(/^Pushed cls@1\.0\.0\n {2}sha256 +[0-9a-f]{64}\n/);
    expect(pushed.stdout).toContain('11 samples from 12 files');
    expect(pushed.stdout).toMatch(/^ {2}inputs +x float32 \[\S+,3,\S+\]$/m);

    const local = await baselineFromLocalReference({
      modelPath: CLS_MODEL_PATH,
      preprocessing: CLS_PREPROCESSING,
      reference: path('ref'),
    });
    const shown = await home.json<Record<string, unknown>>(['model', 'show', 'cls@1.0.0'], env);
    expect(shown).toMatchObject({
      baselineSha256: local.baselineSha256,
      specHash: local.specHash,
      lineage: { codeRevision: 'abc123', params: { lr: 0.01 }, metrics: { accuracy: 0.97 } },
      signature: { inputs: [{ name: 'x', type: 'float32' }], outputs: [{ name: 'softmax_0.tmp_0' }] },
      baseline: { samples: 11, classes: ['0', '1'] },
      deprecatedAt: null,
    });
    expect(shown.goldenSha256).toMatch(/^[0-9a-f]{64}$/);
    const features = (shown.baseline as { features: { name: string; count: number }[] }).features;
    expect(features.find((f) => f.name === 'brightness')?.count).toBe(11);

    const second = await home.json<{ version: { lineage: Record<string, unknown> } }>(
      push('2.0.0', '--baseline', path('baseline.json'), '--lineage', `@${path('lineage.json')}`),
      env,
    );
    expect(second.version.lineage).toMatchObject({ codeRevision: 'git:1234', notes: 'from a file' });
  });

  it('refuses duplicates, non-ONNX and oversized files, and bad local input with clear one-line errors', async () => {
    const runs = await Promise.all([
      home.run(push('1.0.0', '--baseline', path('ref')), { env }),
      home.run(pushFile(path('junk.onnx'), '3.0.0', '--baseline', path('baseline.json')), { env }),
      home.run(pushFile(path('huge.onnx'), '3.0.0', '--baseline', path('baseline.json')), { env }),
      home.run(pushFile(path('missing.onnx'), '3.0.0', '--baseline', path('ref')), { env }),
      home.run(push('3.0.0', '--baseline', path('empty')), { env }),
      home.run(push('3.0.0', '--baseline', path('bad')), { env }),
    ]);
    const [duplicate, notOnnx, oversized, missing, empty, badImage] = runs;
    expect(duplicate.code).toBe(5);
    expect(duplicate.stderr).toBe(
      'edgefleet model push: cls@1.0.0 exists already; versions are immutable, push a new one\n',
    );
    expect(notOnnx.code).toBe(1);
    expect(notOnnx.stderr).toMatch(/edgefleet model push: 422 unprocessable_content: .*/);
    // The 413 arrives before the body is sent; it can lose the race with the client's write error (EPIPE).
    if (oversized.code === 1)
      expect(oversized.stderr).toContain('413 payload_too_large: artifact exceeds 1000000 bytes');
    else
      expect(oversized.stderr).toContain(
        'the server closed the connection (a file over its --max-model-bytes',
      );
    expect(oversized.code === 1 || oversized.code === 3).toBe(true);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`model file: ${path('missing.onnx')}: no such file`);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('holds no reference files');
    expect(badImage.code).toBe(2);
    expect(badImage.stderr).toContain("reference entry 'fake.png' is not a PNG or JPEG image");
    for (const run of runs) expect(run.stderr).not.toMatch(/\n\s+at /);

    // Local checks, before any request: in process (the bin's start-up is covered above), same code.
    const usage = await Promise.all([
      inProcess([
        'model',
        'push',
        CLS_MODEL_PATH,
        '--name',
        'cls',
        '--version',
        '4.0.0',
        '--preprocessing',
        '{nope',
        '--baseline',
        path('ref'),
      ]),
      inProcess([
        'model',
        'push',
        CLS_MODEL_PATH,
        '--name',
        'cls',
        '--version',
        '4.0.0',
        '--preprocessing',
        '{"kind":"image","width":-1}',
        '--baseline',
        path('ref'),
      ]),
      inProcess(push('4.0.0', '--baseline', path('ref'), '--lineage-kv', 'color=blue')),
      inProcess(push('4.0.0', '--baseline', path('ref'), '--lineage', '{}', '--lineage-kv', 'notes=x')),
      inProcess(push('bad version!', '--baseline', path('ref'))),
      inProcess(push('4.0.0')),
      inProcess(push('4.0.0', '--baseline', path('bad-baseline.json'))),
    ]);
    expect(usage.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2, 2]);
    expect(usage[0]!.stderr).toContain('--preprocessing: not valid JSON');
    expect(usage[1]!.stderr).toContain('--preprocessing: ');
    expect(usage[2]!.stderr).toContain("--lineage-kv: unknown key 'color'");
    expect(usage[3]!.stderr).toContain('give --lineage or --lineage-kv, not both');
    expect(usage[4]!.stderr).toContain("'bad version!' is not a version");
    expect(usage[5]!.stderr).toContain('--baseline is required');
    expect(usage[6]!.stderr).toContain(`--baseline ${path('bad-baseline.json')}: baseline.spec`);
    expect(usage[6]!.stderr).not.toContain('uploading'); // refused before the upload
  });
});

describe('edgefleet model list / show / deprecate', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  it('lists, shows and deprecates versions', async () => {
    const [list, versions, human, missing, badRef] = await Promise.all([
      home.json<{ models: { name: string; versions: number; description: string }[] }>(
        ['model', 'list'],
        env,
      ),
      home.json<{ versions: { version: string }[] }>(['model', 'show', 'cls'], env),
      home.run(['model', 'show', 'cls@1.0.0'], { env }),
      home.run(['model', 'show', 'cls@9.9.9'], { env }),
      home.run(['model', 'show', 'no such/model'], { env }),
    ]);
    expect(list.models).toEqual([
      expect.objectContaining({ name: 'cls', versions: 2, description: 'text direction' }),
    ]);
    expect(versions.versions.map((v) => v.version)).toEqual(['1.0.0', '2.0.0']);
    expect(human.stdout).toMatch(/^version +cls@1\.0\.0$/m);
    expect(human.stdout).toMatch(/^preprocessing +\{"kind":"image"/m);
    expect(human.stdout).toMatch(/^ {2}brightness +input +11 /m);
    expect(missing.code).toBe(4);
    expect(badRef.code).toBe(2);
    const deprecated = await home.json<{ deprecatedAt: number; deprecationReason: string }>(
      ['model', 'deprecate', 'cls@2.0.0', '--reason', 'wrong baseline'],
      env,
    );
    expect(deprecated).toMatchObject({ deprecationReason: 'wrong baseline' });
    expect(deprecated.deprecatedAt).toBeGreaterThan(0);
  });
});

describe('edgefleet drift', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  it('ranks features worst first against the baseline and marks those over the threshold', async () => {
    const deviceToken = await enrollTestDevice(t, 'edge-1', { site: 'plant-a' });
    const spec = (await (await t.call('/api/v1/models/cls/versions/1.0.0/spec')).json()) as ProfileSpec;
    const profile = new Profile(spec);
    for (let n = 0; n < 300; n++) {
      const inside = (edges: number[]) => edges[n % edges.length]!;
      const inputs: Record<string, number> = {};
      for (const f of spec.inputs)
        inputs[f.name] = f.name === 'brightness' ? f.edges.at(-1)! + 1 : inside(f.edges);
      profile.observeInputs(inputs);
      profile.observeOutputs(Object.fromEntries(spec.outputs.map((f) => [f.name, inside(f.edges)])));
      profile.observeClass(0);
      profile.observeLatency('infer', 2 + (n % 10));
      if (n % 100 === 0) profile.recordError('infer');
    }
    const report = clsReport('edge-1', 1, profile, { startMs: t.clock.nowMs - 10 * 60_000 });
    const posted = await fetch(`${t.url}/api/v1/telemetry`, {
      method: 'POST',
      headers: { authorization: `Bearer ${deviceToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reports: [report] }),
    });
    expect(((await posted.json()) as { results: { status: string }[] }).results[0]!.status).toBe('stored');

    const [json, human, bothRanges, noVersion, unknown] = await Promise.all([
      home.json<{
        inferences: number;
        errorRate: number;
        latencyMs: { infer: { p50: number } };
        features: { name: string; psi: number; over: string[] }[];
      }>(['drift', '--model', 'cls@1.0.0', '--since', '2h', '--selector', 'site=plant-a'], env),
      home.run(['drift', '--model', 'cls@1.0.0', '--psi', '0.25'], { env }),
      home.run(['drift', '--model', 'cls@1.0.0', '--since', '1h', '--from', '2026-01-01T00:00:00Z'], { env }),
      home.run(['drift', '--model', 'cls'], { env }),
      home.run(['drift', '--model', 'cls@9.9.9'], { env }),
    ]);
    expect(json.inferences).toBe(300);
    expect(json.errorRate).toBeCloseTo(3 / 300);
    expect(json.latencyMs.infer.p50).toBeGreaterThan(1);
    expect(json.features[0]).toMatchObject({ name: 'brightness', over: expect.arrayContaining(['psi']) });
    const psis = json.features.map((f) => f.psi ?? -1);
    expect(psis[0]).toBeGreaterThan(psis.at(-1)!);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^brightness +input +\S+ !/m);
    expect(human.stdout).toContain('PSI (>0.25)');
    expect(human.stdout).toMatch(/^total +\d+ /m);
    expect(bothRanges.code).toBe(2);
    expect(noVersion.code).toBe(2);
    expect(unknown.code).toBe(4);
  });
});
