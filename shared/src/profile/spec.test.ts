import { describe, expect, it } from 'vitest';
import { canonicalSpecJson, type ProfileSpec, parseProfileSpec, specHash } from './spec';

const spec = (): ProfileSpec => ({
  v: 1,
  inputs: [
    { name: 'brightness', edges: [0, 0.25, 0.5, 0.75, 1.0000000000000002] },
    { name: 'x[0]', edges: [-1, 1] },
  ],
  outputs: [{ name: 'confidence', edges: [0, 0.5, 0.9, 1.0000000000000002] }],
  classes: ['ok', 'defect'],
  latency: { relativeAccuracy: 0.01, maxBins: 2048 },
});

describe('specHash', () => {
  it('is 16 hex digits, stable across releases (pinned) and independent of key order', () => {
    const h = specHash(spec());
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(h).toBe('cf57e1875587a642');
    const reordered = {
      latency: { maxBins: 2048, relativeAccuracy: 0.01 },
      classes: ['ok', 'defect'],
      outputs: spec().outputs,
      inputs: spec().inputs,
      v: 1,
    } as ProfileSpec;
    expect(specHash(reordered)).toBe(h);
    expect(specHash({ ...spec(), note: 'stored alongside' } as ProfileSpec)).toBe(h);
  });

  it('changes with any edge, name, class or sketch parameter', () => {
    const variants: ((s: ProfileSpec) => void)[] = [
      (s) => {
        s.inputs[0]!.edges[1] = 0.2500000000000001;
      },
      (s) => {
        s.inputs[1]!.name = 'x[1]';
      },
      (s) => {
        s.classes = ['defect', 'ok'];
      },
      (s) => {
        s.latency.maxBins = 1024;
      },
      (s) => void s.inputs.reverse(),
      (s) => void delete s.classes,
    ];
    const seen = new Set([specHash(spec())]);
    for (const change of variants) {
      const s = spec();
      change(s);
      seen.add(specHash(s));
    }
    expect(seen.size).toBe(variants.length + 1);
  });

  it('canonical JSON sorts keys and drops undefined members', () => {
    expect(canonicalSpecJson({ b: 1, a: [2, { d: undefined, c: 'x' }] })).toBe('{"a":[2,{"c":"x"}],"b":1}');
  });
});

describe('parseProfileSpec', () => {
  it('accepts a valid spec', () => {
    expect(parseProfileSpec(spec()).ok).toBe(true);
  });

  it.each([
    [
      'inputs.0.edges',
      (s: ProfileSpec) => {
        s.inputs[0]!.edges = [1, 1];
      },
    ],
    [
      'inputs.0.edges',
      (s: ProfileSpec) => {
        s.inputs[0]!.edges = Array.from({ length: 30 }, (_, i) => i);
      },
    ],
    [
      'inputs.1.name',
      (s: ProfileSpec) => {
        s.inputs[1]!.name = '__proto__';
      },
    ],
    [
      'inputs.1.name',
      (s: ProfileSpec) => {
        s.inputs[1]!.name = 'toString';
      },
    ],
    [
      'inputs',
      (s: ProfileSpec) => {
        s.inputs[1]!.name = 'brightness';
      },
    ],
    [
      'classes',
      (s: ProfileSpec) => {
        s.classes = ['a', 'a'];
      },
    ],
    [
      'latency.relativeAccuracy',
      (s: ProfileSpec) => {
        s.latency.relativeAccuracy = 0;
      },
    ],
  ])('rejects a bad %s', (path, change) => {
    const s = spec();
    change(s);
    const r = parseProfileSpec(s);
    expect(!r.ok && r.error.path).toBe(path);
  });
});
