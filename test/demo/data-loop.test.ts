import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset, DatasetManifest } from '@edgefleet/shared/api';
import { capturePolicySchema, captureReasons } from '@edgefleet/shared/capture';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDemoArgs } from '../../demo/src/config';
import { DATA_LOOP_POLICY, dataLoopSummary } from '../../demo/src/data-loop';
import { DARK_SCENE, type DataLoopPhaseDeps, Line2Lights, lamp2Failed } from '../../demo/src/data-loop-phase';
import { problemsOfExport } from '../../demo/src/dataset-check';
import { Feeder } from '../../demo/src/feeder';
import { inspectionSample } from '../../demo/src/images';
import { readTar, writeTar } from '../../demo/src/tar';
import { TruthLog } from '../../demo/src/truth';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgefleet-demo-loop-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('the generators’ truth', () => {
  it('finds an image’s true orientation by the sha256 of its bytes, the newest `capacity` images', () => {
    const truth = new TruthLog(3);
    const images = [1, 2, 3, 4].map((i) => new Uint8Array([i, i, i]));
    expect(truth.record(images[0]!, '0')).toBe(sha256(images[0]!));
    truth.record(images[1]!, '180');
    truth.record(images[2]!, '0');
    truth.record(images[0]!, '0'); // fed again: it is the newest now
    truth.record(images[3]!, '180'); // the oldest (images[1]) goes
    expect(truth.size).toBe(3);
    expect(truth.truthOf(sha256(images[1]!))).toBeUndefined();
    expect(truth.truthOf(sha256(images[0]!))).toBe('0');
    expect(truth.truthOf(sha256(images[3]!))).toBe('180');
    expect(truth.truthOf('f'.repeat(64))).toBeUndefined();
    expect(() => new TruthLog(0)).toThrow(/capacity/);
  });

  it('is recorded by a feeder for every image it drops, under any lighting', async () => {
    const dir = tempDir();
    const truth = new TruthLog();
    const watchDir = join(dir, 'camera');
    const feeder = new Feeder({ watchDir, outDir: join(dir, 'results'), intervalMs: 10, seed: 500, truth });
    await feeder.step();
    feeder.scene = { ...DARK_SCENE };
    await feeder.step();
    const names = readdirSync(watchDir).sort();
    expect(names).toHaveLength(2);
    for (const [i, name] of names.entries()) {
      const bytes = readFileSync(join(watchDir, name));
      // The same seed and scene make the same image: the recorded truth is the generator's.
      const expected = await inspectionSample(500 + i, i === 1 ? DARK_SCENE : {});
      expect(sha256(bytes)).toBe(sha256(expected.bytes));
      expect(truth.truthOf(sha256(bytes))).toBe(expected.orientation);
    }
  });
});

describe('the capture policy on the dark line', () => {
  it('is a valid policy that captures dark images as out of range, never downscaled', async () => {
    expect(capturePolicySchema.parse(DATA_LOOP_POLICY)).toEqual(DATA_LOOP_POLICY);
    expect(DATA_LOOP_POLICY.maxSidePx).toBeUndefined(); // the sample is the image fed: its sha256 finds its truth
    const inputs = [{ name: 'brightness', edges: [0.3, 0.5, 0.7] }] as never;
    const top = { label: '0', confidence: 0.99, margin: 0.98 };
    const never = () => 0.99;
    expect(captureReasons(DATA_LOOP_POLICY, { top, features: { brightness: 0.1 } }, inputs, never)).toEqual([
      'out_of_range',
    ]);
    expect(captureReasons(DATA_LOOP_POLICY, { top, features: { brightness: 0.5 } }, inputs, never)).toEqual(
      [],
    );
    const unsure = { ...top, confidence: 0.6 };
    expect(
      captureReasons(DATA_LOOP_POLICY, { top: unsure, features: { brightness: 0.5 } }, inputs, () => 0.01),
    ).toEqual(['low_confidence', 'random']);
  });
});

describe('the demo’s tar files', () => {
  const files = [
    { path: 'manifest.json', bytes: new TextEncoder().encode('{}') },
    { path: 'samples/a.png', bytes: new Uint8Array(1000).fill(7) },
    { path: 'empty', bytes: new Uint8Array(0) },
  ];

  it('reads back what the writer wrote (through the fleet server’s reader)', async () => {
    const read = await readTar(writeTar(files));
    expect(read.map((f) => f.path)).toEqual(files.map((f) => f.path));
    for (const [i, f] of read.entries()) expect(Buffer.compare(f.bytes, files[i]!.bytes)).toBe(0);
  });

  it('refuses a truncated entry, a damaged header and an empty file', async () => {
    const tar = writeTar(files);
    await expect(readTar(tar.subarray(0, 1600))).rejects.toThrow(/truncated/);
    const damaged = Buffer.from(tar);
    damaged[3] = damaged[3]! ^ 0xff; // a byte of the first file name
    await expect(readTar(damaged)).rejects.toThrow(/checksum/);
    await expect(readTar(new Uint8Array(0))).rejects.toThrow(/empty archive/);
  });
});

describe('an exported dataset checked against its manifest', () => {
  const images = [new Uint8Array(300).fill(1), new Uint8Array(500).fill(2)];
  const samples = images.map((bytes, i) => ({
    sha256: sha256(bytes),
    contentType: 'image/png' as const,
    sizeBytes: bytes.byteLength,
    label: i === 0 ? '0' : '180',
    path: `samples/${sha256(bytes)}.png`,
  }));
  const dataset = {
    id: 'ds-1',
    name: 'line 2',
    filter: { model: 'cls' },
    labelledOnly: true,
    maxSamples: 10,
    sampleCount: 2,
    truncated: 0,
    totalBytes: 800,
    createdBy: 'admin:x',
    createdAt: 1,
    provenance: {
      devices: ['station-3'],
      apps: [],
      versions: [{ name: 'cls', version: '1.0.0' }],
      reasons: { out_of_range: 2 },
      labels: { '0': 1, '180': 1 },
      labelledBy: ['admin:x'],
      from: 1,
      to: 2,
    },
    trainedVersions: [],
  } satisfies Dataset;
  const manifest: DatasetManifest = { ...dataset, v: 1, exportedAt: 3, samples };
  const text = (s: string) => new TextEncoder().encode(s);
  const exported = (overrides: { path: string; bytes: Uint8Array }[] = []) => {
    const base = [
      { path: 'manifest.json', bytes: text(JSON.stringify(manifest)) },
      { path: 'labels.jsonl', bytes: text(samples.map((s) => `${JSON.stringify(s)}\n`).join('')) },
      ...samples.map((s, i) => ({ path: s.path, bytes: images[i]! })),
    ];
    return [...base.filter((f) => !overrides.some((o) => o.path === f.path)), ...overrides];
  };

  it('passes when every image is there with its sha256', async () => {
    const { problems, verified, manifest: read } = await problemsOfExport(writeTar(exported()), dataset);
    expect(problems).toEqual([]);
    expect(verified).toBe(2);
    expect(read?.samples.map((s) => s.label)).toEqual(['0', '180']);
  });

  it('names a changed image, a missing one, an extra file, other labels, another dataset, a bad manifest', async () => {
    const changed = new Uint8Array(images[0]!);
    changed[10] = 9;
    expect(
      (await problemsOfExport(writeTar(exported([{ path: samples[0]!.path, bytes: changed }])), dataset))
        .problems,
    ).toEqual([expect.stringMatching(/not the manifest's sha256/)]);
    const withoutOne = exported().filter((f) => f.path !== samples[1]!.path);
    expect((await problemsOfExport(writeTar(withoutOne), dataset)).problems).toEqual([
      expect.stringMatching(/in the manifest, not in the tar/),
    ]);
    expect(
      (await problemsOfExport(writeTar(exported([{ path: 'x.png', bytes: images[0]! }])), dataset)).problems,
    ).toEqual([expect.stringMatching(/x\.png: in the tar, not in the manifest/)]);
    const relabelled = samples.map((s) => `${JSON.stringify({ ...s, label: '0' })}\n`).join('');
    expect(
      (
        await problemsOfExport(
          writeTar(exported([{ path: 'labels.jsonl', bytes: text(relabelled) }])),
          dataset,
        )
      ).problems,
    ).toEqual([expect.stringMatching(/labels\.jsonl/)]);
    expect((await problemsOfExport(writeTar(exported()), { id: 'ds-2', sampleCount: 3 })).problems).toEqual([
      expect.stringMatching(/dataset ds-1, not ds-2/),
      expect.stringMatching(/lists 2 samples, the dataset has 3/),
    ]);
    expect(
      (
        await problemsOfExport(
          writeTar(exported([{ path: 'manifest.json', bytes: text('{"v":2}') }])),
          dataset,
        )
      ).problems,
    ).toEqual([expect.stringMatching(/^manifest\.json: /)]);
    expect((await problemsOfExport(writeTar([]), dataset)).problems).toEqual(['manifest.json is missing']);
  });
});

describe('line 2’s lamp', () => {
  const feeders = () => [0, 1].map(() => ({ scene: {} }) as Feeder);

  const deps = (overrides: Partial<DataLoopPhaseDeps>): DataLoopPhaseDeps & { said: string[] } => {
    const said: string[] = [];
    return {
      api: null as never,
      lights: new Line2Lights(feeders()),
      truth: new TruthLog(),
      dimAfter: { kind: 'canary' },
      canaryOver: async () => false,
      exportDir: '/nonexistent',
      dashboard: null,
      say: (l) => said.push(l),
      warn: (l) => said.push(l),
      stopping: () => false,
      save: () => {},
      pollMs: 5,
      said,
      ...overrides,
    };
  };

  it('dims and lights every line-2 generator together', () => {
    const line2 = feeders();
    const lights = new Line2Lights(line2);
    expect(lights.present).toBe(true);
    expect(lights.dark).toBe(false);
    lights.dark = true;
    expect(line2.map((f) => f.scene)).toEqual([DARK_SCENE, DARK_SCENE]);
    lights.dark = false;
    expect(line2.map((f) => f.scene)).toEqual([{}, {}]);
    expect(new Line2Lights([]).present).toBe(false);
  });

  it('fails once the canary is over, after S seconds, or only by key d when off; not after a stop', async () => {
    let over = false;
    const canary = deps({ canaryOver: async () => over });
    setTimeout(() => {
      over = true;
    }, 30);
    expect(await lamp2Failed(canary)).toBe(true);
    expect(canary.lights.dark).toBe(true);
    expect(canary.said).toEqual([expect.stringMatching(/^line 2: a lamp failed/)]);

    const timed = deps({ dimAfter: { kind: 'seconds', seconds: 0.05 } });
    const start = Date.now();
    expect(await lamp2Failed(timed)).toBe(true);
    expect(Date.now() - start).toBeGreaterThanOrEqual(45);

    // Off: never by itself; key d (the lights dimmed from outside) starts the loop, and says nothing more.
    const off = deps({ dimAfter: { kind: 'off' }, canaryOver: async () => true });
    setTimeout(() => {
      off.lights.dark = true;
    }, 30);
    expect(await lamp2Failed(off)).toBe(true);
    expect(off.said).toEqual([]);

    let stopping = false;
    const stopped = deps({ dimAfter: { kind: 'off' }, stopping: () => stopping });
    setTimeout(() => {
      stopping = true;
    }, 30);
    expect(await lamp2Failed(stopped)).toBe(false);
    expect(stopped.lights.dark).toBe(false);
  });

  it('is set by --dim-after, canary by default', () => {
    expect(parseDemoArgs([]).config.dimAfter).toEqual({ kind: 'canary' });
    expect(parseDemoArgs(['--dim-after', 'off']).config.dimAfter).toEqual({ kind: 'off' });
    expect(parseDemoArgs(['--dim-after', '0']).config.dimAfter).toEqual({ kind: 'seconds', seconds: 0 });
    expect(parseDemoArgs(['--dim-after', '90']).config.dimAfter).toEqual({ kind: 'seconds', seconds: 90 });
    for (const bad of ['soon', '-1', '', '1e9', 'NaN']) {
      expect(() => parseDemoArgs([`--dim-after=${bad}`])).toThrow(
        /--dim-after: expected canary, off or seconds/,
      );
    }
  });
});

describe('the data loop summary', () => {
  it('says where to look: the Samples page, the dataset and its export, the retrained version', () => {
    const loop = { dataset: 'ds-1', tar: '/d/datasets/ds-1.tar', version: '1.2.0' };
    expect(dataLoopSummary(loop, 'http://127.0.0.1:8080/')).toEqual([
      'data loop closed — where to look:',
      '  samples       http://127.0.0.1:8080/#/samples?model=cls&slice=line%3D2',
      '  dataset       http://127.0.0.1:8080/#/datasets/ds-1  (export: /d/datasets/ds-1.tar)',
      '  retrained     http://127.0.0.1:8080/#/models/cls?version=1.2.0  (lineage.trainedOn ds-1)',
    ]);
    // Without a dashboard: the API paths.
    expect(dataLoopSummary(loop, null)[1]).toBe(
      '  samples       GET /api/v1/samples?model=cls&slice=line%3D2',
    );
  });
});
