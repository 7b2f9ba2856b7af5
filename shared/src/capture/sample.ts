import { idSchema, modelVersionIdSchema, sha256HexSchema, timestampMsSchema } from '../protocol/primitives';
import { z } from '../zod';
import { CAPTURE_REASONS, MAX_SAMPLE_BYTES } from './policy';

/** What a captured sample's content may be: an encoded image, or a raw tensor file (see golden tensor files). */
export const SAMPLE_CONTENT_TYPES = [
  'image/jpeg',
  'image/png',
  'image/webp',
  'application/octet-stream',
] as const;
/** A sample's content type. */
export type SampleContentType = (typeof SAMPLE_CONTENT_TYPES)[number];

/** Most input feature values one sample carries. */
export const MAX_SAMPLE_FEATURES = 64;

/**
 * Metadata of one captured sample, uploaded beside its content (`POST /api/v1/samples`, multipart parts `meta`
 * and `content`). The server checks `sha256` and `sizeBytes` against the content and `clientId` against the
 * credential (a device uploads only as itself; a browser only into the app its key belongs to). Identity on the
 * server is (content sha256, clientId): a resend is a duplicate, never a second sample.
 */
export const sampleMetaSchema = z
  .strictObject({
    v: z.literal(1),
    /** The device id, or the browser's persisted client id. */
    clientId: idSchema,
    sha256: sha256HexSchema,
    contentType: z.enum(SAMPLE_CONTENT_TYPES),
    sizeBytes: z.int().check(z.gte(1), z.lte(MAX_SAMPLE_BYTES)),
    width: z.optional(z.int().check(z.gte(1), z.lte(65_535))),
    height: z.optional(z.int().check(z.gte(1), z.lte(65_535))),
    model: modelVersionIdSchema,
    capturedAt: timestampMsSchema,
    reasons: z.array(z.enum(CAPTURE_REASONS)).check(
      z.minLength(1),
      z.maxLength(CAPTURE_REASONS.length),
      z.refine((r) => new Set(r).size === r.length, 'expected distinct reasons'),
    ),
    /** The model's top classes at capture (best first). */
    top: z.optional(
      z
        .array(
          z.strictObject({
            label: z.string().check(z.maxLength(128)),
            confidence: z.number().check(z.gte(0), z.lte(1)),
          }),
        )
        .check(z.maxLength(5)),
    ),
    /** Input feature values (those the profile measures). */
    features: z.optional(
      z
        .record(z.string().check(z.minLength(1), z.maxLength(128)), z.number())
        .check(
          z.refine(
            (f) => Object.keys(f).length <= MAX_SAMPLE_FEATURES,
            `expected at most ${MAX_SAMPLE_FEATURES} features`,
          ),
        ),
    ),
    /** The client's prediction id (links the sample to an operator label given later). */
    predictionId: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
    /** The operator's label when it was known at capture (e.g. a disagreement). */
    label: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  })
  .check(
    z.meta({
      id: 'SampleMeta',
      example: {
        v: 1,
        clientId: 'station-7',
        sha256: 'a'.repeat(64),
        contentType: 'image/jpeg',
        sizeBytes: 48_213,
        width: 640,
        height: 120,
        model: { name: 'cls', version: '1.1.0' },
        capturedAt: 1_763_900_000_000,
        reasons: ['low_confidence'],
        top: [
          { label: '0', confidence: 0.61 },
          { label: '180', confidence: 0.39 },
        ],
        features: { brightness: 0.21 },
      },
    }),
  );
/** Metadata of one captured sample. */
export type SampleMeta = z.infer<typeof sampleMetaSchema>;
