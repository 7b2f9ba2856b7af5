import { z } from 'zod';
import { profileJsonSchema } from '../profile/profile-json';
import { profileSpecSchema } from '../profile/spec';
import { MAX_ARTIFACT_BYTES, publicJwkSchema } from './manifest';
import { preprocessingSpecSchema } from './preprocessing';
import {
  idSchema,
  labelsSchema,
  modelVersionIdSchema,
  modelVersionSchema,
  sha256HexSchema,
  textSchema,
  timestampMsSchema,
} from './primitives';
import { capabilitiesSchema } from './reported';

/** `POST /api/v1/enroll`: a device trades a one-time enrollment token for its own credentials. */
export const enrollRequestSchema = z.object({
  enrollmentToken: z.string().min(16).max(512),
  deviceId: idSchema,
  labels: labelsSchema,
  capabilities: capabilitiesSchema,
  agentVersion: textSchema(64),
});
/** Enrollment request body. */
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;

/** Where an MQTT client connects (`mqtt://`, `mqtts://`, `ws://`, `wss://`). */
export const mqttUrlSchema = z
  .string()
  .max(2048)
  .regex(/^(mqtts?|wss?):\/\/[^\s]+$/, 'expected an mqtt://, mqtts://, ws:// or wss:// URL');

/** The credentials and endpoints an enrolled device uses; `signingKeys` verify every manifest. */
export const enrollResponseSchema = z.object({
  deviceId: idSchema,
  fleet: idSchema,
  deviceToken: z.string().min(16).max(512),
  mqttUrl: mqttUrlSchema,
  apiUrl: z.url({ protocol: /^https?$/ }).max(2048),
  signingKeys: z.array(publicJwkSchema).min(1).max(8),
});
/** Enrollment response body. */
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

const paramValueSchema = z.union([z.string().max(1024), z.number(), z.boolean()]);

const boundedRecord = <T extends z.ZodType>(value: T, max: number) =>
  z
    .record(z.string().min(1).max(128), value)
    .refine((record) => Object.keys(record).length <= max, `expected at most ${max} entries`);

/** Where a model version came from: whatever the admin passes to `model push`. */
export const lineageSchema = z.object({
  createdBy: textSchema(128),
  createdAt: timestampMsSchema.optional(),
  trainingDataSha256: sha256HexSchema.optional(),
  codeRevision: textSchema(128).optional(),
  parent: modelVersionIdSchema.optional(),
  /** The dataset (`POST /api/v1/datasets` id) this version was trained on; the server checks it exists. */
  trainedOn: idSchema.optional(),
  params: boundedRecord(paramValueSchema, 256).optional(),
  metrics: boundedRecord(z.number(), 256).optional(),
  notes: textSchema(4096).optional(),
});
/** Where a model version came from. */
export type Lineage = z.infer<typeof lineageSchema>;

/**
 * `POST /api/v1/models/{name}/versions`: metadata of a version whose artifact was uploaded by sha256.
 * `baseline` (ProfileSpec and baseline Profile JSON) is computed by `model push` from the reference set.
 */
export const modelVersionCreateSchema = z.object({
  name: idSchema,
  version: modelVersionSchema,
  sha256: sha256HexSchema,
  sizeBytes: z.int().min(1).max(MAX_ARTIFACT_BYTES),
  preprocessing: preprocessingSpecSchema,
  baseline: z.object({ spec: profileSpecSchema, profile: profileJsonSchema }),
  golden: z.object({ sha256: sha256HexSchema }).optional(),
  lineage: lineageSchema,
});
/** Metadata of a new model version. */
export type ModelVersionCreate = z.infer<typeof modelVersionCreateSchema>;
