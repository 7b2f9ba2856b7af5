import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Dataset, type DatasetManifest, datasetManifestSchema } from '@edgefleet/shared/api';
import { type AdminApi, ApiError } from './api';
import { readTar } from './tar';

/** An exported dataset, checked file by file against its manifest. */
export interface CheckedExport {
  /** Where the tar was saved. */
  path: string;
  sizeBytes: number;
  manifest: DatasetManifest;
  /** Sample files whose sha256 and size are the manifest's. */
  verified: number;
}

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * What is wrong with an exported dataset tar, as sentences (empty: nothing): `manifest.json` must be the dataset's
 * (schema, id, sample count), `labels.jsonl` its sample list line by line, and every sample file in the tar with
 * the sha256 and size the manifest names — no file missing, none unnamed.
 */
export function problemsOfExport(
  files: readonly { path: string; bytes: Uint8Array }[],
  dataset: Pick<Dataset, 'id' | 'sampleCount'>,
): { problems: string[]; manifest: DatasetManifest | null; verified: number } {
  const problems: string[] = [];
  const byPath = new Map(files.map((f) => [f.path, f.bytes]));
  if (byPath.size !== files.length) problems.push('a path appears more than once');
  const manifestBytes = byPath.get('manifest.json');
  if (!manifestBytes) return { problems: [...problems, 'no manifest.json'], manifest: null, verified: 0 };
  let manifest: DatasetManifest;
  try {
    manifest = datasetManifestSchema.parse(JSON.parse(Buffer.from(manifestBytes).toString('utf8')));
  } catch (error) {
    return {
      problems: [...problems, `manifest.json: ${(error as Error).message}`],
      manifest: null,
      verified: 0,
    };
  }
  if (manifest.id !== dataset.id) problems.push(`manifest.json is dataset ${manifest.id}, not ${dataset.id}`);
  if (manifest.samples.length !== dataset.sampleCount) {
    problems.push(
      `manifest.json lists ${manifest.samples.length} samples, the dataset has ${dataset.sampleCount}`,
    );
  }
  const lines = Buffer.from(byPath.get('labels.jsonl') ?? new Uint8Array())
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const expected = manifest.samples.map((s) => JSON.stringify(s));
  const same = lines.length === expected.length && lines.every((l, i) => sameJson(l, expected[i]!));
  if (!same) problems.push('labels.jsonl is not the manifest’s sample list');
  let verified = 0;
  for (const sample of manifest.samples) {
    const bytes = byPath.get(sample.path);
    if (!bytes) problems.push(`${sample.path}: in the manifest, not in the tar`);
    else if (bytes.byteLength !== sample.sizeBytes || sha256Of(bytes) !== sample.sha256) {
      problems.push(`${sample.path}: its bytes are not the manifest's sha256 ${sample.sha256.slice(0, 12)}…`);
    } else verified++;
  }
  const named = new Set(['manifest.json', 'labels.jsonl', ...manifest.samples.map((s) => s.path)]);
  for (const path of byPath.keys())
    if (!named.has(path)) problems.push(`${path}: in the tar, not in the manifest`);
  return { problems, manifest, verified };
}

function sameJson(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}

/**
 * Exports a dataset (`GET /api/v1/datasets/{id}/export`), checks it ({@link problemsOfExport}) and saves it as
 * `<dir>/<id>.tar`; throws, saying what is wrong, when the export fails or does not match its manifest.
 */
export async function exportDataset(api: AdminApi, dataset: Dataset, dir: string): Promise<CheckedExport> {
  const res = await api.send('GET /api/v1/datasets/{id}/export', { params: { id: dataset.id } });
  if (!res.ok) {
    const text = (await res.text()).slice(0, 300);
    throw new ApiError(res.status, 'export_failed', `exporting dataset ${dataset.id}: ${res.status} ${text}`);
  }
  const tar = new Uint8Array(await res.arrayBuffer());
  const { problems, manifest, verified } = problemsOfExport(readTar(tar), dataset);
  if (problems.length > 0 || !manifest) {
    throw new Error(
      `the export of dataset ${dataset.id} does not match its manifest: ${problems.join('; ')}`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${dataset.id}.tar`);
  writeFileSync(`${path}.part`, tar);
  renameSync(`${path}.part`, path);
  return { path, sizeBytes: tar.byteLength, manifest, verified };
}
