import { profileJsonSchema } from '../profile/profile-json';
import { profileSpecSchema } from '../profile/spec';
import { z } from '../zod';
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
  enrollmentToken: z.string().check(z.minLength(16), z.maxLength(512)),
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
  .check(
    z.maxLength(2048),
    z.regex(/^(mqtts?|wss?):\/\/[^\s]+$/, 'expected an mqtt://, mqtts://, ws:// or wss:// URL'),
  );

/** The credentials and endpoints an enrolled device uses; `signingKeys` verify every manifest. */
export const enrollResponseSchema = z.object({
  deviceId: idSchema,
  fleet: idSchema,
  deviceToken: z.string().check(z.minLength(16), z.maxLength(512)),
  mqttUrl: mqttUrlSchema,
  apiUrl: z.url({ protocol: /^https?$/ }).check(z.maxLength(2048)),
  signingKeys: z.array(publicJwkSchema).check(z.minLength(1), z.maxLength(8)),
});
/** Enrollment response body. */
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

const paramValueSchema = z.union([z.string().check(z.maxLength(1024)), z.number(), z.boolean()]);

const boundedRecord = <T extends z.ZodMiniType>(value: T, max: number) =>
  z
    .record(z.string().check(z.minLength(1), z.maxLength(128)), value)
    .check(z.refine((record) => Object.keys(record).length <= max, `expected at most ${max} entries`));

/** Where a model version came from: whatever the admin passes to `model push`. */
export const lineageSchema = z.object({
  createdBy: textSchema(128),
  createdAt: z.optional(timestampMsSchema),
  trainingDataSha256: z.optional(sha256HexSchema),
  codeRevision: z.optional(textSchema(128)),
  parent: z.optional(modelVersionIdSchema),
  params: z.optional(boundedRecord(paramValueSchema, 256)),
  metrics: z.optional(boundedRecord(z.number(), 256)),
  notes: z.optional(textSchema(4096)),
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
  sizeBytes: z.int().check(z.gte(1), z.lte(MAX_ARTIFACT_BYTES)),
  preprocessing: preprocessingSpecSchema,
  baseline: z.object({ spec: profileSpecSchema, profile: profileJsonSchema }),
  golden: z.optional(z.object({ sha256: sha256HexSchema })),
  lineage: lineageSchema,
});
/** Metadata of a new model version. */
export type ModelVersionCreate = z.infer<typeof modelVersionCreateSchema>;
