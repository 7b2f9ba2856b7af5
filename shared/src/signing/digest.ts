import { canonicalJson } from './canonical-json';

const encoder = new TextEncoder();

/** Bytes WebCrypto accepts, copying only views over a SharedArrayBuffer. */
export const toArrayBufferView = (data: Uint8Array | ArrayBuffer | string): Uint8Array<ArrayBuffer> => {
  if (typeof data === 'string') return encoder.encode(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data.buffer instanceof ArrayBuffer ? (data as Uint8Array<ArrayBuffer>) : new Uint8Array(data);
};

/**
 * The platform's WebCrypto. Browsers expose it only in secure contexts (https, localhost): elsewhere this
 * throws an Error saying so, instead of a bare "cannot read properties of undefined".
 */
export const subtleCrypto = (): SubtleCrypto => {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) {
    throw new Error(
      'WebCrypto (crypto.subtle) is unavailable: browsers offer it only in secure contexts (https, localhost)',
    );
  }
  return subtle;
};

const toHex = (bytes: Uint8Array): string => {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
};

/** SHA-256 of bytes (a string is hashed as UTF-8), as 64 lowercase hex chars, via WebCrypto. */
export const sha256Hex = async (data: Uint8Array | ArrayBuffer | string): Promise<string> =>
  toHex(new Uint8Array(await subtleCrypto().digest('SHA-256', toArrayBufferView(data))));

/** SHA-256 hex of the canonical JSON of a value (e.g. `baselineSha256`); rejects as canonicalJson throws. */
export const canonicalSha256Hex = async (value: unknown): Promise<string> => sha256Hex(canonicalJson(value));
