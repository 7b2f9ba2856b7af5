import { describe, expect, it } from 'vitest';
import { DDSketch } from '../sketches';
import { clopperPearson } from './binomial';
import { jsDistanceInterval, psiInterval } from './divergence';
import type { Interval } from './interval';
import { normalCdf } from './normal';
import { quantileInterval } from './quantile-bounds';
import { createRandom, type Random } from './random';
import { binCounts, binProbabilities, exactJsDistance, exactPsi, referenceEdges } from './simulate';

// Coverage properties: a 99 % interval must cover the true value in at least 98.5 % of 2,000 seeded draws (the
// binomial sd of the miss rate at 1 % is 0.22 %, so 1.5 % is > 2 sd of slack, and a real 2 % miss rate fails).
const DRAWS = 2_000;
const CONFIDENCE = 0.99;
const MIN_COVERAGE = 0.985;

function coverage(draw: (rng: Random) => { interval: Interval; truth: number }, seed: number): number {
  const rng = createRandom(seed);
  let covered = 0;
  for (let i = 0; i < DRAWS; i++) {
    const { interval, truth } = draw(rng);
    if (interval.lower <= truth && truth <= interval.upper) covered++;
  }
  return covered / DRAWS;
}

/** A baseline of `N` reference values (edges and counts as the baseline builder makes them) and a window of `n`. */
function driftDraw(rng: Random, N: number, n: number, shiftSd: number) {
  const reference = Array.from({ length: N }, () => rng.normal());
  const edges = referenceEdges(reference);
  const p = binProbabilities(edges, normalCdf);
  const q = binProbabilities(edges, (x) => normalCdf(x - shiftSd));
  return { baseline: binCounts(reference, edges), window: rng.multinomial(n, q), p, q };
}

// Each case draws 2,000 baselines and windows (3 s alone on this machine, past vitest's 5 s default when the
// suite runs beside other work): a property, not a speed target, so it gets room; the rates are unchanged.
describe('99 % intervals cover the truth in >= 98.5 % of 2,000 seeded draws', { timeout: 60_000 }, () => {
  it.each([
    [300, 100, 0],
    [300, 400, 1],
    [1000, 2000, 0.3],
    [300, 200_000, 0.3],
  ])('PSI: baseline %i, window %i, mean shifted by %f sd', (N, n, shift) => {
    const rate = coverage(
      (rng) => {
        const d = driftDraw(rng, N, n, shift);
        return { interval: psiInterval(d.baseline, d.window, CONFIDENCE), truth: exactPsi(d.p, d.q) };
      },
      1 + N + n,
    );
    expect(rate).toBeGreaterThanOrEqual(MIN_COVERAGE);
  });

  it.each([
    [300, 100, 0],
    [300, 400, 1],
  ])('JS distance: baseline %i, window %i, mean shifted by %f sd', (N, n, shift) => {
    const rate = coverage(
      (rng) => {
        const d = driftDraw(rng, N, n, shift);
        return {
          interval: jsDistanceInterval(d.baseline, d.window, CONFIDENCE),
          truth: exactJsDistance(d.p, d.q),
        };
      },
      2 + N + n,
    );
    expect(rate).toBeGreaterThanOrEqual(MIN_COVERAGE);
  });

  it('Clopper-Pearson, rates 0.1 % … 30 %, 20 … 20,000 trials', () => {
    const rate = coverage((rng) => {
      const truth = 10 ** (-3 + 2.5 * rng.uniform());
      const n = Math.round(10 ** (1.3 + 3 * rng.uniform()));
      return { interval: clopperPearson(rng.binomial(n, truth), n, CONFIDENCE), truth };
    }, 3);
    expect(rate).toBeGreaterThanOrEqual(MIN_COVERAGE);
  });

  it('latency p95 from DDSketch bins (log-normal latencies, 50 … 5,000 values)', () => {
    const truth = Math.exp(0.5 * 1.6448536269514722 + 3); // p95 of exp(N(3, 0.5²))
    const rate = coverage((rng) => {
      const n = Math.round(10 ** (1.7 + 2 * rng.uniform()));
      const sketch = new DDSketch();
      for (let i = 0; i < n; i++) sketch.add(Math.exp(3 + 0.5 * rng.normal()));
      return {
        interval: quantileInterval(n, 0.95, CONFIDENCE, sketch.quantile(0.95), (rank, edge) =>
          sketch.valueAtRank(rank, edge),
        ),
        truth,
      };
    }, 4);
    expect(rate).toBeGreaterThanOrEqual(MIN_COVERAGE);
  });
});

describe('bias correction', () => {
  it('the bias-corrected PSI of healthy windows averages far closer to 0 than the plug-in', () => {
    const rng = createRandom(5);
    let plugIn = 0;
    let corrected = 0;
    for (let i = 0; i < 200; i++) {
      const d = driftDraw(rng, 300, 100, 0);
      const interval = psiInterval(d.baseline, d.window, CONFIDENCE);
      plugIn += interval.plugIn / 200;
      corrected += interval.estimate / 200;
    }
    expect(plugIn).toBeGreaterThan(0.1); // ≈ 11 bins × (1/100 + 1/300)
    expect(corrected).toBeLessThan(plugIn / 3);
  });

  it('a window far larger than the baseline keeps a narrow bound when it barely reaches a tail', () => {
    // A 300-sample reference whose minimum lies far out: 11 of 600,000 window values fall below it. Counted as
    // a near-empty multinomial bin, that tail inflated the dispersion ×8 and the healthy bound to 0.36.
    const baseline = [0, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 0];
    const window = [11, 51998, 46111, 66359, 55253, 60100, 61436, 59648, 64708, 68070, 64815, 1491];
    const interval = psiInterval(baseline, window, CONFIDENCE);
    expect(interval.df).toBeGreaterThan(8);
    expect(interval.upper).toBeLessThan(0.1);
  });

  it('a large shift is estimated within 15 % and its interval excludes 0', () => {
    const rng = createRandom(6);
    const d = driftDraw(rng, 2000, 5000, 1);
    const interval = psiInterval(d.baseline, d.window, CONFIDENCE);
    const truth = exactPsi(d.p, d.q);
    expect(Math.abs(interval.estimate - truth)).toBeLessThan(0.15 * truth);
    expect(interval.lower).toBeGreaterThan(0.5 * truth);
  });
});
