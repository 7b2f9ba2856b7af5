import { z } from 'zod';
import { sha256HexSchema } from '../protocol/primitives';
import { API_PREFIX, defineRoute } from './route';

/**
 * What an artifact holds: an ONNX model (signature checked), a golden input/output pair file (format checked) or a
 * reference set for a server-computed baseline (a tar archive; structure checked).
 */
export const ARTIFACT_KINDS = ['model', 'golden', 'reference'] as const;
/** What an artifact holds. */
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** One tensor of a model's input/output signature; symbolic dimensions are strings, unknown ones null. */
export const tensorSignatureSchema = z
  .object({ name: z.string(), type: z.string(), shape: z.array(z.union([z.number(), z.string(), z.null()])) })
  .meta({ id: 'TensorSignature', example: { name: 'x', type: 'float32', shape: ['batch', 3, 48, 192] } });
/** One tensor of a model's input/output signature. */
export type TensorSignature = z.infer<typeof tensorSignatureSchema>;

/** A model's input/output signature as onnxruntime reads it. */
export const modelSignatureSchema = z
  .object({ inputs: z.array(tensorSignatureSchema), outputs: z.array(tensorSignatureSchema) })
  .meta({
    id: 'ModelSignature',
    example: {
      inputs: [{ name: 'x', type: 'float32', shape: ['batch', 3, 48, 192] }],
      outputs: [{ name: 'softmax_0.tmp_0', type: 'float32', shape: ['batch', 2] }],
    },
  });
/** A model's input/output signature. */
export type ModelSignature = z.infer<typeof modelSignatureSchema>;

const EXAMPLE_SHA = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

/** An artifact as the API shows it. */
export const artifactSchema = z
  .object({
    sha256: sha256HexSchema,
    sizeBytes: z.int(),
    kind: z.enum(ARTIFACT_KINDS),
    signature: modelSignatureSchema.nullable(),
    createdAt: z.int(),
    url: z.string(),
  })
  .meta({
    id: 'Artifact',
    example: {
      sha256: EXAMPLE_SHA,
      sizeBytes: 583_424,
      kind: 'model',
      signature: null,
      createdAt: 1764000000000,
      url: `${API_PREFIX}/artifacts/${EXAMPLE_SHA}`,
    },
  });
/** An artifact as the API shows it. */
export type Artifact = z.infer<typeof artifactSchema>;

/** Path parameters naming an artifact by its sha256. */
export const artifactParamsSchema = z.object({ sha256: sha256HexSchema });

const binary = z.string().meta({ format: 'binary' });

/** Artifact upload, download and metadata. */
export const artifactRoutes = [
  defineRoute({
    method: 'post',
    path: `${API_PREFIX}/artifacts`,
    query: z.object({ kind: z.enum(ARTIFACT_KINDS).default('model') }),
    rawBody: 'application/octet-stream',
    responses: { 200: artifactSchema, 201: artifactSchema },
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/artifacts/{sha256}`,
    params: artifactParamsSchema,
    responses: { 200: binary, 206: binary, 304: null },
    rawResponse: 'application/octet-stream',
  }),
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/artifacts/{sha256}/meta`,
    params: artifactParamsSchema,
    responses: { 200: artifactSchema },
  }),
] as const;
