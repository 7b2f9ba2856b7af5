import { describe, expect, it } from 'vitest';
import { parseLabelFile } from './sidecar-labels';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('parseLabelFile', () => {
  it('reads a class name on one line (trimmed, BOM dropped) or JSON {label}', () => {
    expect(parseLabelFile(bytes('180\n'))).toBe('180');
    expect(parseLabelFile(bytes('\uFEFF  scratch  \r\n'))).toBe('scratch');
    expect(parseLabelFile(bytes('{"label": "0"}'))).toBe('0');
    expect(parseLabelFile(bytes('<b>x</b>'))).toBe('<b>x</b>'); // a name, checked against the classes later
  });

  it('refuses what is not one label, saying what was expected', () => {
    expect(() => parseLabelFile(bytes(''))).toThrow(/empty file/);
    expect(() => parseLabelFile(bytes('0\n180'))).toThrow(/one line/);
    expect(() => parseLabelFile(bytes('a\u0000b'))).toThrow(/control characters/);
    expect(() => parseLabelFile(new Uint8Array([0xff, 0xfe, 0x00]))).toThrow(/not UTF-8/);
    expect(() => parseLabelFile(bytes('{"label": 1}'))).toThrow(/label/);
    expect(() => parseLabelFile(bytes('{"label": "0", "x": 1}'))).toThrow(/expected JSON/);
    expect(() => parseLabelFile(bytes('{nope'))).toThrow(/invalid JSON/);
    expect(() => parseLabelFile(bytes('x'.repeat(129)))).toThrow(/at most 128/);
  });
});
