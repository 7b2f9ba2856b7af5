import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import {
  canonicalJson,
  MAX_GOLDEN_BYTES,
  type PreprocessingSpec,
  type ProfileJSON,
  type ProfileSpec,
  preprocessingSpecSchema,
} from '@edgefleet/shared';
import type { Artifact, ModelVersionView, TensorSignature, VersionCreateInput } from '@edgefleet/shared/api';
import { CliApi } from './api';
import {
  COMMON_FLAGS_HELP,
  onePositional,
  parseFlags,
  parseModelRef,
  parsePositiveInt,
  readJsonArg,
  readLocalText,
} from './flags';
import { CliError, type CliIo, EXIT, UsageError } from './io';
import { readLineage } from './lineage';
import { bytes, keyValues, printJson } from './output';
import { countingStream, createProgress, type ProgressMode } from './progress';
import { resolveTarget } from './settings';

// `edgefleet model push`: upload the ONNX file (streamed, with progress), compute the baseline locally with
// the server's own reference code (shared preprocessing, features and profiles), upload the golden pair,
// and register the version.

/** Flags of `model push`. */
export const PUSH_OPTIONS = {
  name: { type: 'string' },
  version: { type: 'string' },
  preprocessing: { type: 'string' },
  lineage: { type: 'string' },
  'lineage-kv': { type: 'string', multiple: true },
  'trained-on': { type: 'string' },
  baseline: { type: 'string' },
  bins: { type: 'string' },
  classes: { type: 'string' },
  golden: { type: 'string' },
  description: { type: 'string' },
} as const;

type BaselineSource =
  | { kind: 'reference'; path: string }
  | { kind: 'json'; baseline: { spec: ProfileSpec; profile: ProfileJSON } };
interface BaselineSummary {
  samples?: number;
  files?: number;
  skipped?: string[];
}

const REFERENCE_FILE = /\.(png|jpe?g|npy|json)$/i;

/** A regular, non-empty local file; anything else is a usage error naming the flag. */
async function localFile(path: string, what: string): Promise<number> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`${what}: ${path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  if (!info.isFile()) throw new UsageError(`${what}: ${path} is not a file`);
  if (info.size === 0) throw new UsageError(`${what}: ${path} is empty`);
  return info.size;
}

/** Checks `--baseline` before anything is uploaded: a folder with reference files, a .tar, or a baseline .json. */
async function baselineSource(path: string): Promise<BaselineSource> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(
      `--baseline: ${path}: ${error.code === 'ENOENT' ? 'no such file or directory' : error.message}`,
    );
  });
  if (info.isDirectory()) {
    const entries = await readdir(path, { recursive: true, withFileTypes: true }).catch((error: Error) => {
      throw new UsageError(`--baseline: cannot read directory ${path}: ${error.message}`);
    });
    const usable = entries.filter(
      (e) => e.isFile() && !e.name.startsWith('.') && REFERENCE_FILE.test(e.name),
    );
    if (usable.length === 0) {
      throw new UsageError(`--baseline: ${path} holds no reference files (.png, .jpg, .jpeg, .npy, .json)`);
    }
    return { kind: 'reference', path };
  }
  if (!info.isFile()) throw new UsageError(`--baseline: ${path} is neither a directory nor a file`);
  if (path.toLowerCase().endsWith('.tar')) return { kind: 'reference', path };
  if (path.toLowerCase().endsWith('.json')) {
    const baseline = await readJsonArg(`@${path}`, '--baseline');
    if (
      typeof baseline !== 'object' ||
      baseline === null ||
      !('spec' in baseline) ||
      !('profile' in baseline)
    ) {
      throw new UsageError(`--baseline: ${path}: expected a baseline { "spec": …, "profile": … }`);
    }
    // Checked here with the server's own validation, before a large model is uploaded for nothing.
    const [{ validateBaseline }, { FleetError }] = await Promise.all([
      import('../models/baseline'),
      import('../errors'),
    ]);
    try {
      const valid = validateBaseline(baseline as { spec: unknown; profile: unknown });
      return { kind: 'json', baseline: { spec: valid.spec, profile: valid.profile } };
    } catch (error) {
      if (error instanceof FleetError) throw new UsageError(`--baseline ${path}: ${error.message}`);
      throw error;
    }
  }
  throw new UsageError(
    `--baseline: expected a directory, a .tar of reference files or a baseline .json, got ${path}`,
  );
}

/** Streams a file to POST /artifacts with progress on stderr. */
async function uploadArtifact(
  api: CliApi,
  io: CliIo,
  path: string,
  sizeBytes: number,
  kind: 'model' | 'golden',
  mode: ProgressMode,
): Promise<Artifact> {
  const progress = createProgress(io, mode, basename(path), sizeBytes);
  const source = createReadStream(path);
  const file = Readable.toWeb(source) as ReadableStream<Uint8Array>;
  try {
    return await api.call('POST /api/v1/artifacts', {
      query: { kind },
      rawBody: file.pipeThrough(countingStream(progress)),
      contentLength: sizeBytes,
    });
  } finally {
    progress.finish();
    source.destroy(); // the server may answer (e.g. 413) before it read everything
  }
}

/** Equal-mass bins per feature: 1 … 20, as the server allows. */
function binsOf(text: string): number {
  const bins = parsePositiveInt(text, '--bins');
  if (bins > 20) throw new UsageError(`--bins: at most 20, got ${bins}`);
  return bins;
}

/** Runs the reference set through the model on this machine with the server's reference code. */
async function computeBaseline(
  modelPath: string,
  preprocessing: PreprocessingSpec,
  reference: string,
  options: { bins?: number; classes?: string[] },
) {
  const { baselineFromLocalReference } = await import('../models/reference/local');
  const { FleetError } = await import('../errors');
  try {
    return await baselineFromLocalReference({ modelPath, preprocessing, reference, options });
  } catch (error) {
    if (error instanceof FleetError) throw new UsageError(`--baseline ${reference}: ${error.message}`);
    const code = (error as NodeJS.ErrnoException).code;
    if (code) throw new UsageError(`--baseline ${reference}: ${(error as Error).message}`);
    throw error;
  }
}

/**
 * Registers the version; a lost answer (the connection closed under the request) or a busy server (503) is
 * retried. Registration is idempotent by content: a retry that meets 409 reads the version, and when it is ours
 * (same sha256 and baseline) the first attempt went through and that is success.
 */
async function registerVersion(
  client: CliApi,
  io: CliIo,
  body: VersionCreateInput & { baseline: { spec: ProfileSpec; profile: ProfileJSON } },
): Promise<ModelVersionView> {
  let retried = false;
  const attempts = 5;
  try {
    return await client.callRetrying(
      'POST /api/v1/models/{name}/versions',
      { params: { name: body.name }, body },
      {
        attempts,
        onRetry: (attempt, reason, waitS) => {
          retried = true;
          io.err(
            `register ${body.name}@${body.version}: ${reason}; trying again in ${waitS} s (${attempt}/${attempts - 1})\n`,
          );
        },
      },
    );
  } catch (error) {
    if (!retried || !(error instanceof CliError) || error.exitCode !== EXIT.conflict) throw error;
    const params = { name: body.name, version: body.version };
    const existing = await client.call('GET /api/v1/models/{name}/versions/{version}', { params });
    const baselineSha256 = createHash('sha256').update(canonicalJson(body.baseline.profile)).digest('hex');
    if (existing.sha256 === body.sha256 && existing.baselineSha256 === baselineSha256) return existing;
    throw error;
  }
}

export const PUSH_USAGE = `Usage: edgefleet model push FILE.onnx --name NAME --version VERSION --preprocessing JSON|@file
         --baseline DIR|FILE.tar|BASELINE.json [--bins N] [--classes a,b,…]
         [--lineage JSON|@file | --lineage-kv KEY=VALUE ...] [--trained-on DATASET_ID]
         [--golden FILE] [--description TEXT]

--baseline DIR runs the reference images (.png, .jpg) or tensors (.npy, .json) through the model on this
machine, with the same preprocessing, feature and profile code as the server and the clients.
--lineage-kv keys: createdBy (default: your user name), createdAt, trainingDataSha256, codeRevision, notes,
  parent=NAME@VERSION, params.NAME=VALUE, metrics.NAME=NUMBER
--trained-on: the dataset (edgefleet dataset list) this version was trained on; the server refuses an unknown
  one, and the dataset lists the version among those trained on it.
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

/** `edgefleet model push FILE.onnx --name … --version … --preprocessing … --baseline …`. */
export async function modelPush(argv: readonly string[], env: Env, io: CliIo): Promise<void> {
  const { values: v, positionals } = parseFlags(argv, PUSH_OPTIONS, PUSH_USAGE);
  const file = onePositional(positionals, 'the model file (FILE.onnx)', PUSH_USAGE);
  if (!v.name || !v.version) throw new UsageError('--name and --version are required', PUSH_USAGE);
  parseModelRef(`${v.name}@${v.version}`, '--name / --version');
  if (!v.preprocessing) throw new UsageError('--preprocessing JSON|@file is required', PUSH_USAGE);
  if (!v.baseline) {
    throw new UsageError(
      '--baseline is required: a folder of reference images / .npy / .json tensors, a .tar of them, or a baseline .json { spec, profile }',
      PUSH_USAGE,
    );
  }
  const parsedPre = preprocessingSpecSchema.safeParse(await readJsonArg(v.preprocessing, '--preprocessing'));
  if (!parsedPre.success) {
    const issue = parsedPre.error.issues[0]!;
    throw new UsageError(`--preprocessing: ${issue.path.join('.') || 'spec'}: ${issue.message}`);
  }
  const lineage = await readLineage(v.lineage, v['lineage-kv'], v['trained-on']);
  const options = {
    ...(v.bins ? { bins: binsOf(v.bins) } : {}),
    ...(v.classes ? { classes: v.classes.split(',') } : {}),
  };
  const sizeBytes = await localFile(file, 'model file');
  const source = await baselineSource(v.baseline);
  const goldenBytes = v.golden ? await localFile(v.golden, '--golden') : 0;
  if (goldenBytes > MAX_GOLDEN_BYTES) throw new UsageError(`--golden: more than ${MAX_GOLDEN_BYTES} bytes`);
  if (v.golden) await readLocalText(v.golden, '--golden', MAX_GOLDEN_BYTES); // readable now, not after the upload

  const client = new CliApi(await resolveTarget(v, env), io);
  const params = { name: v.name, version: v.version };
  const exists = await client.call('GET /api/v1/models/{name}/versions/{version}', { params }).then(
    () => true,
    (error: unknown) => {
      if (error instanceof CliError && error.exitCode === EXIT.notFound) return false;
      throw error;
    },
  );
  if (exists)
    throw new CliError(
      `${v.name}@${v.version} exists already; versions are immutable, push a new one`,
      EXIT.conflict,
    );

  const mode: ProgressMode = v.json ? 'none' : io.errIsTty ? 'bar' : 'lines';
  const artifact = await uploadArtifact(client, io, file, sizeBytes, 'model', mode);
  let summary: BaselineSummary = {};
  let baseline: { spec: ProfileSpec; profile: ProfileJSON };
  if (source.kind === 'json') baseline = source.baseline;
  else {
    if (!v.json) io.err(`computing the baseline from ${source.path} …\n`);
    const computed = await computeBaseline(file, parsedPre.data, source.path, options);
    baseline = { spec: computed.spec, profile: computed.profile };
    summary = { samples: computed.samples, files: computed.files, skipped: computed.skipped };
  }
  const golden = v.golden ? await uploadArtifact(client, io, v.golden, goldenBytes, 'golden', 'none') : null;
  const version = await registerVersion(client, io, {
    name: v.name,
    version: v.version,
    sha256: artifact.sha256,
    sizeBytes: artifact.sizeBytes,
    preprocessing: parsedPre.data,
    baseline,
    lineage,
    ...(golden ? { golden: { sha256: golden.sha256 } } : {}),
    ...(v.description ? { description: v.description } : {}),
  });
  if (v.json) return printJson(io, { version, artifact, baseline: summary });
  const io1 = (t: TensorSignature) => `${t.name} ${t.type} [${t.shape.map((d) => d ?? '?').join(',')}]`;
  io.out(`Pushed ${v.name}@${v.version}\n`);
  io.out(
    keyValues(
      [
        ['sha256', artifact.sha256],
        ['size', bytes(artifact.sizeBytes)],
        ['inputs', artifact.signature?.inputs.map(io1).join('; ')],
        ['outputs', artifact.signature?.outputs.map(io1).join('; ')],
        [
          'baseline',
          summary.samples === undefined
            ? `from ${v.baseline}`
            : `${summary.samples} samples from ${summary.files} files in ${v.baseline}`,
        ],
        ['golden', golden?.sha256 ?? '-'],
      ],
      '  ',
    ),
  );
}
