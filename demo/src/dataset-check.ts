import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bufferSource, verifyDatasetArchive } from '@edgefleet/fleet-server';
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

/**
 * What is wrong with an exported dataset tar, as sentences (empty: nothing). The fleet server's own check
 * (`edgefleet dataset verify`: every manifest sample's file with its sha256 and size, no unnamed file,
 * `labels.jsonl` the manifest's sample list, counts that add up), plus: the manifest is this dataset's.
 */
export async function problemsOfExport(
  tar: Uint8Array,
  dataset: Pick<Dataset, 'id' | 'sampleCount'>,
): Promise<{ problems: string[]; manifest: DatasetManifest | null; verified: number }> {
  const report = await verifyDatasetArchive(bufferSource(tar));
  // No readable manifest: every file is "extra"; the manifest's problem says it all.
  if (!report.dataset) return { problems: report.problems, manifest: null, verified: 0 };
  const problems = [
    ...report.problems,
    ...report.missing.map((path) => `${path}: in the manifest, not in the tar`),
    ...report.extra.map((path) => `${path}: in the tar, not in the manifest`),
    ...report.mismatched.map(
      (m) => `${m.path}: its bytes are not the manifest's sha256 ${m.expectedSha256.slice(0, 12)}…`,
    ),
  ];
  if (report.dataset.id !== dataset.id)
    problems.push(`manifest.json is dataset ${report.dataset.id}, not ${dataset.id}`);
  if (report.dataset.sampleCount !== dataset.sampleCount) {
    problems.push(
      `manifest.json lists ${report.dataset.sampleCount} samples, the dataset has ${dataset.sampleCount}`,
    );
  }
  const manifestFile = (await readTar(tar)).find((f) => f.path === 'manifest.json')!;
  const manifest = datasetManifestSchema.parse(JSON.parse(Buffer.from(manifestFile.bytes).toString('utf8')));
  return { problems, manifest, verified: report.verified };
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
  const { problems, manifest, verified } = await problemsOfExport(tar, dataset);
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
