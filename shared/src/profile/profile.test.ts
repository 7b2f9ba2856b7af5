import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SketchMismatchError } from '../sketches/errors';
import { Profile } from './profile';
import type { ProfileSpec } from './spec';

const spec = (): ProfileSpec => ({
  v: 1,
  inputs: [
    { name: 'a', edges: [0, 1, 2, 3] },
    { name: 'b', edges: [-1, 0, 1] },
  ],
  outputs: [{ name: 'confidence', edges: [0, 0.5, 1.0000000000000002] }],
  classes: ['ok', 'defect'],
  latency: { relativeAccuracy: 0.01, maxBins: 2048 },
});

// biome-ignore lint/suspicious/noExplicitAny: the tests poke arbitrary fields of wire JSON
type Wire = Record<string, any>;

interface Event {
  a?: number;
  b?: number;
  extra?: number;
  confidence: number | null;
  label: string | number;
  ms: number;
  error?: string;
  shadow: [boolean, number];
}

const event: fc.Arbitrary<Event> = fc.record(
  {
    a: fc.oneof(fc.double({ min: -2, max: 5, noNaN: true }), fc.constant(Number.NaN)),
    b: fc.double({ min: -2, max: 2 }),
    extra: fc.integer(),
    confidence: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
    label: fc.oneof(fc.constantFrom('ok', 'defect', 'unknown'), fc.integer({ min: 0, max: 3 })),
    ms: fc.double({ min: 0, max: 500, noNaN: true }),
    error: fc.constantFrom('timeout', 'infer', 'preprocess'),
    shadow: fc.tuple(fc.boolean(), fc.double({ min: 0, max: 1, noNaN: true })),
  },
  { requiredKeys: ['confidence', 'label', 'ms', 'shadow'] },
);

function observe(p: Profile, events: Event[]): Profile {
  for (const e of events) {
    const { confidence, label, ms, error, shadow, ...inputs } = e;
    p.observeInputs(inputs as Record<string, number>);
    p.observeOutputs(confidence === null ? null : { confidence });
    p.observeClass(label);
    p.observeLatency('total', ms);
    p.observeLatency('infer', ms / 2);
    if (error) p.recordError(error);
    p.observeShadow(...shadow);
  }
  return p;
}

/** JSON with the float-order-dependent fields (means, m2, sums) zeroed, for exact comparison. */
function exactPart(p: Profile): unknown {
  const json = JSON.parse(JSON.stringify(p.toJSON()), (k, v) =>
    k === 'mean' || k === 'm2' || k === 'sum' ? 0 : v,
  );
  for (const f of [...json.inputs, ...json.outputs]) f.m.splice(1, 2, 0, 0);
  return json;
}

describe('Profile observations', () => {
  it('counts missing, out-of-range, unknown names, null outputs, classes, errors and shadow', () => {
    const p = new Profile(spec());
    p.observeInputs({ a: 0.5, b: 0 });
    p.observeInputs({ a: Number.NaN, b: 1, c: 3 }); // NaN a: missing; b = last edge: overflow; c: unknown
    p.observeInputs({ b: Number.NEGATIVE_INFINITY }); // absent a: missing; -Inf b: underflow
    p.observeOutputs({ confidence: 0.7 });
    p.observeOutputs(null);
    p.observeClass(1);
    p.observeClass('ok');
    p.observeClass('cat');
    p.observeClass(9);
    p.recordError('timeout');
    p.observeShadow(true, 0.01);
    p.observeShadow(false, 0.4);
    expect([p.inferences, p.missing, p.outOfRange, p.unknownFeatures, p.nullOutputs]).toEqual([
      3, 2, 2, 1, 1,
    ]);
    expect(p.inputs.get('a')!.histogram.counts).toEqual([0, 1, 0, 0, 0]);
    expect(p.inputs.get('b')!.moments.negInfCount).toBe(1);
    expect(p.classes.toJSON().c).toEqual([
      ['defect', 1],
      ['ok', 1],
    ]);
    expect(p.classes.other).toBe(2);
    expect(p.errors).toEqual({ timeout: 1 });
    expect([p.shadow.compared, p.shadow.agreed, p.shadow.maxAbsDiff.max]).toEqual([2, 1, 0.4]);
  });

  it('observeInputValues (spec order) matches observeInputs (by name)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double(), fc.double()), { maxLength: 30 }), (rows) => {
        const byName = new Profile(spec());
        const byIndex = new Profile(spec());
        for (const [a, b] of rows) {
          byName.observeInputs({ a, b });
          byIndex.observeInputValues([a, b]);
        }
        byIndex.observeInputValues([1]); // too short: b is missing
        byName.observeInputs({ a: 1 });
        expect(byIndex.toJSON()).toEqual(byName.toJSON());
      }),
      { numRuns: 50 },
    );
  });

  it('merge(profile(A), profile(B)) equals profile(A ∪ B); merge is commutative', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), fc.array(event, { maxLength: 20 }), (a, b) => {
        const merged = observe(new Profile(spec()), a).merge(observe(new Profile(spec()), b));
        expect(exactPart(merged)).toEqual(exactPart(observe(new Profile(spec()), [...a, ...b])));
        expect(exactPart(merged)).toEqual(
          exactPart(observe(new Profile(spec()), b).merge(observe(new Profile(spec()), a))),
        );
      }),
      { numRuns: 40 },
    );
  });

  it('refuses to merge a profile of another spec', () => {
    const other = spec();
    other.inputs[0]!.edges = [0, 1, 2, 4];
    const err = (() => {
      try {
        new Profile(spec()).merge(new Profile(other));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(SketchMismatchError);
    expect((err as SketchMismatchError).field).toBe('specHash');
  });
});

describe('Profile JSON', () => {
  it('round-trips with the spec given or embedded', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 20 }), (events) => {
        const p = observe(new Profile(spec()), events);
        const json = JSON.parse(JSON.stringify(p));
        expect(json.specHash).toBe(p.specHash);
        const back = Profile.fromJSON(json, spec());
        expect(back.ok && back.value.toJSON()).toEqual(p.toJSON());
        const embedded = Profile.fromJSON(JSON.parse(JSON.stringify(p.toJSON({ includeSpec: true }))));
        expect(embedded.ok && embedded.value.toJSON()).toEqual(p.toJSON());
      }),
      { numRuns: 40 },
    );
  });

  it('needs a spec, and refuses one whose hash differs', () => {
    const json = JSON.parse(JSON.stringify(new Profile(spec())));
    const none = Profile.fromJSON(json);
    expect(!none.ok && none.error.path).toBe('spec');
    const other = spec();
    other.classes = ['ok'];
    const wrong = Profile.fromJSON(json, other);
    expect(!wrong.ok && [wrong.error.kind, wrong.error.path]).toEqual(['mismatch', 'specHash']);
  });

  it.each([
    ['inputs.1.h', (j: Wire) => void j.inputs[1].h.push(1)],
    [
      'inputs.0.h',
      (j: Wire) => {
        j.inputs[0].h[1] += 1;
      },
    ],
    [
      'inputs.0.m.m2',
      (j: Wire) => {
        j.inputs[0].m[2] = -5;
      },
    ],
    ['inputs', (j: Wire) => void j.inputs.pop()],
    [
      'latency.total',
      (j: Wire) => {
        j.latency.total.alpha = 0.02;
      },
    ],
    [
      'latency.infer.count',
      (j: Wire) => {
        j.latency.infer.count = -1;
      },
    ],
    [
      'errors.c.0.0',
      (j: Wire) => {
        j.errors.c = [['x'.repeat(500), 1]];
      },
    ],
    [
      'shadow.agreed',
      (j: Wire) => {
        j.shadow.agreed = 99;
      },
    ],
    [
      'specHash',
      (j: Wire) => {
        j.specHash = 'NaN';
      },
    ],
    [
      'inputs',
      (j: Wire) => {
        j.inputs = new Array(100_000).fill({ m: {}, h: [] });
      },
    ],
  ])('rejects hostile JSON naming %s', (path, mutate) => {
    const p = observe(new Profile(spec()), [
      { a: 1, b: 0, confidence: 0.9, label: 'ok', ms: 3, shadow: [true, 0] },
      { a: 2, b: 0.5, confidence: 0.2, label: 'defect', ms: 9, shadow: [false, 0.5] },
    ]);
    const j = JSON.parse(JSON.stringify(p));
    mutate(j);
    const r = Profile.fromJSON(j, spec());
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.path).toBe(path);
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (j) => {
        Profile.fromJSON(j, spec());
      }),
      { numRuns: 50 },
    );
  });
});
