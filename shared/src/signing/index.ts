export {
  base64Decode,
  base64Encode,
  base64UrlDecode,
  base64UrlEncode,
} from './base64url';
export {
  CanonicalJsonError,
  canonicalJson,
  MAX_CANONICAL_DEPTH,
} from './canonical-json';
export {
  canonicalSha256Hex,
  sha256Hex,
  subtleCrypto,
  toArrayBufferView,
} from './digest';
export {
  exportPrivateJwk,
  exportPublicJwk,
  generateSigningKeyPair,
  importKeyRing,
  importPrivateJwk,
  importPublicJwk,
  jwkThumbprint,
  type KeyRing,
  keyIdOf,
  type PrivateJwk,
  privateJwkSchema,
} from './keys';
export {
  type ManifestKeys,
  type ManifestVerifyError,
  manifestSigningInput,
  signManifest,
  verifyManifest,
} from './manifest';
