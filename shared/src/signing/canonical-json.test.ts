import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64UrlDecode, base64UrlEncode } from './base64url';
import { CanonicalJsonError, canonicalJson } from './canonical-json';
import { canonicalSha256Hex, sha256Hex } from './digest';

describe('canonicalJson', () => {
  it('matches the RFC 8785 §3.2.2 example', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalJson(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (RFC 8785 §3.2.3)', () => {
    const input = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalJson(input)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('writes no whitespace and the same text for any key order', () => {
    expect(canonicalJson({ b: [1, { d: 2, c: 3 }], a: 'x y' })).toBe('{"a":"x y","b":[1,{"c":3,"d":2}]}');
    expect(canonicalJson(-0)).toBe('0');
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        expect(canonicalJson(JSON.parse(text))).toBe(text);
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it.each([
    ['undefined', undefined, ''],
    ['an undefined member', { a: { b: undefined } }, 'a.b'],
    ['an undefined item', [1, undefined], '1'],
    ['NaN', { x: Number.NaN }, 'x'],
    ['Infinity', [Number.POSITIVE_INFINITY], '0'],
    ['a function', { f: () => 1 }, 'f'],
    ['a bigint', { n: 1n }, 'n'],
    ['a symbol', { s: Symbol('s') }, 's'],
    ['a Date', { d: new Date(0) }, 'd'],
    ['a Map', { m: new Map() }, 'm'],
    ['a lone surrogate', { s: 'a\ud800' }, 's'],
  ])('refuses %s', (_name, value, path) => {
    expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
    try {
      canonicalJson(value);
    } catch (error) {
      expect((error as CanonicalJsonError).path).toBe(path);
    }
  });

  it('refuses cycles and excessive depth instead of overflowing the stack', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/nesting deeper/);
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    expect(() => canonicalJson(deep)).toThrow(CanonicalJsonError);
  });

  it('accepts null-prototype objects', () => {
    const value = Object.assign(Object.create(null), { b: 1, a: 2 });
    expect(canonicalJson(value)).toBe('{"a":2,"b":1}');
  });
});

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 vectors', async () => {
    expect(await sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(await sha256Hex('abc'));
    expect(await sha256Hex(new TextEncoder().encode('xabc').subarray(1))).toBe(await sha256Hex('abc'));
    expect(await sha256Hex(new TextEncoder().encode('abc').buffer)).toBe(await sha256Hex('abc'));
  });

  it('hashes canonical JSON regardless of key order', async () => {
    expect(await canonicalSha256Hex({ a: 1, b: 2 })).toBe(await canonicalSha256Hex({ b: 2, a: 1 }));
    expect(await canonicalSha256Hex({ a: 1 })).toBe(await sha256Hex('{"a":1}'));
    await expect(canonicalSha256Hex({ a: Number.NaN })).rejects.toThrow(CanonicalJsonError);
  });
});

describe('base64url', () => {
  it('round-trips any bytes (RFC 4648 vectors)', () => {
    expect(base64UrlEncode(new TextEncoder().encode('foobar'))).toBe('Zm9vYmFy');
    expect(base64UrlEncode(new TextEncoder().encode('fooba'))).toBe('Zm9vYmE');
    expect(base64UrlEncode(new Uint8Array([0xfb, 0xff]))).toBe('-_8');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        expect(base64UrlDecode(base64UrlEncode(bytes))).toEqual(bytes);
      }),
    );
  });

  it('refuses anything but canonical unpadded base64url', () => {
    for (const text of ['Zm9vYmE=', 'Zm9v+mE', 'Z', 'Zm9vYmF', 'Zm9vYmF/', 'Zm9vYmF5\u00e9', 'Zh']) {
      expect(base64UrlDecode(text), text).toBeUndefined();
    }
  });
});
