import { describe, expect, it } from 'vitest';
import { murmur3x86_32 } from './murmur3';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('murmur3x86_32', () => {
  it('passes the SMHasher verification value 0xB0F57EE3', () => {
    // SMHasher's VerificationTest: hash keys {0}, {0,1}, … of length 0..255 with seed 256 - length,
    // hash the 256 little-endian results with seed 0.
    const key = new Uint8Array(256);
    const hashes = new Uint8Array(256 * 4);
    const view = new DataView(hashes.buffer);
    for (let i = 0; i < 256; i++) {
      key[i] = i;
      view.setUint32(i * 4, murmur3x86_32(key.subarray(0, i), 256 - i), true);
    }
    expect(murmur3x86_32(hashes, 0)).toBe(0xb0f57ee3);
  });

  it.each([
    [[], 0, 0],
    [[], 1, 0x514e28b7],
    [[], 0xffffffff, 0x81f16f39],
    [[0xff, 0xff, 0xff, 0xff], 0, 0x76293b50],
    [[0x21, 0x43, 0x65, 0x87], 0, 0xf55b516b],
    [[0x21, 0x43, 0x65, 0x87], 0x5082edee, 0x2362f9de],
    [[0x21, 0x43, 0x65], 0, 0x7e4a8634],
    [[0x21, 0x43], 0, 0xa0f7b07a],
    [[0x21], 0, 0x72661cf4],
    [[0, 0, 0, 0], 0, 0x2362f9de],
    [[0, 0, 0], 0, 0x85f0b427],
    [[0, 0], 0, 0x30f4c306],
    [[0], 0, 0x514e28b7],
  ])('matches the published vector for bytes %j seed %d', (bytes, seed, expected) => {
    expect(murmur3x86_32(new Uint8Array(bytes), seed)).toBe(expected);
  });

  it.each([
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['aaa', 0x9747b28c, 0x283e0130],
    ['aa', 0x9747b28c, 0x5d211726],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['abc', 0x9747b28c, 0xc84a62dd],
    ['ab', 0x9747b28c, 0x74875592],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['ππππππππ', 0x9747b28c, 0xd58063c1],
    ['a'.repeat(256), 0x9747b28c, 0x37405bdc],
    ['abc', 0, 0xb3dd93fa],
    ['abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq', 0, 0xee925b90],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
    ['foo', 0, -156908512 >>> 0], // mmh3.hash('foo') in Python
    ['foo', 42, -1322301282 >>> 0], // mmh3.hash('foo', 42)
  ])('matches the published vector for %j seed %d', (text, seed, expected) => {
    expect(murmur3x86_32(utf8(text), seed)).toBe(expected);
  });
});
