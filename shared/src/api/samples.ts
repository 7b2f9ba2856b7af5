import { z } from 'zod';
import { CAPTURE_REASONS, capturePolicySchema } from '../capture/policy';
import { SAMPLE_CONTENT_TYPES } from '../capture/sample';
import { idSchema, modelVersionIdSchema, sha256HexSchema } from '../protocol/primitives';
import { automationTargetRequestSchema, automationTargetSchema } from './automation';
import { modelParamsSchema } from './models';
import { API_PREFIX, defineRoute } from './route';

/** Body of `PUT /api/v1/models/{name}/capture`: a policy on a target, or `null` to stop capturing there. */
export const captureSetSchema = z
  .strictObject({
    target: automationTargetRequestSchema,
    policy: z.nullable(capturePolicySchema),
  })
  .meta({
    id: 'CaptureSet',
    example: {
      target: { selector: 'line=2' },
      policy: {
        lowConfidence: { below: 0.8 },
        random: { rate: 0.01 },
        budget: { maxSamplesPerDay: 500, maxBytesPerDay: 50_000_000 },
        clientRetentionDays: 7,
      },
    },
  });
/** Body of `PUT /api/v1/models/{name}/capture`. */
export type CaptureSet = z.infer<typeof captureSetSchema>;

/** One capture setting of a model: who set which policy (null: capture off) on which target, and when. */
export const captureSettingSchema = z
  .object({
    model: idSchema,
    target: automationTargetSchema,
    policy: z.nullable(capturePolicySchema),
    actor: z.string(),
    setAt: z.int(),
  })
  .meta({
    id: 'CaptureSetting',
    example: {
      model: 'cls',
      target: { kind: 'selector', selector: 'line=2' },
      policy: null,
      actor: 'admin:tok1',
      setAt: 1_763_900_000_000,
    },
  });
/** One capture setting of a model. */
export type CaptureSetting = z.infer<typeof captureSettingSchema>;

/** What a setting reached now (see AutomationResult: same meaning). */
const appliedSchema = z.object({
  devices: z.int().min(0),
  skipped: z.int().min(0),
  failed: z.int().min(0),
  app: z.boolean(),
});

/** Answer of a capture set: the stored setting and the desired states / app plan republished. */
export const captureResultSchema = z.object({ setting: captureSettingSchema, applied: appliedSchema }).meta({
  id: 'CaptureResult',
  example: {
    setting: {
      model: 'cls',
      target: { kind: 'app', appId: 'shop' },
      policy: null,
      actor: 'admin:tok1',
      setAt: 1_763_900_000_000,
    },
    applied: { devices: 0, skipped: 0, failed: 0, app: true },
  },
});
/** Answer of a capture set. */
export type CaptureResult = z.infer<typeof captureResultSchema>;

/** `GET …/capture`: the setting in force per target (latest wins), and every setting, newest first. */
export const captureListSchema = z
  .object({ settings: z.array(captureSettingSchema), history: z.array(captureSettingSchema) })
  .meta({ id: 'CaptureList', example: { settings: [], history: [] } });
/** `GET …/capture`. */
export type CaptureList = z.infer<typeof captureListSchema>;

/**
 * Error codes of `POST /api/v1/samples` a client acts on: `capture_disabled` (403, no policy reaches this client
 * and model: drop the sample), `forbidden` (403, clientId is not the credential's device), `capture_budget_exhausted`
 * (429, the policy's day budget or the app's daily cap: keep it and retry after Retry-After), `sample_store_full`
 * (507: retry later), `payload_too_large` (413), `unsupported_media_type` (415), `unprocessable_content` (422: hash, size
 * or content do not match the meta; never retry), `invalid_input` (400: malformed meta; never retry).
 */
export const SAMPLE_UPLOAD_ERRORS = [
  'capture_disabled',
  'forbidden',
  'capture_budget_exhausted',
  'sample_store_full',
  'payload_too_large',
  'unsupported_media_type',
  'unprocessable_content',
  'invalid_input',
] as const;
/** An error code of a sample upload. */
export type SampleUploadError = (typeof SAMPLE_UPLOAD_ERRORS)[number];

/** Answer of `POST /api/v1/samples`: 201 stored now, 200 the same (sha256, clientId) was stored before. */
export const sampleUploadResultSchema = z
  .object({ sha256: sha256HexSchema, status: z.enum(['stored', 'duplicate']) })
  .meta({ id: 'SampleUploadResult', example: { sha256: 'a'.repeat(64), status: 'stored' } });
/** Answer of `POST /api/v1/samples`. */
export type SampleUploadResult = z.infer<typeof sampleUploadResultSchema>;

/** Which samples: every field narrows (AND); captures are matched, a sample's label is the true class. */
export const sampleFilterSchema = z
  .strictObject({
    model: z.optional(idSchema),
    version: z.string().min(1).max(128).optional(),
    reason: z.enum(CAPTURE_REASONS).optional(),
    /** The model's top-1 class at capture. */
    predicted: z.string().min(1).max(128).optional(),
    /** The label (true class) given by a reviewer or known at capture. */
    label: z.string().min(1).max(128).optional(),
    labelled: z.boolean().optional(),
    /** Captured by this device. */
    device: z.optional(idSchema),
    /** Captured by a browser of this app. */
    app: z.optional(idSchema),
    /** A label selector over the capturing device's labels at capture time, e.g. `line=2`. */
    slice: z.string().min(1).max(4096).optional(),
    /** Captured at or after (ms). */
    from: z.int().min(0).optional(),
    /** Captured before (ms). */
    to: z.int().min(0).optional(),
  })
  .meta({ id: 'SampleFilter', example: { model: 'cls', reason: 'low_confidence', slice: 'line=2' } });
/** Which samples. */
export type SampleFilter = z.infer<typeof sampleFilterSchema>;

const queryInt = z.coerce.number<number>().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** Query of `GET /api/v1/samples`: the filter as query parameters, a cursor and a page size. */
export const sampleListQuerySchema = sampleFilterSchema
  .extend({
    labelled: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional(),
    from: queryInt.optional(),
    to: queryInt.optional(),
    cursor: z.string().max(256).optional().meta({ description: 'nextCursor of the previous page' }),
    limit: z.coerce.number<number>().int().min(1).max(1_000).default(100),
  })
  .strip();

/** One capture of a sample (identity: sha256 and clientId) with the sample's label; newest first in lists. */
export const sampleSchema = z
  .object({
    /** Capture id (cursor order). */
    id: z.int(),
    sha256: sha256HexSchema,
    contentType: z.enum(SAMPLE_CONTENT_TYPES),
    sizeBytes: z.int(),
    width: z.int().nullable(),
    height: z.int().nullable(),
    clientId: idSchema,
    /** The device that captured it, or null for a browser. */
    deviceId: z.nullable(idSchema),
    /** The app whose browser captured it, or null for a device. */
    appId: z.nullable(idSchema),
    /** The device's labels when the sample was received (slices). */
    deviceLabels: z.record(z.string(), z.string()),
    model: modelVersionIdSchema,
    reasons: z.array(z.enum(CAPTURE_REASONS)),
    top: z.array(z.object({ label: z.string(), confidence: z.number() })),
    features: z.record(z.string(), z.number()),
    predictionId: z.string().nullable(),
    capturedAt: z.int(),
    receivedAt: z.int(),
    /** True class; null: not labelled. */
    label: z.string().nullable(),
    labelledBy: z.string().nullable(),
    labelledAt: z.int().nullable(),
  })
  .meta({
    id: 'Sample',
    example: {
      id: 17,
      sha256: 'a'.repeat(64),
      contentType: 'image/png',
      sizeBytes: 48_213,
      width: 640,
      height: 120,
      clientId: 'station-7',
      deviceId: 'station-7',
      appId: null,
      deviceLabels: { line: '2' },
      model: { name: 'cls', version: '1.1.0' },
      reasons: ['low_confidence'],
      top: [{ label: '0', confidence: 0.61 }],
      features: { brightness: 0.21 },
      predictionId: null,
      capturedAt: 1_763_900_000_000,
      receivedAt: 1_763_900_004_000,
      label: '180',
      labelledBy: 'admin:tok1',
      labelledAt: 1_763_900_100_000,
    },
  });
/** One capture of a sample. */
export type Sample = z.infer<typeof sampleSchema>;

/** A page of samples. */
export const samplePageSchema = z
  .object({ samples: z.array(sampleSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'SamplePage', example: { samples: [], nextCursor: null } });
/** A page of samples. */
export type SamplePage = z.infer<typeof samplePageSchema>;

/** Body of `PUT /api/v1/samples/{sha256}/label`: the true class, or null to clear it. */
export const sampleLabelSetSchema = z
  .strictObject({ label: z.string().min(1).max(128).nullable() })
  .meta({ id: 'SampleLabelSet', example: { label: '180' } });

/** A sample's label as stored. */
export const sampleLabelSchema = z
  .object({
    sha256: sha256HexSchema,
    label: z.string().nullable(),
    labelledBy: z.string().nullable(),
    labelledAt: z.int().nullable(),
  })
  .meta({
    id: 'SampleLabel',
    example: {
      sha256: 'a'.repeat(64),
      label: '180',
      labelledBy: 'admin:tok1',
      labelledAt: 1_763_900_100_000,
    },
  });

/** One change of a sample's label (the label audit): set (or cleared: null) by whom and when, and what it replaced. */
export const sampleLabelChangeSchema = z.object({
  label: z.string().nullable(),
  previous: z.string().nullable(),
  actor: z.string(),
  at: z.int(),
});

/** `GET /api/v1/samples/{sha256}`: every capture of the bytes (newest first) and the label audit (oldest first). */
export const sampleCapturesSchema = z
  .object({ captures: z.array(sampleSchema), labelHistory: z.array(sampleLabelChangeSchema) })
  .meta({
    id: 'SampleCaptures',
    example: {
      captures: [],
      labelHistory: [{ label: '180', previous: null, actor: 'admin:tok1', at: 1_763_900_100_000 }],
    },
  });
/** `GET /api/v1/samples/{sha256}`. */
export type SampleCaptures = z.infer<typeof sampleCapturesSchema>;

const shaParams = z.object({ sha256: sha256HexSchema });

/** Capture settings, sample upload (devices, browsers) and review (admin). */
export const sampleRoutes = [
  defineRoute({
    method: 'put',
    path: `${API_PREFIX}/models/{name}/capture`,
    params: modelParamsSchema,
    body: captureSetSchema,
    responses: { 200: captureResultSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/models/{name}/capture`,
    params: modelParamsSchema,
    responses: { 200: captureListSchema },
  }),
  defineRoute({
    method: 'post',
    path: `${API_PREFIX}/samples`,
    rawBody: 'multipart/form-data',
    responses: { 200: sampleUploadResultSchema, 201: sampleUploadResultSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/samples`,
    query: sampleListQuerySchema,
    responses: { 200: samplePageSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/samples/{sha256}`,
    params: shaParams,
    responses: {
      200: sampleCapturesSchema,
    },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/samples/{sha256}/content`,
    params: shaParams,
    query: z.object({
      thumb: z.enum(['0', '1']).optional().meta({ description: '1: a small JPEG thumbnail (images only)' }),
    }),
    responses: { 200: z.string().meta({ format: 'binary' }) },
    rawResponse: 'application/octet-stream',
  }),
  defineRoute({
    method: 'put',
    path: `${API_PREFIX}/samples/{sha256}/label`,
    params: shaParams,
    body: sampleLabelSetSchema,
    responses: { 200: sampleLabelSchema },
  }),
] as const;
