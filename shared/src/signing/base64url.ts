const DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const URL_ALPHABET = `${DIGITS}-_`;
const STANDARD_ALPHABET = `${DIGITS}+/`;
/** Lookup value of a character decoders step over (ASCII whitespace in standard base64). */
const SKIP = -2;
const PAD = 61; // '='

const lookupFor = (alphabet: string, skipped = ''): Int8Array => {
  const lookup = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) lookup[alphabet.charCodeAt(i)] = i;
  for (let i = 0; i < skipped.length; i++) lookup[skipped.charCodeAt(i)] = SKIP;
  return lookup;
};
const URL_LOOKUP = lookupFor(URL_ALPHABET);
const STANDARD_LOOKUP = lookupFor(STANDARD_ALPHABET, ' \t\r\n');

const encodeWith = (alphabet: string, bytes: Uint8Array): string => {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]! + alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += alphabet[n >> 18]! + alphabet[(n >> 12) & 63]! + alphabet[(n >> 6) & 63]!;
  }
  return out;
};

/**
 * Decodes the digits of `text` before `end` by `lookup`; `undefined` on a foreign character, a dangling
 * single digit, or unused trailing bits that are not zero (non-canonical: two strings, one decoding).
 */
const decodeWith = (lookup: Int8Array, text: string, end: number): Uint8Array | undefined => {
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let bits = 0;
  let buffer = 0;
  let o = 0;
  let digits = 0;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    const digit = code < 128 ? lookup[code]! : -1;
    if (digit === SKIP) continue;
    if (digit < 0) return undefined;
    digits++;
    buffer = ((buffer << 6) | digit) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  if (digits % 4 === 1 || (buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return o === out.length ? out : out.slice(0, o);
};

/** Encodes bytes as base64url without padding (RFC 4648 §5). */
export const base64UrlEncode = (bytes: Uint8Array): string => encodeWith(URL_ALPHABET, bytes);

/**
 * Decodes unpadded base64url; `undefined` for anything else, including non-canonical encodings whose
 * unused trailing bits are not zero (so two different strings never decode to the same signature).
 */
export const base64UrlDecode = (text: string): Uint8Array | undefined =>
  text.length % 4 === 1 ? undefined : decodeWith(URL_LOOKUP, text, text.length);

/** Encodes bytes as standard padded base64 (RFC 4648 §4), as `btoa` and Node's `Buffer` write it. */
export const base64Encode = (bytes: Uint8Array): string => {
  const text = encodeWith(STANDARD_ALPHABET, bytes);
  return text.length % 4 === 0 ? text : text.padEnd(text.length + 4 - (text.length % 4), '=');
};

/**
 * Decodes standard base64 (RFC 4648 §4) without `Buffer` or `atob`: padding optional but, when present,
 * right; ASCII whitespace (MIME line breaks) skipped; `undefined` for the URL alphabet, stray characters
 * or non-canonical trailing bits.
 * @example base64Decode('AACAPw==') // the 4 bytes of float32 1.0, little-endian
 */
export const base64Decode = (text: string): Uint8Array | undefined => {
  let end = text.length;
  while (end > 0 && STANDARD_LOOKUP[text.charCodeAt(end - 1)] === SKIP) end--;
  let pads = 0;
  while (pads < 2 && end > 0 && text.charCodeAt(end - 1) === PAD) {
    end--;
    pads++;
  }
  const out = decodeWith(STANDARD_LOOKUP, text, end);
  // One pad follows 2 bytes of a last group, two pads follow 1 byte.
  if (out === undefined || (pads > 0 && out.length % 3 !== 3 - pads)) return undefined;
  return out;
};
