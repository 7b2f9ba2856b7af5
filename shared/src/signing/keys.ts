import { type PublicJwk, publicJwkSchema } from '../protocol/manifest';
import { toParseError } from '../protocol/parse';
import { base64UrlSchema } from '../protocol/primitives';
import { fail, ok, type Result } from '../result';
import { z } from '../zod';
import { base64UrlEncode } from './base64url';
import { canonicalJson } from './canonical-json';
import { subtleCrypto, toArrayBufferView } from './digest';

const ECDSA_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** A P-256 private key as JWK: the public members plus `d`. Never leaves the fleet server. */
export const privateJwkSchema = z.extend(publicJwkSchema, { d: base64UrlSchema(43) });
/** A P-256 private key as JWK. */
export type PrivateJwk = z.infer<typeof privateJwkSchema>;

/** Members RFC 7638 hashes, per key type. */
const THUMBPRINT_MEMBERS: Record<string, readonly string[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  RSA: ['e', 'kty', 'n'],
  OKP: ['crv', 'kty', 'x'],
  oct: ['k', 'kty'],
};

/**
 * RFC 7638 JWK thumbprint: base64url SHA-256 of the canonical JSON of the key's required members.
 * Throws a TypeError for an unknown `kty` or a missing member.
 */
export const jwkThumbprint = async (jwk: { kty: string } & Record<string, unknown>): Promise<string> => {
  const members = THUMBPRINT_MEMBERS[jwk.kty];
  if (members === undefined) throw new TypeError(`unsupported JWK kty ${JSON.stringify(jwk.kty)}`);
  const required: Record<string, unknown> = {};
  for (const member of members) {
    if (typeof jwk[member] !== 'string') throw new TypeError(`JWK is missing the string member ${member}`);
    required[member] = jwk[member];
  }
  const digest = await subtleCrypto().digest('SHA-256', toArrayBufferView(canonicalJson(required)));
  return base64UrlEncode(new Uint8Array(digest));
};

/** Generates an extractable ECDSA P-256 key pair for signing manifests. */
export const generateSigningKeyPair = async (): Promise<CryptoKeyPair> =>
  subtleCrypto().generateKey(ECDSA_P256, true, ['sign', 'verify']);

const publicMembers = (jwk: JsonWebKey): Omit<PublicJwk, 'kid'> => ({
  kty: 'EC',
  crv: 'P-256',
  x: jwk.x ?? '',
  y: jwk.y ?? '',
});

/** Exports a public key as JWK with `kid` set to its thumbprint (the key id manifests are signed under). */
export const exportPublicJwk = async (publicKey: CryptoKey): Promise<PublicJwk> => {
  const members = publicMembers(await subtleCrypto().exportKey('jwk', publicKey));
  return { ...members, kid: await jwkThumbprint(members), alg: 'ES256', use: 'sig' };
};

/** Exports an (extractable) private key as JWK, `kid` included, e.g. to store the fleet key. */
export const exportPrivateJwk = async (privateKey: CryptoKey): Promise<PrivateJwk> => {
  const jwk = await subtleCrypto().exportKey('jwk', privateKey);
  const members = publicMembers(jwk);
  return { ...members, d: jwk.d ?? '', kid: await jwkThumbprint(members), alg: 'ES256', use: 'sig' };
};

/** The key id of a public key: its RFC 7638 thumbprint. */
export const keyIdOf = async (publicKey: CryptoKey): Promise<string> =>
  jwkThumbprint(publicMembers(await subtleCrypto().exportKey('jwk', publicKey)));

const importJwk = async <T extends PublicJwk>(
  schema: z.ZodMiniType<T>,
  jwk: unknown,
  usage: 'sign' | 'verify',
  extractable: boolean,
): Promise<Result<{ key: CryptoKey; keyId: string }>> => {
  const parsed = schema.safeParse(jwk);
  if (!parsed.success) return fail(toParseError(parsed.error));
  const { kid, alg: _alg, use: _use, ...members } = parsed.data;
  try {
    const keyId = await jwkThumbprint(members);
    if (kid !== undefined && kid !== keyId) {
      return fail({
        kind: 'mismatch',
        message: `kid ${kid} is not the key's thumbprint ${keyId}`,
        path: 'kid',
      });
    }
    const jwkMembers = { ...members, ext: extractable };
    const key = await subtleCrypto().importKey('jwk', jwkMembers, ECDSA_P256, extractable, [usage]);
    return ok({ key, keyId });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return fail({ kind: 'invalid', message: `not a usable P-256 key: ${reason}` });
  }
};

/** Imports a public JWK for verification; checks `kid`, if present, against the thumbprint. Never throws. */
export const importPublicJwk = async (jwk: unknown): Promise<Result<{ key: CryptoKey; keyId: string }>> =>
  importJwk(publicJwkSchema, jwk, 'verify', true);

/** Imports a private JWK for signing (non-extractable unless asked). Never throws. */
export const importPrivateJwk = async (
  jwk: unknown,
  options: { extractable?: boolean } = {},
): Promise<Result<{ key: CryptoKey; keyId: string }>> =>
  importJwk(privateJwkSchema, jwk, 'sign', options.extractable ?? false);

/** Verification keys by key id, as `verifyManifest` looks them up. */
export type KeyRing = ReadonlyMap<string, CryptoKey>;

/** Imports a list of public JWKs (e.g. an enrollment response's `signingKeys`) into a key ring. Never throws. */
export const importKeyRing = async (jwks: readonly unknown[]): Promise<Result<KeyRing>> => {
  const ring = new Map<string, CryptoKey>();
  for (const [index, jwk] of jwks.entries()) {
    const imported = await importPublicJwk(jwk);
    if (!imported.ok) {
      const path = imported.error.path ? `${index}.${imported.error.path}` : String(index);
      return fail({ ...imported.error, path });
    }
    ring.set(imported.value.keyId, imported.value.key);
  }
  return ok(ring);
};
