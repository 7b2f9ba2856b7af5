import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64Encode } from '../signing/base64url';
import { type GoldenPairJson, MAX_GOLDEN_BYTES, parseGoldenPair, validateGoldenPair } from './pair';

const base64Of = (data: Float32Array) => base64Encode(new Uint8Array(data.buffer));

const pair = (outputs: number[] = [0.5, 0.25]): GoldenPairJson => ({
  format: 'edgefleet.golden',
  v: 1,
  inputs: { x: { dtype: 'float32', dims: [2], base64: base64Of(new Float32Array([1, 2])) } },
  outputs: { y: { dtype: 'float32', dims: [2], data: outputs } },
  tolerance: { abs: 0.01, rel: 0 },
});
const text = (json: unknown) => JSON.stringify(json);

describe('parseGoldenPair', () => {
  it('decodes data and base64 tensors, from text and from bytes', () => {
    for (const payload of [text(pair()), new TextEncoder().encode(text(pair()))]) {
      const parsed = parseGoldenPair(payload);
      expect(parsed).toEqual({
        ok: true,
        value: {
          inputs: { x: { dtype: 'float32', dims: [2], data: new Float32Array([1, 2]) } },
          outputs: { y: { dtype: 'float32', dims: [2], data: new Float32Array([0.5, 0.25]) } },
          tolerance: { abs: 0.01, rel: 0 },
        },
      });
    }
  });

  it('defaults the tolerance to abs 1e-4 + rel 1e-3', () => {
    const { tolerance: _, ...untoleranced } = pair();
    const parsed = parseGoldenPair(text(untoleranced));
    expect(parsed.ok && parsed.value.tolerance).toEqual({ abs: 1e-4, rel: 1e-3 });
  });

  it('round-trips any float32 input through base64 and any data output', () => {
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 1, maxLength: 64, noDefaultInfinity: true }),
        fc.array(fc.oneof(fc.double({ noDefaultInfinity: true, noNaN: true }), fc.constant(null)), {
          minLength: 1,
          maxLength: 16,
        }),
        (input, output) => {
          const json = {
            ...pair(),
            inputs: { x: { dtype: 'float32', dims: [input.length], base64: base64Of(input) } },
            outputs: { y: { dtype: 'float64', dims: [1, output.length], data: output } },
          };
          const parsed = parseGoldenPair(text(json));
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          expect(parsed.value.inputs.x!.data).toEqual(input);
          // JSON writes -0 as 0.
          expect([...parsed.value.outputs.y!.data]).toEqual(output.map((v) => (v ?? Number.NaN) + 0));
        },
      ),
    );
  });

  // Every malformed file the server refused at upload and the agent refused at its golden step.
  const hostile: [string, string | Uint8Array, { kind: string; path?: string; message?: RegExp }][] = [
    ['not JSON', 'not json', { kind: 'invalid_json' }],
    ['not UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), { kind: 'invalid_json' }],
    ['an empty object', text({}), { kind: 'invalid' }],
    ['another format', text({ ...pair(), format: 'other' }), { kind: 'invalid', path: 'format' }],
    ['another version', text({ ...pair(), v: 2 }), { kind: 'unsupported_version', path: 'v' }],
    ['an unknown field', text({ ...pair(), extra: 1 }), { kind: 'invalid' }],
    [
      'data that do not fill dims',
      text({ ...pair(), inputs: { x: { dtype: 'float32', dims: [1, 2], data: [1] } } }),
      { kind: 'invalid', path: 'inputs.x', message: /need 2 values/ },
    ],
    [
      'base64 bytes that do not fit dims',
      text({ ...pair(), inputs: { x: { dtype: 'float32', dims: [1, 2], base64: 'AAAA' } } }),
      { kind: 'invalid', path: 'inputs.x', message: /need 8 bytes, got 3/ },
    ],
    [
      'base64 that is not base64',
      text({ ...pair(), inputs: { x: { dtype: 'uint8', dims: [3], base64: 'AA$A' } } }),
      { kind: 'invalid', path: 'inputs.x.base64' },
    ],
    [
      'a negative tolerance',
      text({ ...pair(), tolerance: { abs: -1, rel: 0 } }),
      { kind: 'invalid', path: 'tolerance.abs' },
    ],
    [
      'a huge tolerance',
      text({ ...pair(), tolerance: { abs: 0, rel: 1e7 } }),
      { kind: 'invalid', path: 'tolerance.rel' },
    ],
    ['no outputs', text({ ...pair(), outputs: {} }), { kind: 'invalid', path: 'outputs' }],
    [
      '17 inputs',
      text({
        ...pair(),
        inputs: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`x${i}`, pair().inputs.x])),
      }),
      { kind: 'invalid', path: 'inputs' },
    ],
    [
      'an empty tensor name',
      text({ ...pair(), inputs: { '': pair().inputs.x } }),
      { kind: 'invalid', path: 'inputs.' },
    ],
    [
      'a 129-char tensor name',
      text({ ...pair(), inputs: { ['x'.repeat(129)]: pair().inputs.x } }),
      { kind: 'invalid' },
    ],
    [
      'a float16 tensor',
      text({ ...pair(), outputs: { y: { dtype: 'float16', dims: [1], data: [1] } } }),
      { kind: 'invalid', path: 'outputs.y.dtype' },
    ],
    [
      'both data and base64',
      text({ ...pair(), outputs: { y: { dtype: 'float32', dims: [1], data: [1], base64: 'AACAPw==' } } }),
      { kind: 'invalid', path: 'outputs.y.data' },
    ],
    [
      'neither data nor base64',
      text({ ...pair(), outputs: { y: { dtype: 'float32', dims: [1] } } }),
      { kind: 'invalid', path: 'outputs.y.data' },
    ],
    [
      'negative dims',
      text({ ...pair(), outputs: { y: { dtype: 'float32', dims: [-1], data: [] } } }),
      { kind: 'invalid', path: 'outputs.y.dims.0' },
    ],
    [
      'nine dims',
      text({ ...pair(), outputs: { y: { dtype: 'float32', dims: Array(9).fill(1), data: [1] } } }),
      { kind: 'invalid', path: 'outputs.y.dims' },
    ],
    [
      'dims past 16 Mi elements',
      text({ ...pair(), outputs: { y: { dtype: 'float64', dims: [4096, 4096, 2], data: [] } } }),
      { kind: 'invalid', path: 'outputs.y', message: /at most 16777216/ },
    ],
    [
      'an int64 null',
      text({ ...pair(), outputs: { y: { dtype: 'int64', dims: [1], data: [null] } } }),
      { kind: 'invalid', path: 'outputs.y.data.0' },
    ],
    [
      'an int64 past 2^63',
      '{"format":"edgefleet.golden","v":1,"inputs":{"x":{"dtype":"uint8","dims":[0],"data":[]}},"outputs":{"y":{"dtype":"int64","dims":[1],"data":[1e400]}}}',
      { kind: 'invalid' },
    ],
    [
      'a string for data',
      text({ ...pair(), outputs: { y: { dtype: 'float32', dims: [1], data: ['1'] } } }),
      { kind: 'invalid' },
    ],
  ];

  it.each(hostile)('refuses %s with a result, never a throw', (_name, payload, error) => {
    const parsed = parseGoldenPair(payload);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error).toMatchObject({ kind: error.kind, ...(error.path ? { path: error.path } : {}) });
    if (error.message) expect(parsed.error.message).toMatch(error.message);
  });

  it('refuses a file over MAX_GOLDEN_BYTES before reading it', () => {
    const parsed = parseGoldenPair(new Uint8Array(MAX_GOLDEN_BYTES + 1));
    expect(parsed).toMatchObject({ ok: false, error: { kind: 'too_large' } });
  });

  it('keeps a __proto__ tensor name from touching any prototype', () => {
    const parsed = parseGoldenPair(text(pair()).replace('"inputs":{"x"', '"inputs":{"__proto__":{},"x"'));
    expect(parsed.ok && Object.keys(parsed.value.inputs)).toEqual(['x']);
    expect(({} as Record<string, unknown>).dtype).toBeUndefined();
  });
});

describe('validateGoldenPair', () => {
  it('checks a value already parsed from JSON, naming the field at fault', () => {
    expect(validateGoldenPair(pair()).ok).toBe(true);
    expect(validateGoldenPair({ ...pair(), format: 'other' })).toMatchObject({
      ok: false,
      error: { kind: 'invalid', path: 'format', message: expect.stringMatching(/^format: /) },
    });
    expect(validateGoldenPair(pair([1]))).toMatchObject({ ok: false, error: { path: 'outputs.y' } });
    expect(validateGoldenPair(undefined).ok).toBe(false);
  });

  it('turns a throwing getter into a failed result', () => {
    const trap = { ...pair() };
    Object.defineProperty(trap, 'inputs', {
      enumerable: true,
      get() {
        throw new Error('trap');
      },
    });
    expect(validateGoldenPair(trap)).toMatchObject({ ok: false, error: { message: /trap/ } });
  });
});

describe('golden parsing under fuzzing', () => {
  const tensor = fc.record({
    dtype: fc.constantFrom('float32', 'float64', 'int32', 'int64', 'uint8', 'int8', 'bool', 'float16', 'x'),
    dims: fc.array(fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant(1e9), fc.double()), {
      maxLength: 9,
    }),
    data: fc.option(
      fc.array(fc.oneof(fc.double(), fc.boolean(), fc.constant(null), fc.string()), { maxLength: 40 }),
      {
        nil: undefined,
      },
    ),
    base64: fc.option(fc.oneof(fc.string(), fc.base64String({ maxLength: 64 })), { nil: undefined }),
  });
  const tensors = fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(tensor, fc.anything()), { maxKeys: 4 });
  const pairLike = fc.record(
    {
      format: fc.oneof(fc.constant('edgefleet.golden'), fc.string()),
      v: fc.oneof(fc.constant(1), fc.integer()),
      inputs: tensors,
      outputs: tensors,
      tolerance: fc.anything(),
    },
    { requiredKeys: ['format', 'v'] },
  );

  it('never throws on arbitrary text, bytes or values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.uint8Array()), (payload) => {
        expect(typeof parseGoldenPair(payload).ok).toBe('boolean');
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue()), (value) => {
        expect(typeof validateGoldenPair(value).ok).toBe('boolean');
      }),
    );
  });

  it('never throws when any one value of a valid pair is replaced by any JSON value', () => {
    const valid = {
      ...pair(),
      inputs: { x: pair().inputs.x, m: { dtype: 'int64', dims: [1, 2], data: [3, -4] } },
    };
    const paths: string[][] = [];
    const walk = (value: unknown, path: string[]) => {
      if (value === null || typeof value !== 'object') return;
      for (const [key, child] of Object.entries(value)) {
        paths.push([...path, key]);
        walk(child, [...path, key]);
      }
    };
    walk(valid, []);
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue(), (path, replacement) => {
        const mutated = structuredClone(valid) as Record<string, unknown>;
        let parent = mutated;
        for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
        parent[path[path.length - 1]!] = replacement;
        const parsed = parseGoldenPair(text(mutated));
        if (!parsed.ok) expect(parsed.error.message).not.toBe('');
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on pair-shaped files, and every tensor it accepts fills its dims', () => {
    fc.assert(
      fc.property(pairLike, (json) => {
        const parsed = parseGoldenPair(text(json));
        if (!parsed.ok) return;
        for (const t of [...Object.values(parsed.value.inputs), ...Object.values(parsed.value.outputs)]) {
          expect(t.data.length).toBe(t.dims.reduce((a, b) => a * b, 1));
        }
      }),
      { numRuns: 500 },
    );
  });
});
