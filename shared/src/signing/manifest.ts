import {
  keyIdSchema,
  type Manifest,
  manifestSchema,
  type SignedManifest,
  signedManifestSchema,
} from '../protocol/manifest';
import { toParseError } from '../protocol/parse';
import { fail, ok, type Result } from '../result';
import { base64UrlDecode, base64UrlEncode } from './base64url';
import { canonicalJson } from './canonical-json';
import { subtleCrypto, toArrayBufferView } from './digest';
import type { KeyRing } from './keys';

const ES256 = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** Why a signed manifest was not accepted. */
export interface ManifestVerifyError {
  /**
   * `malformed`: not a signed manifest (`path` names the field); `unknown_key`: no key with that key id;
   * `unusable_key`: the key given cannot verify ES256; `bad_signature`: the signature does not match;
   * `unavailable`: no WebCrypto here (a browser page outside a secure context).
   */
  kind: 'malformed' | 'unknown_key' | 'unusable_key' | 'bad_signature' | 'unavailable';
  message: string;
  path?: string;
}

/** A single trusted verification key, or keys by key id. */
export type ManifestKeys = CryptoKey | KeyRing;

/** A JSON-only copy: drops keys whose value is `undefined` (absent optional fields), which JSON cannot carry. */
const plainJson = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * The exact bytes signed: UTF-8 of the canonical JSON of `{ alg, keyId, manifest }`. Covering `alg` and
 * `keyId` (like a JWS protected header) means neither can be swapped without breaking the signature.
 */
export const manifestSigningInput = (manifest: Manifest, keyId: string): Uint8Array<ArrayBuffer> =>
  toArrayBufferView(canonicalJson({ alg: 'ES256', keyId, manifest: plainJson(manifest) }));

/**
 * Signs a manifest with the fleet's private key (ES256). Throws a TypeError for a manifest or key id that
 * does not pass the protocol schema: signing is done on data the server has already validated.
 */
export const signManifest = async (
  manifest: Manifest,
  privateKey: CryptoKey,
  keyId: string,
): Promise<SignedManifest> => {
  const parsed = manifestSchema.safeParse(manifest);
  if (!parsed.success)
    throw new TypeError(`cannot sign an invalid manifest: ${toParseError(parsed.error).message}`);
  if (!keyIdSchema.safeParse(keyId).success)
    throw new TypeError(`cannot sign with an invalid key id ${JSON.stringify(keyId)}`);
  const signature = await subtleCrypto().sign(ES256, privateKey, manifestSigningInput(parsed.data, keyId));
  return {
    manifest: plainJson(parsed.data),
    signature: { alg: 'ES256', keyId, value: base64UrlEncode(new Uint8Array(signature)) },
  };
};

const lookUp = (keys: ManifestKeys, keyId: string): CryptoKey | undefined => {
  if (typeof (keys as KeyRing).get === 'function') return (keys as KeyRing).get(keyId);
  return keys as CryptoKey;
};

/**
 * Verifies a signed manifest (or a model ref, which carries `manifest` and `signature`) and returns the
 * manifest. With a single key, that key is trusted whatever `keyId` says (the key id is still signed);
 * with a key ring, the key is looked up by `keyId`. Never throws.
 */
export const verifyManifest = async (
  signed: unknown,
  keys: ManifestKeys,
): Promise<Result<Manifest, ManifestVerifyError>> => {
  const parsed = signedManifestSchema.safeParse(signed);
  if (!parsed.success) {
    const error = toParseError(parsed.error);
    return fail({ kind: 'malformed', message: error.message, ...(error.path ? { path: error.path } : {}) });
  }
  const { manifest, signature } = parsed.data;
  const signatureBytes = base64UrlDecode(signature.value);
  if (signatureBytes === undefined || signatureBytes.length !== 64) {
    return fail({
      kind: 'malformed',
      message: 'expected a 64-byte base64url signature',
      path: 'signature.value',
    });
  }
  const key = lookUp(keys, signature.keyId);
  if (key === undefined) {
    return fail({
      kind: 'unknown_key',
      message: `no trusted key with id ${signature.keyId}`,
      path: 'signature.keyId',
    });
  }
  let subtle: SubtleCrypto;
  try {
    subtle = subtleCrypto();
  } catch (error) {
    return fail({ kind: 'unavailable', message: error instanceof Error ? error.message : String(error) });
  }
  let valid: boolean;
  try {
    const input = manifestSigningInput(manifest, signature.keyId);
    valid = await subtle.verify(ES256, key, toArrayBufferView(signatureBytes), input);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail({ kind: 'unusable_key', message: `key cannot verify ES256: ${reason}` });
  }
  if (!valid)
    return fail({
      kind: 'bad_signature',
      message: 'signature does not match the manifest',
      path: 'signature',
    });
  return ok(manifest);
};
