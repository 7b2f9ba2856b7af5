import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Dataset, DatasetCreate } from '@edgefleet/shared/api';
import { CliApi } from './api';
import { COMMON_FLAGS_HELP, noArguments, onePositional, parseFlags, parsePositiveInt } from './flags';
import { CliError, type CliIo, EXIT, UsageError } from './io';
import { bytes, keyValues, printable, printJson, table, when } from './output';
import { SAMPLE_FILTER_OPTIONS, sampleFilterOf } from './sample-filter';
import { resolveTarget } from './settings';

// `edgefleet dataset …`: immutable snapshots of labelled samples, their tar export and its offline check.

export const DATASET_USAGE = `Usage: edgefleet dataset <command> [flags]

Commands:
  create  --name NAME [--model M] [--version V] [--reason R] [--predicted C] [--label C] [--device ID]
          [--app ID] [--slice 'line=2'] [--since 7d | --from T] [--to T] [--all] [--max-samples N]
          snapshot the samples matching the filter now (labelled ones only, unless --all), newest first
  list    every dataset: samples, who made it, the model versions trained on it
  show    ID    filter, provenance (devices, versions, reasons, labels, who labelled) and trained versions
  export  ID -o FILE.tar    download the dataset: manifest.json, labels.jsonl, samples/<sha256>.<ext>
  verify  FILE.tar    offline: every sample's sha256 and size against the manifest, missing and extra files;
          exits 1 on any problem

--from / --to: ISO 8601 time or epoch ms (capture time, to exclusive); --since 7d: from 7 days ago. --reason: low_confidence, low_margin,
out_of_range, disagreement, random. --max-samples: default 10000.
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

const OPTIONS = {
  ...SAMPLE_FILTER_OPTIONS,
  name: { type: 'string' },
  all: { type: 'boolean' },
  'max-samples': { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

const versionsText = (versions: Dataset['trainedVersions']) =>
  versions.length === 0 ? '-' : versions.map((v) => `${v.name}@${v.version}`).join(', ');
const countsText = (counts: Record<string, number | undefined>) =>
  Object.entries(counts)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ') || '-';

function datasetText(d: Dataset): string {
  const p = d.provenance;
  return keyValues([
    ['id', d.id],
    ['name', d.name],
    ['filter', JSON.stringify(d.filter)],
    [
      'samples',
      `${d.sampleCount} (${bytes(d.totalBytes)})${d.truncated ? `, ${d.truncated} more left out by --max-samples ${d.maxSamples}` : ''}`,
    ],
    ['labelled only', d.labelledOnly ? 'yes' : 'no'],
    ['created', `${when(d.createdAt)} by ${d.createdBy}`],
    ['captured', `${when(p.from)} … ${when(p.to)}`],
    ['devices', p.devices.join(', ') || '-'],
    ['apps', p.apps.join(', ') || '-'],
    ['versions', versionsText(p.versions)],
    ['reasons', countsText(p.reasons)],
    ['labels', countsText(p.labels)],
    ['labelled by', p.labelledBy.join(', ') || '-'],
    ['trained', versionsText(d.trainedVersions)],
  ]);
}

/** `edgefleet dataset <command>`. */
export async function datasetCommand(command: string, argv: readonly string[], env: Env, io: CliIo) {
  const { values, positionals } = parseFlags(argv, OPTIONS, DATASET_USAGE);
  if (command === 'verify')
    return verify(
      onePositional(positionals, 'the exported FILE.tar', DATASET_USAGE),
      values.json === true,
      io,
    );
  if (command === 'create') {
    noArguments(positionals, DATASET_USAGE);
    if (!values.name) throw new UsageError('create: --name is required', DATASET_USAGE);
    const body: DatasetCreate = {
      name: values.name,
      filter: sampleFilterOf(values, Date.now()),
      labelledOnly: values.all !== true,
      ...(values['max-samples'] !== undefined
        ? { maxSamples: parsePositiveInt(values['max-samples'], '--max-samples') }
        : {}),
    };
    const api = new CliApi(await resolveTarget(values, env), io);
    const dataset = await api.call('POST /api/v1/datasets', { body });
    if (values.json) return printJson(io, dataset);
    io.out(`Created ${dataset.id}: ${dataset.sampleCount} samples (${bytes(dataset.totalBytes)})\n`);
    if (dataset.truncated > 0)
      io.out(`  ${dataset.truncated} more matching samples left out (--max-samples ${dataset.maxSamples})\n`);
    return;
  }
  if (command === 'list') {
    noArguments(positionals, DATASET_USAGE);
    const api = new CliApi(await resolveTarget(values, env), io);
    const { datasets } = await api.call('GET /api/v1/datasets', {});
    if (values.json) return printJson(io, datasets);
    if (datasets.length === 0) return io.out('no datasets (edgefleet dataset create --name …)\n');
    io.out(
      table(
        ['ID', 'NAME', 'SAMPLES', 'BYTES', 'CREATED', 'BY', 'TRAINED'],
        datasets.map((d) => [
          d.id,
          d.name,
          d.sampleCount,
          bytes(d.totalBytes),
          when(d.createdAt),
          d.createdBy,
          versionsText(d.trainedVersions),
        ]),
      ),
    );
    return;
  }
  if (command === 'show') {
    const id = onePositional(positionals, 'a dataset id', DATASET_USAGE);
    const api = new CliApi(await resolveTarget(values, env), io);
    const dataset = await api.call('GET /api/v1/datasets/{id}', { params: { id } });
    if (values.json) return printJson(io, dataset);
    io.out(datasetText(dataset));
    return;
  }
  if (command === 'export') {
    const id = onePositional(positionals, 'a dataset id', DATASET_USAGE);
    if (!values.output) throw new UsageError('export: -o FILE.tar is required', DATASET_USAGE);
    const api = new CliApi(await resolveTarget(values, env), io);
    const written = await download(api, id, values.output);
    if (values.json) return printJson(io, { id, file: values.output, sizeBytes: written });
    io.out(
      `Exported ${id} to ${printable(values.output)} (${bytes(written)}); check it with: edgefleet dataset verify ${printable(values.output)}\n`,
    );
    return;
  }
  throw new UsageError(`unknown command '${command}'`, DATASET_USAGE);
}

/**
 * Streams the export into `FILE.part` and renames it to `file` only when every byte of the announced
 * Content-Length arrived: an export the server aborted leaves no file that looks complete.
 */
async function download(api: CliApi, id: string, file: string): Promise<number> {
  const res = await api.download('GET /api/v1/datasets/{id}/export', { params: { id } });
  const expected = Number(res.headers.get('content-length') ?? Number.NaN);
  const part = `${file}.part`;
  let received = 0;
  const count = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.byteLength;
      done(null, chunk);
    },
  });
  try {
    if (!res.body) throw new Error('empty answer');
    await pipeline(
      Readable.fromWeb(res.body as never),
      count,
      createWriteStream(part, { flags: 'w', mode: 0o644 }),
    );
    if (Number.isFinite(expected) && received !== expected)
      throw new Error(`got ${received} of ${expected} bytes`);
  } catch (error) {
    await rm(part, { force: true });
    if (error instanceof CliError) throw error;
    throw new CliError(
      `export of ${id} failed after ${received} bytes: ${(error as Error).message}; no file was written (the server logs why)`,
      EXIT.serverError,
    );
  }
  await rename(part, file).catch((error: Error) => {
    throw new CliError(`cannot write ${file}: ${error.message}`, EXIT.usage);
  });
  return received;
}

async function verify(file: string, json: boolean, io: CliIo): Promise<void> {
  const { fileSource } = await import('../models/reference/sources');
  const { verifyDatasetArchive } = await import('../datasets/verify');
  const source = await fileSource(file).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  let report: Awaited<ReturnType<typeof verifyDatasetArchive>>;
  try {
    report = await verifyDatasetArchive(source);
  } finally {
    await source.close();
  }
  if (json) printJson(io, report);
  else {
    const name = report.dataset ? `${report.dataset.id} '${report.dataset.name}'` : file;
    if (report.ok)
      io.out(`OK ${printable(name)}: ${report.verified} samples, every sha256 matches the manifest\n`);
    else {
      const lines = [
        ...report.problems.map((p) => `problem   ${p}`),
        ...report.missing.map((p) => `missing   ${p}`),
        ...report.extra.map((p) => `extra     ${p}`),
        ...report.mismatched.map(
          (m) =>
            `mismatch  ${m.path}: sha256 ${m.sha256} (${m.sizeBytes} B), manifest ${m.expectedSha256} (${m.expectedBytes} B)`,
        ),
      ];
      io.out(`${lines.map(printable).join('\n')}\n`);
    }
  }
  if (!report.ok) {
    throw new CliError(
      `${file}: ${report.missing.length} missing, ${report.extra.length} extra, ${report.mismatched.length} mismatched files, ${report.problems.length} other problems (${report.verified} samples verified)`,
      EXIT.refused,
    );
  }
}
