import { z } from 'zod';
import { PADDLE_OCR_CLS_PREPROCESSING } from '../preprocessing/presets';
import { Profile } from '../profile/profile';
import { type ProfileJSON, profileJsonSchema } from '../profile/profile-json';
import { type ProfileSpec, profileSpecSchema } from '../profile/spec';
import { lineageSchema, modelVersionCreateSchema } from '../protocol/http';
import { manifestSchema, manifestSignatureSchema } from '../protocol/manifest';
import { preprocessingSpecSchema } from '../protocol/preprocessing';
import { idSchema, modelVersionSchema, sha256HexSchema } from '../protocol/primitives';
import { API_PREFIX, defineRoute } from './route';

const SHA = 'a3f5c1d2e4b6a8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c6d8e0f2a4b6c8';
const BASELINE_SHA = '0d1c2b3a49586776a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f1e';

/** A small spec: one input feature, one output, two classes. */
const EXAMPLE_SPEC: ProfileSpec = {
  v: 1,
  inputs: [{ name: 'brightness', edges: [0, 0.25, 0.5, 0.75, 1] }],
  outputs: [{ name: 'confidence', edges: [0, 0.5, 0.9, 1] }],
  classes: ['0', '180'],
  latency: { relativeAccuracy: 0.01, maxBins: 2048 },
};

/** A version's ProfileSpec: the baseline's bin edges per feature that clients count into. */
export const profileSpecApiSchema = z
  .object(profileSpecSchema.shape)
  .meta({ id: 'ProfileSpec', example: EXAMPLE_SPEC });
/**
 * A profile as JSON (a baseline or a merged window), features in spec order. Typed as {@link ProfileJSON}: the
 * schema leaves the moments tuples to the profile reader (which names the field at fault) and documents them.
 */
export const profileJsonApiSchema = z.object(profileJsonSchema.shape).meta({
  id: 'ProfileJSON',
  example: new Profile(EXAMPLE_SPEC).toJSON(),
}) as unknown as z.ZodType<ProfileJSON>;

const EXAMPLE_PREPROCESSING = PADDLE_OCR_CLS_PREPROCESSING;

/** A registered model version: metadata, its signed manifest and where its parts are. */
export const modelVersionViewSchema = z
  .object({
    name: idSchema,
    version: modelVersionSchema,
    sha256: sha256HexSchema,
    sizeBytes: z.int(),
    preprocessing: preprocessingSpecSchema,
    lineage: lineageSchema,
    specHash: z.string(),
    baselineSha256: z.string(),
    goldenSha256: z.nullable(sha256HexSchema),
    /** Who registered it: `admin:<admin token id>` (lineage.createdBy is what the caller claims). */
    createdBy: z.string(),
    createdAt: z.int(),
    deprecatedAt: z.int().nullable(),
    deprecationReason: z.string().nullable(),
    manifest: manifestSchema,
    signature: manifestSignatureSchema,
    artifactUrl: z.string(),
    profileSpecUrl: z.string(),
    baselineUrl: z.string(),
    goldenUrl: z.string().optional(),
  })
  .meta({
    id: 'ModelVersion',
    example: {
      name: 'cls',
      version: '1.1.0',
      sha256: SHA,
      sizeBytes: 583_424,
      preprocessing: EXAMPLE_PREPROCESSING,
      lineage: { createdBy: 'ml-team', codeRevision: 'a1b2c3d' },
      specHash: '5f0c9a8b7e6d4c3b',
      baselineSha256: BASELINE_SHA,
      goldenSha256: null,
      createdBy: 'admin:adm_0123456789abcdef01234567',
      createdAt: 1764000000000,
      deprecatedAt: null,
      deprecationReason: null,
      manifest: {
        v: 1,
        fleet: 'plant-a',
        name: 'cls',
        version: '1.1.0',
        format: 'onnx',
        sha256: SHA,
        sizeBytes: 583_424,
        preprocessing: EXAMPLE_PREPROCESSING,
        specHash: '5f0c9a8b7e6d4c3b',
        baselineSha256: BASELINE_SHA,
        createdAt: 1764000000000,
      },
      signature: {
        alg: 'ES256',
        keyId: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
        value: 'A'.repeat(86),
      },
      artifactUrl: `${API_PREFIX}/artifacts/${SHA}`,
      profileSpecUrl: `${API_PREFIX}/models/cls/versions/1.1.0/spec`,
      baselineUrl: `${API_PREFIX}/models/cls/versions/1.1.0/baseline`,
    },
  });
/** A registered model version. */
export type ModelVersionView = z.infer<typeof modelVersionViewSchema>;

/** A model with its version count. */
export const modelSchema = z
  .object({
    name: idSchema,
    description: z.string().nullable(),
    createdAt: z.int(),
    versions: z.int(),
    latestCreatedAt: z.int().nullable(),
  })
  .meta({
    id: 'Model',
    example: {
      name: 'cls',
      description: 'text direction',
      createdAt: 1764000000000,
      versions: 2,
      latestCreatedAt: 1764000900000,
    },
  });
/** A model with its version count. */
export type Model = z.infer<typeof modelSchema>;

/** Options of a baseline computed from a reference set. */
export const referenceOptionsSchema = z
  .strictObject({
    bins: z.int().min(1).max(20).optional(),
    classes: z.array(z.string().min(1).max(128)).min(2).max(1024).optional(),
    outputName: z.string().min(1).max(128).optional(),
  })
  .meta({ id: 'ReferenceOptions', example: { bins: 10, classes: ['0', '180'] } });

/** `baseline: { fromReference }`: the server computes the baseline from a `kind=reference` artifact. */
export const fromReferenceSchema = z
  .strictObject({
    fromReference: referenceOptionsSchema.extend({
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the sha256 of a kind=reference artifact'),
    }),
  })
  .meta({ id: 'BaselineFromReference', example: { fromReference: { sha256: SHA, classes: ['0', '180'] } } });

/** Body of `POST /api/v1/models/{name}/versions`: the shared create body; the baseline may be computed here. */
export const versionCreateSchema = z
  .object({
    ...modelVersionCreateSchema.shape,
    baseline: z.union([modelVersionCreateSchema.shape.baseline, fromReferenceSchema]),
    description: z.string().max(1024).optional(),
  })
  .meta({
    id: 'ModelVersionCreate',
    example: {
      name: 'cls',
      version: '1.1.0',
      sha256: SHA,
      sizeBytes: 583_424,
      preprocessing: EXAMPLE_PREPROCESSING,
      baseline: { fromReference: { sha256: SHA, classes: ['0', '180'] } },
      lineage: { createdBy: 'ml-team' },
    },
  });
/** Body of `POST /api/v1/models/{name}/versions`. */
export type VersionCreateInput = z.infer<typeof versionCreateSchema>;

/** `POST /api/v1/baselines`: a baseline computed from a reference set, ready to post as a version's `baseline`. */
export const computedBaselineSchema = z
  .object({
    spec: profileSpecApiSchema,
    profile: profileJsonApiSchema,
    specHash: z.string(),
    baselineSha256: sha256HexSchema,
    samples: z.int(),
    files: z.int(),
    skipped: z.array(z.string()),
  })
  .meta({
    id: 'ComputedBaseline',
    example: {
      spec: EXAMPLE_SPEC,
      profile: new Profile(EXAMPLE_SPEC).toJSON(),
      specHash: '5f0c9a8b7e6d4c3b',
      baselineSha256: BASELINE_SHA,
      samples: 300,
      files: 1,
      skipped: [],
    },
  });
/** A baseline computed from a reference set. */
export type ComputedBaseline = z.infer<typeof computedBaselineSchema>;

/** Path parameters naming a model. */
export const modelParamsSchema = z.object({
  name: idSchema.check(z.meta({ param: { name: 'name', in: 'path' }, example: 'cls' })),
});
/** Path parameters naming a model version. */
export const versionParamsSchema = modelParamsSchema.extend({
  version: modelVersionSchema.check(z.meta({ param: { name: 'version', in: 'path' }, example: '1.1.0' })),
});

const versions = `${API_PREFIX}/models/{name}/versions`;
const version = `${versions}/{version}`;

/** The model registry: versions, their spec and baseline, deprecation, server-side baselines. */
export const modelRoutes = [
  defineRoute({
    method: 'post',
    path: versions,
    params: modelParamsSchema,
    body: versionCreateSchema,
    responses: { 201: modelVersionViewSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/models`,
    responses: {
      200: z.object({ models: z.array(modelSchema) }).meta({ id: 'ModelList', example: { models: [] } }),
    },
  }),
  defineRoute({
    method: 'get',
    path: versions,
    params: modelParamsSchema,
    responses: {
      200: z
        .object({ versions: z.array(modelVersionViewSchema) })
        .meta({ id: 'ModelVersionList', example: { versions: [] } }),
    },
  }),
  defineRoute({
    method: 'get',
    path: version,
    params: versionParamsSchema,
    responses: { 200: modelVersionViewSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${version}/spec`,
    params: versionParamsSchema,
    responses: { 200: profileSpecApiSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${version}/baseline`,
    params: versionParamsSchema,
    responses: { 200: profileJsonApiSchema },
  }),
  defineRoute({
    method: 'post',
    path: `${version}/deprecate`,
    params: versionParamsSchema,
    body: z
      .object({ reason: z.string().min(1).max(1024) })
      .meta({ id: 'Deprecation', example: { reason: 'superseded by 1.2.0' } }),
    responses: { 200: modelVersionViewSchema },
  }),
  defineRoute({
    method: 'post',
    path: `${API_PREFIX}/baselines`,
    rawBody: 'multipart/form-data',
    responses: { 200: computedBaselineSchema },
  }),
] as const;
