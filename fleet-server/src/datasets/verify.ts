import { createHash } from 'node:crypto';
import { type DatasetManifest, datasetManifestSchema, datasetSampleSchema } from '@edgefleet/shared/api';
import { z } from 'zod';
import { FleetError } from '../errors';
import { type ByteSource, readTarEntries } from '../tar/reader';
import { LABELS_PATH, MANIFEST_PATH } from './export';

/** What `edgefleet dataset verify` found in an exported tar; `ok` only when nothing at all is wrong. */
export interface DatasetVerifyReport {
  ok: boolean;
  dataset: { id: string; name: string; sampleCount: number } | null;
  /** Samples whose file is there with the manifest's size and sha256. */
  verified: number;
  /** Manifest samples with no file in the tar. */
  missing: string[];
  /** Files in the tar that the manifest does not name. */
  extra: string[];
  /** Files whose size or sha256 differs from the manifest. */
  mismatched: {
    path: string;
    expectedSha256: string;
    sha256: string;
    expectedBytes: number;
    sizeBytes: number;
  }[];
  /** Anything else: an unreadable archive, a bad manifest, labels.jsonl not matching it, counts that disagree. */
  problems: string[];
}

/** Largest metadata file read (manifest.json of 100,000 samples is ~25 MB). */
const MAX_ENTRY_BYTES = 512 * 1024 * 1024;
const labelLineSchema = datasetSampleSchema.extend({ path: z.string() });

/**
 * Checks an exported dataset offline: every manifest sample's file is in the archive with its sha256 and size,
 * no file is unnamed, `labels.jsonl` is the manifest's sample list line by line, and the counts add up.
 */
export async function verifyDatasetArchive(source: ByteSource): Promise<DatasetVerifyReport> {
  const report: DatasetVerifyReport = {
    ok: false,
    dataset: null,
    verified: 0,
    missing: [],
    extra: [],
    mismatched: [],
    problems: [],
  };
  const files = new Map<string, { sha256: string; sizeBytes: number }>();
  let manifestBytes: Uint8Array | null = null;
  let labelsBytes: Uint8Array | null = null;
  try {
    const limits = { maxEntries: 200_000, maxEntryBytes: MAX_ENTRY_BYTES, archive: 'dataset' };
    for await (const entry of readTarEntries(source, limits)) {
      const bytes = await entry.read();
      if (
        files.has(entry.path) ||
        (entry.path === MANIFEST_PATH && manifestBytes) ||
        (entry.path === LABELS_PATH && labelsBytes)
      )
        report.problems.push(`${entry.path} appears more than once`);
      if (entry.path === MANIFEST_PATH) manifestBytes = bytes;
      else if (entry.path === LABELS_PATH) labelsBytes = bytes;
      else
        files.set(entry.path, {
          sha256: createHash('sha256').update(bytes).digest('hex'),
          sizeBytes: bytes.byteLength,
        });
    }
  } catch (error) {
    if (!(error instanceof FleetError)) throw error;
    report.problems.push(`not a readable tar: ${error.message}`);
    return report;
  }
  const manifest = parseManifest(manifestBytes, report);
  if (!manifest) {
    report.extra = [...files.keys()];
    return report;
  }
  report.dataset = { id: manifest.id, name: manifest.name, sampleCount: manifest.sampleCount };
  let totalBytes = 0;
  const named = new Set<string>();
  for (const sample of manifest.samples) {
    totalBytes += sample.sizeBytes;
    named.add(sample.path);
    const file = files.get(sample.path);
    if (!file) report.missing.push(sample.path);
    else if (file.sha256 !== sample.sha256 || file.sizeBytes !== sample.sizeBytes)
      report.mismatched.push({
        path: sample.path,
        expectedSha256: sample.sha256,
        sha256: file.sha256,
        expectedBytes: sample.sizeBytes,
        sizeBytes: file.sizeBytes,
      });
    else report.verified++;
  }
  report.extra = [...files.keys()].filter((path) => !named.has(path));
  if (manifest.sampleCount !== manifest.samples.length)
    report.problems.push(`manifest says ${manifest.sampleCount} samples, lists ${manifest.samples.length}`);
  if (manifest.totalBytes !== totalBytes)
    report.problems.push(`manifest says ${manifest.totalBytes} bytes, its samples add up to ${totalBytes}`);
  checkLabels(labelsBytes, manifest, report);
  report.ok =
    report.missing.length === 0 &&
    report.extra.length === 0 &&
    report.mismatched.length === 0 &&
    report.problems.length === 0;
  return report;
}

function parseManifest(bytes: Uint8Array | null, report: DatasetVerifyReport): DatasetManifest | null {
  if (!bytes) {
    report.problems.push(`${MANIFEST_PATH} is missing`);
    return null;
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    report.problems.push(`${MANIFEST_PATH} is not JSON: ${(error as Error).message}`);
    return null;
  }
  const parsed = datasetManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    report.problems.push(`${MANIFEST_PATH}: ${issue.path.join('.') || 'manifest'}: ${issue.message}`);
    return null;
  }
  return parsed.data;
}

/** labels.jsonl must be the manifest's samples, in order, one JSON line each. */
function checkLabels(bytes: Uint8Array | null, manifest: DatasetManifest, report: DatasetVerifyReport): void {
  if (!bytes) {
    report.problems.push(`${LABELS_PATH} is missing`);
    return;
  }
  const lines = Buffer.from(bytes).toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length !== manifest.samples.length)
    report.problems.push(
      `${LABELS_PATH} has ${lines.length} lines, the manifest ${manifest.samples.length} samples`,
    );
  const wrong: number[] = [];
  for (const [i, line] of lines.entries()) {
    let parsed: ReturnType<typeof labelLineSchema.safeParse> | null = null;
    try {
      parsed = labelLineSchema.safeParse(JSON.parse(line));
    } catch {}
    const expected = manifest.samples[i];
    const same =
      parsed?.success &&
      expected !== undefined &&
      parsed.data.path === expected.path &&
      parsed.data.sha256 === expected.sha256 &&
      parsed.data.sizeBytes === expected.sizeBytes &&
      parsed.data.contentType === expected.contentType &&
      parsed.data.label === expected.label;
    if (!same) wrong.push(i + 1);
  }
  if (wrong.length > 0)
    report.problems.push(
      `${LABELS_PATH}: line${wrong.length > 1 ? 's' : ''} ${wrong.slice(0, 10).join(', ')}${wrong.length > 10 ? ` and ${wrong.length - 10} more` : ''} do${wrong.length > 1 ? '' : 'es'} not match the manifest`,
    );
}
