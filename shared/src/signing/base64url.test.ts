import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Decode, base64Encode } from './base64url';

describe('base64 (standard alphabet)', () => {
  it('round-trips any bytes and matches the RFC 4648 vectors and btoa', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [text, encoded] of vectors) {
      expect(base64Encode(new TextEncoder().encode(text))).toBe(encoded);
      expect(new TextDecoder().decode(base64Decode(encoded))).toBe(text);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = base64Encode(bytes);
        expect(encoded).toBe(btoa(String.fromCharCode(...bytes)));
        expect(base64Decode(encoded)).toEqual(bytes);
        expect(base64Decode(encoded.replace(/=+$/, ''))).toEqual(bytes);
      }),
    );
  });

  it('steps over line breaks and spaces (MIME-wrapped output)', () => {
    expect(base64Decode('Zm9v\nYmE=\r\n')).toEqual(new TextEncoder().encode('fooba'));
    expect(base64Decode(' Zm 9v ')).toEqual(new TextEncoder().encode('foo'));
  });

  it('refuses the URL alphabet, stray characters, wrong padding and non-canonical tails', () => {
    for (const text of [
      '-_8=',
      'Zm9v!',
      'Z',
      'Zg=',
      'Zm8==',
      'Zg===',
      '=',
      'Zm=9v',
      'Zh==',
      'Zm9=',
      'Zé==',
    ]) {
      expect(base64Decode(text), text).toBeUndefined();
    }
  });
});
