import type {
  Manifest,
  ManifestSignature,
  ModelRef,
  ModelVersionCreate,
  PreprocessingSpec,
  ProfileJSON,
  ProfileSpec,
} from '@edgefleet/shared';
import { imageTensorDims } from '@edgefleet/shared';
import type { ArtifactKind, ModelSignature, VersionCreateInput } from '@edgefleet/shared/api';
import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { ServerContext } from '../context';
import { datasetExists } from '../datasets/store';
import { type FleetDb, schema } from '../db';
import { Conflict, InvalidInput, NotFound } from '../errors';
import { API_PREFIX } from '../http/app';
import { type Baseline, validateBaseline } from './baseline';
import type { ModelJobs } from './jobs/runner';

/** Semantic Versioning 2.0.0 (https://semver.org), the only version form the registry accepts. */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

export type VersionRow = typeof schema.modelVersions.$inferSelect;

/** Id of a version row: `<name>@<version>`. */
export const versionId = (name: string, version: string): string => `${name}@${version}`;

/** URLs (absolute paths on this server) of a version's parts. */
export function versionUrls(row: Pick<VersionRow, 'modelName' | 'version' | 'artifactSha256' | 'golden'>) {
  const base = `${API_PREFIX}/models/${row.modelName}/versions/${encodeURIComponent(row.version)}`;
  const goldenSha256 = (row.golden as { sha256?: string } | null)?.sha256;
  return {
    artifactUrl: `${API_PREFIX}/artifacts/${row.artifactSha256}`,
    profileSpecUrl: `${base}/spec`,
    baselineUrl: `${base}/baseline`,
    ...(goldenSha256 ? { goldenUrl: `${API_PREFIX}/artifacts/${goldenSha256}` } : {}),
  };
}

/** The signature of a version's manifest (stored as the JSON text it was signed as). */
export const signatureOf = (row: Pick<VersionRow, 'manifestSignature'>): ManifestSignature =>
  JSON.parse(row.manifestSignature) as ManifestSignature;

/** The baseline of a version (every registered version has one). */
export function baselineOfVersion(row: VersionRow): { spec: ProfileSpec; profile: ProfileJSON } {
  if (!row.baseline) throw new NotFound(`${row.modelName}@${row.version} has no baseline`);
  return row.baseline;
}

/** The model ref a device or browser receives for a version (manifest, signature, URLs). */
export function toModelRef(row: VersionRow): ModelRef {
  const { artifactUrl, profileSpecUrl, goldenUrl } = versionUrls(row);
  return {
    manifest: row.manifest,
    signature: signatureOf(row),
    artifactUrl,
    profileSpecUrl,
    ...(goldenUrl ? { goldenUrl } : {}),
  };
}

function requireArtifact(ctx: ServerContext, sha256: string, kind: ArtifactKind, field: string) {
  const row = ctx.db.select().from(schema.artifacts).where(eq(schema.artifacts.sha256, sha256)).get();
  if (!row || row.format !== kind) {
    throw new InvalidInput(
      `${field}: no ${kind} artifact ${sha256}; upload it first (POST ${API_PREFIX}/artifacts)`,
      {
        field,
      },
    );
  }
  return row;
}

function checkInputName(preprocessing: PreprocessingSpec, inputs: readonly { name: string }[]): void {
  const name = preprocessing.inputName;
  if (name !== undefined && !inputs.some((input) => input.name === name)) {
    throw new InvalidInput(`preprocessing.inputName '${name}' is not an input of the model`, {
      field: 'preprocessing.inputName',
      inputs: inputs.map((input) => input.name),
    });
  }
}

/**
 * Checks an image preprocessing spec against the model input it feeds: rank, channels, height and width where the
 * model fixes them (a number > 0; symbolic or -1 dims take anything), and dtype. A GRAY spec for a fixed 3-channel
 * input would otherwise register and fail on every device.
 */
export function checkPreprocessingFits(preprocessing: PreprocessingSpec, signature: ModelSignature): void {
  if (preprocessing.kind !== 'image' || signature.inputs.length === 0) return;
  const name =
    preprocessing.inputName ?? (signature.inputs.length === 1 ? signature.inputs[0]!.name : undefined);
  const input = signature.inputs.find((i) => i.name === name);
  if (!input) return; // several inputs without inputName: reported where the input is chosen
  const expected = imageTensorDims(preprocessing, 1);
  const labels =
    preprocessing.layout === 'NCHW'
      ? ['batch', 'channels', 'height', 'width']
      : ['batch', 'height', 'width', 'channels'];
  const fail = (what: string) => {
    throw new InvalidInput(
      `preprocessing does not fit the model input '${input.name}' ${JSON.stringify(input.shape)}: ${what}`,
      {
        field: 'preprocessing',
        input: input.name,
        shape: input.shape,
        expected,
      },
    );
  };
  if (input.shape.length !== expected.length)
    fail(
      `a ${preprocessing.layout} image tensor has rank ${expected.length}, the input has rank ${input.shape.length}`,
    );
  for (let i = 1; i < expected.length; i++) {
    const dim = input.shape[i];
    if (typeof dim === 'number' && dim > 0 && dim !== expected[i])
      fail(
        `${labels[i]} is ${dim} in the model, ${expected[i]} by the spec (${preprocessing.channelOrder} ${preprocessing.width}×${preprocessing.height})`,
      );
  }
  const type = input.type.replace(/^tensor\((.*)\)$/, '$1');
  if (
    /^(float32|float|uint8|int8)$/.test(type) &&
    (type === 'float' ? 'float32' : type) !== preprocessing.dtype
  )
    fail(`the input takes ${type}, the spec makes ${preprocessing.dtype}`);
}

const isUniqueViolation = (error: unknown): boolean =>
  (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' ||
  (error as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY';

/**
 * Registers an immutable model version and signs its manifest; 409 when name@version exists. A golden
 * pair is run through the model (422 unless reproduced); `baseline.fromReference` is computed from the
 * reference set. Both run in a model job (a process of its own, within its budget) before anything is written.
 */
export async function createModelVersion(
  ctx: ServerContext,
  jobs: ModelJobs,
  input: VersionCreateInput,
  registeredBy: string,
): Promise<VersionRow> {
  if (!SEMVER.test(input.version)) {
    throw new InvalidInput('version: expected a semantic version like 3.0.0 or 3.1.0-rc.1', {
      field: 'version',
    });
  }
  if (findVersion(ctx, input.name, input.version)) {
    throw new Conflict(`${input.name}@${input.version} exists; versions are immutable`, { field: 'version' });
  }
  const trainedOn = input.lineage.trainedOn;
  if (trainedOn !== undefined && !datasetExists(ctx.db, trainedOn)) {
    throw new InvalidInput(
      `lineage.trainedOn: no dataset ${trainedOn}; create it first (POST ${API_PREFIX}/datasets, edgefleet dataset create)`,
      { field: 'lineage.trainedOn' },
    );
  }
  const artifact = requireArtifact(ctx, input.sha256, 'model', 'sha256');
  if (artifact.sizeBytes !== input.sizeBytes) {
    throw new InvalidInput(
      `sizeBytes: artifact has ${artifact.sizeBytes} bytes, body says ${input.sizeBytes}`,
      {
        field: 'sizeBytes',
      },
    );
  }
  const signature = artifact.signature ?? { inputs: [], outputs: [] };
  checkInputName(input.preprocessing, signature.inputs);
  checkPreprocessingFits(input.preprocessing, signature);
  const golden = input.golden ? requireArtifact(ctx, input.golden.sha256, 'golden', 'golden.sha256') : null;
  const fromReference = 'fromReference' in input.baseline ? input.baseline.fromReference : null;
  const reference = fromReference
    ? requireArtifact(ctx, fromReference.sha256, 'reference', 'baseline.fromReference.sha256')
    : null;
  let baseline: Baseline;
  let source: { fromReference: string; samples: number; files: number } | null = null;
  // The model runs in a job process within the time and memory budget (models/jobs): never on this thread.
  const checked =
    golden || reference
      ? await jobs.run({
          modelPath: ctx.store.pathOf(artifact.sha256),
          signature,
          preprocessing: input.preprocessing,
          ...(golden ? { goldenPath: ctx.store.pathOf(golden.sha256) } : {}),
          ...(fromReference && reference
            ? {
                reference: {
                  source: { kind: 'tar' as const, path: ctx.store.pathOf(reference.sha256) },
                  options: fromReference,
                },
              }
            : {}),
        })
      : null;
  if (reference && checked?.baseline) {
    baseline = checked.baseline;
    source = {
      fromReference: reference.sha256,
      samples: checked.baseline.samples,
      files: checked.baseline.files,
    };
  } else {
    baseline = validateBaseline(input.baseline as ModelVersionCreate['baseline']);
  }
  const createdAt = ctx.now();
  const manifest: Manifest = {
    v: 1,
    fleet: ctx.config.fleet,
    name: input.name,
    version: input.version,
    format: 'onnx',
    sha256: artifact.sha256,
    sizeBytes: artifact.sizeBytes,
    preprocessing: input.preprocessing,
    specHash: baseline.specHash,
    baselineSha256: baseline.baselineSha256,
    ...(input.golden ? { goldenSha256: input.golden.sha256 } : {}),
    createdAt,
  };
  const signed = await ctx.signer.signManifest(manifest);
  const row: VersionRow = {
    id: versionId(input.name, input.version),
    modelName: input.name,
    version: input.version,
    artifactSha256: artifact.sha256,
    preprocessing: input.preprocessing,
    lineage: input.lineage,
    baseline: { spec: baseline.spec, profile: baseline.profile, ...(source ? { source } : {}) },
    baselineSha256: baseline.baselineSha256,
    golden: input.golden ?? null,
    manifest: signed.manifest,
    manifestSignature: JSON.stringify(signed.signature),
    createdBy: registeredBy,
    createdAt,
    deprecatedAt: null,
    deprecationReason: null,
  };
  try {
    ctx.db.transaction((tx) => {
      tx.insert(schema.models)
        .values({ name: input.name, description: input.description ?? null, createdAt })
        .onConflictDoNothing()
        .run();
      tx.insert(schema.modelVersions).values(row).run();
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new Conflict(`${input.name}@${input.version} exists; versions are immutable`, {
        field: 'version',
      });
    }
    throw error;
  }
  ctx.logger.info(
    { model: input.name, version: input.version, sha256: artifact.sha256, trainedOn },
    'model version created',
  );
  return row;
}

/** One version, or undefined. */
export function findVersion(ctx: ServerContext, name: string, version: string): VersionRow | undefined {
  return ctx.db
    .select()
    .from(schema.modelVersions)
    .where(and(eq(schema.modelVersions.modelName, name), eq(schema.modelVersions.version, version)))
    .get();
}

/** One version, or NotFound. */
export function getVersion(ctx: ServerContext, name: string, version: string): VersionRow {
  const row = findVersion(ctx, name, version);
  if (!row) throw new NotFound(`no model version ${name}@${version}`);
  return row;
}

/** Every model with its number of versions. */
export function listModels(ctx: ServerContext) {
  return ctx.db
    .select({
      name: schema.models.name,
      description: schema.models.description,
      createdAt: schema.models.createdAt,
      versions: count(schema.modelVersions.id),
      latestCreatedAt: sql<number | null>`max(${schema.modelVersions.createdAt})`,
    })
    .from(schema.models)
    .leftJoin(schema.modelVersions, eq(schema.modelVersions.modelName, schema.models.name))
    .groupBy(schema.models.name)
    .orderBy(asc(schema.models.name))
    .all();
}

/** Versions of one model, oldest first; NotFound for an unknown model. */
export function listVersions(ctx: ServerContext, name: string): VersionRow[] {
  const model = ctx.db.select().from(schema.models).where(eq(schema.models.name, name)).get();
  if (!model) throw new NotFound(`no model ${name}`);
  return ctx.db
    .select()
    .from(schema.modelVersions)
    .where(eq(schema.modelVersions.modelName, name))
    .orderBy(asc(schema.modelVersions.createdAt))
    .all();
}

/** Marks a version deprecated (idempotent: the first reason and time stay). Nothing else ever changes. */
export function deprecateVersion(
  ctx: ServerContext,
  name: string,
  version: string,
  reason: string,
): VersionRow {
  const row = getVersion(ctx, name, version);
  if (row.deprecatedAt !== null) return row;
  const deprecatedAt = ctx.now();
  ctx.db
    .update(schema.modelVersions)
    .set({ deprecatedAt, deprecationReason: reason })
    .where(eq(schema.modelVersions.id, row.id))
    .run();
  ctx.logger.info({ model: name, version, reason }, 'model version deprecated');
  return { ...row, deprecatedAt, deprecationReason: reason };
}

/** Whether `name@version` is registered. */
export function versionExists(db: FleetDb, name: string, version: string): boolean {
  const v = schema.modelVersions;
  return (
    db
      .select({ id: v.id })
      .from(v)
      .where(and(eq(v.modelName, name), eq(v.version, version)))
      .get() !== undefined
  );
}
