import { existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLS_MODEL_PATH, clsBaseline, startTestServer, type TestServer } from '../testing/harness';
import { asBody, CLS_PREPROCESSING, makeClsGolden, textLineImage, writeTar } from '../testing/reference';
import { collectArtifactGarbage } from './gc';

const HOUR = 3_600_000;
let t: TestServer;

const upload = async (bytes: Uint8Array | string, kind: string) => {
  const res = await t.call(`/api/v1/artifacts?kind=${kind}`, { method: 'POST', body: asBody(bytes) });
  expect(res.status).toBeLessThan(300);
  return (await res.json()) as { sha256: string; sizeBytes: number };
};
const fileOf = (sha256: string) => join(t.dataDir, 'artifacts', 'sha256', sha256.slice(0, 2), sha256);
const gc = (graceMs: number) => collectArtifactGarbage(t.server.context, graceMs);

beforeAll(async () => {
  t = await startTestServer({ artifactGcIntervalMs: 0 });
});
afterAll(() => t.dispose());

describe('artifact garbage collection', () => {
  it('removes what no version references once the grace period is over, and keeps the rest', async () => {
    const modelBytes = readFileSync(CLS_MODEL_PATH);
    const model = await upload(modelBytes, 'model');
    const golden = await upload(JSON.stringify(await makeClsGolden(3)), 'golden');
    const images = await Promise.all(Array.from({ length: 8 }, (_, i) => textLineImage(i)));
    const reference = await upload(
      writeTar(images.map((bytes, i) => ({ path: `${i}.png`, bytes }))),
      'reference',
    );
    for (const [version, baseline] of [
      ['1.0.0', clsBaseline()],
      ['1.1.0', { fromReference: { sha256: reference.sha256 } }],
    ] as const) {
      const res = await t.call('/api/v1/models/cls/versions', {
        method: 'POST',
        json: {
          name: 'cls',
          version,
          sha256: model.sha256,
          sizeBytes: model.sizeBytes,
          preprocessing: CLS_PREPROCESSING,
          baseline,
          ...(version === '1.0.0' ? { golden: { sha256: golden.sha256 } } : {}),
          lineage: { createdBy: 'gc test' },
        },
      });
      expect(res.status, await res.clone().text()).toBe(201);
    }
    // Orphans: a golden pair and a reference set never used by a version, and a stray file with no row.
    const orphanGolden = await upload(JSON.stringify(await makeClsGolden(4)), 'golden');
    const orphanReference = await upload(writeTar([{ path: 'x.png', bytes: images[0]! }]), 'reference');
    const stray = join(t.dataDir, 'artifacts', 'sha256', 'ff', 'f'.repeat(64));
    mkdirSync(join(stray, '..'), { recursive: true });
    writeFileSync(stray, 'left by a crash');
    const old = new Date(t.clock.nowMs - 2 * HOUR);
    utimesSync(stray, old, old);

    // Inside the grace period nothing goes, not even the stray file.
    expect(await gc(24 * HOUR)).toEqual({ artifacts: 0, strayFiles: 0, bytes: 0 });

    t.clock.nowMs += 2 * HOUR;
    const result = await gc(HOUR);
    expect(result.artifacts).toBe(2);
    expect(result.strayFiles).toBe(1);
    expect(result.bytes).toBe(orphanGolden.sizeBytes + orphanReference.sizeBytes + 'left by a crash'.length);
    for (const gone of [orphanGolden, orphanReference]) {
      expect(existsSync(fileOf(gone.sha256))).toBe(false);
      expect((await t.call(`/api/v1/artifacts/${gone.sha256}/meta`)).status).toBe(404);
    }
    expect(existsSync(stray)).toBe(false);
    for (const kept of [model, golden, reference]) {
      expect(existsSync(fileOf(kept.sha256))).toBe(true);
      expect((await t.call(`/api/v1/artifacts/${kept.sha256}/meta`)).status).toBe(200);
    }
    // A second pass finds nothing more; the versions still download their model.
    expect(await gc(HOUR)).toEqual({ artifacts: 0, strayFiles: 0, bytes: 0 });
    const download = await t.call(`/api/v1/artifacts/${model.sha256}`);
    expect(Buffer.from(await download.arrayBuffer()).equals(modelBytes)).toBe(true);
  });

  it('restarts the grace period when the same bytes are uploaded again', async () => {
    const bytes = JSON.stringify(await makeClsGolden(9));
    const first = await upload(bytes, 'golden');
    t.clock.nowMs += 3 * HOUR;
    const again = await upload(bytes, 'golden');
    expect(again.sha256).toBe(first.sha256);
    expect(Math.abs(statSync(fileOf(first.sha256)).mtimeMs - t.clock.nowMs)).toBeLessThan(1000);
    expect((await gc(HOUR)).artifacts).toBe(0);
    t.clock.nowMs += 2 * HOUR;
    expect((await gc(HOUR)).artifacts).toBe(1);
    expect(existsSync(fileOf(first.sha256))).toBe(false);
  });

  it('removes a stray file with a name that is no digest too, once it is older than the grace period', async () => {
    const odd = join(t.dataDir, 'artifacts', 'sha256', 'zz', 'not-a-digest');
    mkdirSync(join(odd, '..'), { recursive: true });
    writeFileSync(odd, 'x');
    const young = new Date(t.clock.nowMs);
    utimesSync(odd, young, young);
    expect((await gc(HOUR)).strayFiles).toBe(0);
    t.clock.nowMs += 2 * HOUR;
    expect((await gc(HOUR)).strayFiles).toBe(1);
    expect(existsSync(odd)).toBe(false);
  });
});
