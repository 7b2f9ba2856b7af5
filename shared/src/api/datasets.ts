import { z } from 'zod';
import { CAPTURE_REASONS, SAMPLE_CONTENT_TYPES } from '../capture';
import { idSchema, modelVersionIdSchema, sha256HexSchema } from '../protocol/primitives';
import { API_PREFIX, defineRoute } from './route';
import { sampleFilterSchema } from './samples';

/** Most samples one dataset holds. */
export const MAX_DATASET_SAMPLES = 100_000;

/** Body of `POST /api/v1/datasets`: an immutable snapshot of the samples the filter matches now. */
export const datasetCreateSchema = z
  .strictObject({
    name: z.string().min(1).max(128),
    filter: sampleFilterSchema.default({}),
    /** Only labelled samples (a training set); false: unlabelled ones too (their label is null). */
    labelledOnly: z.boolean().default(true),
    /** Most samples taken (the newest first); more matching ones are left out and counted. */
    maxSamples: z.int().min(1).max(MAX_DATASET_SAMPLES).default(10_000),
  })
  .meta({
    id: 'DatasetCreate',
    example: {
      name: 'line 2 dark',
      filter: { model: 'cls', slice: 'line=2' },
      labelledOnly: true,
      maxSamples: 5000,
    },
  });
/** Body of `POST /api/v1/datasets`. */
export type DatasetCreate = z.input<typeof datasetCreateSchema>;

/** Where a dataset's samples came from. */
export const datasetProvenanceSchema = z.object({
  devices: z.array(idSchema),
  apps: z.array(idSchema),
  versions: z.array(modelVersionIdSchema),
  /** Samples per capture reason (a sample with two reasons counts in both). */
  reasons: z.partialRecord(z.enum(CAPTURE_REASONS), z.int()),
  /** Samples per label (true class). */
  labels: z.record(z.string(), z.int()),
  /** Who labelled the samples. */
  labelledBy: z.array(z.string()),
  /** Earliest and latest capture; null for an empty dataset. */
  from: z.int().nullable(),
  to: z.int().nullable(),
});

/** A dataset: its filter, counts, provenance, and the model versions trained on it. */
export const datasetSchema = z
  .object({
    id: idSchema,
    name: z.string(),
    filter: sampleFilterSchema,
    labelledOnly: z.boolean(),
    maxSamples: z.int(),
    sampleCount: z.int(),
    /** Matching samples left out by maxSamples. */
    truncated: z.int(),
    totalBytes: z.int(),
    createdBy: z.string(),
    createdAt: z.int(),
    provenance: datasetProvenanceSchema,
    trainedVersions: z.array(modelVersionIdSchema),
  })
  .meta({
    id: 'Dataset',
    example: {
      id: 'ds-4f1c2a9e7b3d',
      name: 'line 2 dark',
      filter: { model: 'cls', slice: 'line=2' },
      labelledOnly: true,
      maxSamples: 5000,
      sampleCount: 2,
      truncated: 0,
      totalBytes: 96_000,
      createdBy: 'admin:tok1',
      createdAt: 1_763_900_200_000,
      provenance: {
        devices: ['station-7'],
        apps: [],
        versions: [{ name: 'cls', version: '1.1.0' }],
        reasons: { low_confidence: 2 },
        labels: { '0': 1, '180': 1 },
        labelledBy: ['admin:tok1'],
        from: 1_763_900_000_000,
        to: 1_763_900_100_000,
      },
      trainedVersions: [{ name: 'cls', version: '1.2.0' }],
    },
  });
/** A dataset. */
export type Dataset = z.infer<typeof datasetSchema>;

/** One sample of a dataset (a line of `labels.jsonl` in the export). */
export const datasetSampleSchema = z.object({
  sha256: sha256HexSchema,
  contentType: z.enum(SAMPLE_CONTENT_TYPES),
  sizeBytes: z.int(),
  label: z.string().nullable(),
});
/** One sample of a dataset. */
export type DatasetSample = z.infer<typeof datasetSampleSchema>;

/** A dataset with its samples. */
export const datasetDetailSchema = datasetSchema
  .extend({ samples: z.array(datasetSampleSchema) })
  .meta({ id: 'DatasetDetail', example: { ...(datasetSchema.meta()?.example as object), samples: [] } });

/** `manifest.json` of an exported dataset. */
export const datasetManifestSchema = datasetSchema
  .extend({
    v: z.literal(1),
    exportedAt: z.int(),
    /** Every sample: its path in the tar, its sha256 and label. */
    samples: z.array(datasetSampleSchema.extend({ path: z.string() })),
  })
  .meta({ id: 'DatasetManifest' });
/** `manifest.json` of an exported dataset. */
export type DatasetManifest = z.infer<typeof datasetManifestSchema>;

const idParams = z.object({ id: idSchema });

/** Datasets: immutable snapshots of samples, exported as a tar. */
export const datasetRoutes = [
  defineRoute({
    method: 'post',
    path: `${API_PREFIX}/datasets`,
    body: datasetCreateSchema,
    responses: { 201: datasetSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/datasets`,
    responses: {
      200: z.object({ datasets: z.array(datasetSchema) }).meta({ id: 'Datasets', example: { datasets: [] } }),
    },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/datasets/{id}`,
    params: idParams,
    responses: { 200: datasetDetailSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/datasets/{id}/export`,
    params: idParams,
    responses: { 200: z.string().meta({ format: 'binary' }) },
    rawResponse: 'application/x-tar',
  }),
] as const;
