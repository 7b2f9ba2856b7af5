import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildBaseline, nextUp } from './baseline';
import { Profile } from './profile';
import { parseProfileSpec } from './spec';

/** Deterministic PRNG (mulberry32) so the size test measures the same data every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const normal = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

describe('buildBaseline', () => {
  it('gives equal-mass bins, with every baseline value in range', () => {
    const r = rng(1);
    const samples = Array.from({ length: 20_000 }, () => ({ z: normal(r), temp: 300 + normal(r), u: r() }));
    const { spec, profile } = buildBaseline(samples);
    expect(parseProfileSpec(spec).ok).toBe(true);
    for (const f of spec.inputs) {
      expect(f.edges).toHaveLength(11);
      const counts = profile.inputs.get(f.name)!.histogram.counts;
      expect([counts[0], counts[counts.length - 1]]).toEqual([0, 0]);
      for (const c of counts.slice(1, -1)) expect(Math.abs(c / 20_000 - 0.1)).toBeLessThan(0.01);
    }
    expect([profile.inferences, profile.outOfRange, profile.missing]).toEqual([20_000, 0, 0]);
  });

  it('dedupes ties and still gives strictly increasing edges for constant and all-NaN features', () => {
    const samples = Array.from({ length: 1000 }, (_, i) => ({
      c: 7,
      three: i % 3,
      bin: i < 900 ? 0 : 1,
      nan: Number.NaN,
    }));
    const { spec, profile } = buildBaseline(samples, { bins: 20 });
    const edges = Object.fromEntries(spec.inputs.map((f) => [f.name, f.edges]));
    expect(edges.c).toEqual([7, nextUp(7)]);
    expect(edges.three!.length).toBeLessThanOrEqual(4);
    expect(edges.nan).toEqual([0, 1]);
    expect(parseProfileSpec(spec).ok).toBe(true);
    expect(profile.outOfRange).toBe(0);
    expect(profile.missing).toBe(1000);
  });

  it('always yields a valid spec whose profile holds the baseline in range', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            x: fc.double().filter((x) => Math.abs(x) !== Number.MAX_VALUE),
            y: fc.double({ min: -1e3, max: 1e3, noNaN: true }),
          }),
          { minLength: 1, maxLength: 100 },
        ),
        fc.integer({ min: 1, max: 20 }),
        (samples, bins) => {
          const { spec, profile } = buildBaseline(samples, { bins });
          expect(parseProfileSpec(spec).ok).toBe(true);
          const finite = samples.filter((s) => Number.isFinite(s.x)).length;
          expect(profile.inputs.get('y')!.histogram.outOfRange).toBe(0);
          expect(
            profile.inputs.get('x')!.histogram.total - profile.inputs.get('x')!.histogram.outOfRange,
          ).toBe(finite);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('reads a one-shot generator, outputs and labels', () => {
    function* samples() {
      for (let i = 0; i < 100; i++)
        yield { inputs: { x: i }, outputs: { confidence: (i % 10) / 10 }, label: i % 2 ? 'ok' : 'defect' };
    }
    const { spec, profile } = buildBaseline(samples());
    expect(spec.outputs.map((f) => f.name)).toEqual(['confidence']);
    expect(spec.classes).toEqual(['defect', 'ok']);
    expect(profile.inferences).toBe(100);
    expect(profile.classes.get('ok')).toBe(50);
    expect(profile.outputs.get('confidence')!.moments.count).toBe(100);
  });

  it('refuses more than 20 bins', () => {
    expect(() => buildBaseline([], { bins: 21 })).toThrow(RangeError);
  });
});

describe('window report size', () => {
  it('a 60 s window for 50 features (600 inferences) stays under 10 kB of JSON', () => {
    const r = rng(7);
    const names = Array.from({ length: 50 }, (_, i) =>
      i < 8 ? `ch${i % 3}.${['mean', 'std'][i % 2]}${i}` : `x[${i}]`,
    );
    const sample = (shift: number) =>
      Object.fromEntries(names.map((n, i) => [n, i * 10 + shift + normal(r)]));
    const { spec } = buildBaseline(
      Array.from({ length: 5000 }, () => ({
        inputs: sample(0),
        outputs: { confidence: r(), margin: r() },
        label: `class${Math.floor(r() * 10)}`,
      })),
    );
    const window = new Profile(spec);
    for (let i = 0; i < 600; i++) {
      window.observeInputs(sample(0.3));
      window.observeOutputs({ confidence: r(), margin: r() });
      window.observeClass(`class${Math.floor(r() * 10)}`);
      window.observeLatency('preprocess', 1 + 4 * r());
      window.observeLatency('infer', 5 + 200 * r() ** 3);
      window.observeLatency('total', 8 + 300 * r() ** 3);
      if (r() < 0.01) window.recordError('timeout');
      window.observeShadow(r() < 0.95, r() * 0.1);
    }
    const bytes = new TextEncoder().encode(JSON.stringify(window)).length;
    expect(bytes).toBeGreaterThan(5_000); // the fixture is realistic, not trivially small
    expect(bytes).toBeLessThan(10_000);
  });
});
