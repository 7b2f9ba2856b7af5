// Setting up the fleet the scenario runs on: model versions with a reference-set baseline, the dashboard build,
// and rollout salts that place chosen targets in a stage.
import { readFileSync } from 'node:fs';
import { bucketOf, stageThreshold } from '@edgefleet/shared';
import { inspectionImage } from '../../demo/src/images';
import { shiftConstant } from '../../demo/src/onnx-patch';
import { CLS_MODEL_PATH, CLS_PREPROCESSING } from '../../fleet-server/src/testing/harness';
import { writeTar } from '../../fleet-server/src/testing/reference';
import type { FleetProcess } from './fleet-process';

/**
 * Registers versions of the real PaddleOCR cls model (same network; lineage and description differ; `model`
 * replaces the published bytes, e.g. a patched worse copy), each with the baseline the server computes from
 * `referenceImages` generated text-line images (uploaded as a tar).
 */
export async function registerClsVersions(
  fleet: FleetProcess,
  versions: readonly { version: string; params: Record<string, unknown>; model?: Uint8Array }[],
  referenceImages = 48,
): Promise<void> {
  const upload = (bytes: Uint8Array, kind: 'model' | 'reference') =>
    fleet.api<{ sha256: string; sizeBytes: number }>(`/api/v1/artifacts?kind=${kind}`, {
      method: 'POST',
      body: new Uint8Array(bytes),
    });
  const images = await Promise.all(Array.from({ length: referenceImages }, (_, i) => inspectionImage(i)));
  const tar = writeTar(
    images.map((bytes, i) => ({ path: `reference/line-${String(i).padStart(3, '0')}.png`, bytes })),
  );
  const [model, reference] = await Promise.all([
    upload(readFileSync(CLS_MODEL_PATH), 'model'),
    upload(tar, 'reference'),
  ]);
  for (const { version, params, model: bytes } of versions) {
    const artifact = bytes ? await upload(bytes, 'model') : model;
    await fleet.api('/api/v1/models/cls/versions', {
      method: 'POST',
      json: {
        name: 'cls',
        version,
        sha256: artifact.sha256,
        sizeBytes: artifact.sizeBytes,
        preprocessing: CLS_PREPROCESSING,
        baseline: { fromReference: { sha256: reference.sha256, classes: ['0', '180'] } },
        lineage: { createdBy: 'lifecycle test', params },
        description: `PaddleOCR text direction classifier ${version}`,
      },
    });
  }
}

/**
 * The real cls model with its output bias moved by `shift` toward "upright" (`fc_0.b_0` + [shift, −shift]): the
 * same network on the same inputs, answering upside-down lines wrong more often (test/demo/labels.test.ts).
 */
export const worseClsModel = (shift: number): Uint8Array =>
  shiftConstant(readFileSync(CLS_MODEL_PATH), 'fc_0.b_0', [shift, -shift]);

/** A rollout salt for which exactly `inside` of `ids` are in a stage of `percent` (bucketing is deterministic). */
export function saltPlacing(
  ids: readonly string[],
  inside: readonly string[],
  percent: number,
  prefix: string,
): string {
  const threshold = stageThreshold(percent);
  for (let i = 0; i < 100_000; i++) {
    const salt = `${prefix}-${i}`;
    if (ids.every((id) => bucketOf(id, salt) < threshold === inside.includes(id))) return salt;
  }
  throw new Error(`no salt of the form ${prefix}-N places exactly ${inside.join(', ')} in ${percent}%`);
}
