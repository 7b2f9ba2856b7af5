import { z } from '../zod';
import { preprocessingSpecSchema } from './preprocessing';
import {
  base64UrlSchema,
  hashHexSchema,
  idSchema,
  modelVersionSchema,
  sha256HexSchema,
  timestampMsSchema,
  urlSchema,
} from './primitives';

/** Largest artifact a manifest may describe (64 GiB). */
export const MAX_ARTIFACT_BYTES = 64 * 1024 ** 3;

/**
 * What the fleet signs about one model version. Strict: an unknown field is an error, so what a client
 * verifies is exactly what was signed. `specHash` is the hash of the ProfileSpec (baseline bin edges),
 * `baselineSha256` the sha256 of the baseline profile's canonical JSON, `goldenSha256` that of the
 * optional golden input/output pair.
 */
export const manifestSchema = z.strictObject({
  v: z.literal(1),
  fleet: idSchema,
  name: idSchema,
  version: modelVersionSchema,
  format: z.literal('onnx'),
  sha256: sha256HexSchema,
  sizeBytes: z.int().check(z.gte(1), z.lte(MAX_ARTIFACT_BYTES)),
  preprocessing: preprocessingSpecSchema,
  specHash: hashHexSchema,
  baselineSha256: sha256HexSchema,
  goldenSha256: z.optional(sha256HexSchema),
  createdAt: timestampMsSchema,
});
/** What the fleet signs about one model version (see {@link manifestSchema}). */
export type Manifest = z.infer<typeof manifestSchema>;

/** A key id: the RFC 7638 JWK thumbprint (base64url SHA-256, 43 chars) of the signing key. */
export const keyIdSchema = z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/, 'expected a base64url key id'));

/** An ES256 signature: `value` is the 64-byte IEEE P1363 `r‖s`, base64url without padding (86 chars). */
export const manifestSignatureSchema = z.strictObject({
  alg: z.literal('ES256'),
  keyId: keyIdSchema,
  value: base64UrlSchema(86),
});
/** An ES256 signature over a manifest (see {@link manifestSignatureSchema}). */
export type ManifestSignature = z.infer<typeof manifestSignatureSchema>;

/** A manifest with its signature; see `signManifest` / `verifyManifest` in signing/. */
export const signedManifestSchema = z.object({
  manifest: manifestSchema,
  signature: manifestSignatureSchema,
});
/** A manifest with its signature. */
export type SignedManifest = z.infer<typeof signedManifestSchema>;

/**
 * A model version as a client receives it: the signed manifest plus where to fetch the artifact, the
 * ProfileSpec (whose hash is `manifest.specHash`) and, if the manifest names one, the golden pair.
 */
export const modelRefSchema = z
  .object({
    manifest: manifestSchema,
    signature: manifestSignatureSchema,
    artifactUrl: urlSchema,
    profileSpecUrl: urlSchema,
    goldenUrl: z.optional(urlSchema),
  })
  .check(
    z.refine((ref) => ref.goldenUrl === undefined || ref.manifest.goldenSha256 !== undefined, {
      message: 'expected manifest.goldenSha256 to verify goldenUrl with',
      path: ['manifest', 'goldenSha256'],
    }),
  );
/** A model version as a client receives it (see {@link modelRefSchema}). */
export type ModelRef = z.infer<typeof modelRefSchema>;

/** A P-256 public key as JWK (RFC 7517); `kid`, if present, is its RFC 7638 thumbprint. */
export const publicJwkSchema = z.object({
  kty: z.literal('EC'),
  crv: z.literal('P-256'),
  x: base64UrlSchema(43),
  y: base64UrlSchema(43),
  kid: z.optional(keyIdSchema),
  alg: z.optional(z.literal('ES256')),
  use: z.optional(z.literal('sig')),
});
/** A P-256 public key as JWK. */
export type PublicJwk = z.infer<typeof publicJwkSchema>;
