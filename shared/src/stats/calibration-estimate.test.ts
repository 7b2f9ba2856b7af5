import { describe, expect, it } from 'vitest';
import { type CalibrationCounts, checkCalibration, estimateAccuracy } from './calibration-estimate';
import { createRandom, type Random } from './random';

// `n` predictions with confidences uniform on [0.5, 1], each right with probability `truth(confidence)`; a
// share `labelShare` labelled.
function draw(
  rng: Random,
  n: number,
  truth: (c: number) => number,
  labelShare = 1,
): CalibrationCounts & { right: number } {
  const z = () => Array.from({ length: 10 }, () => 0);
  const c = {
    routed: z(),
    routedConfidence: z(),
    labelled: z(),
    correct: z(),
    labelledConfidence: z(),
    right: 0,
  };
  for (let i = 0; i < n; i++) {
    const conf = 0.5 + 0.5 * rng.uniform();
    const b = Math.min(9, Math.floor(conf * 10));
    const ok = rng.uniform() < truth(conf);
    if (ok) c.right++;
    c.routed[b]!++;
    c.routedConfidence[b]! += conf;
    if (rng.uniform() < labelShare) {
      c.labelled[b]!++;
      c.labelledConfidence[b]! += conf;
      if (ok) c.correct[b]!++;
    }
  }
  return c;
}

describe('label-free estimated accuracy and the calibration check', () => {
  it('computes the mean confidence and the bin-weighted labelled accuracy exactly', () => {
    const c: CalibrationCounts = {
      routed: [0, 0, 0, 0, 0, 100, 0, 0, 0, 300],
      routedConfidence: [0, 0, 0, 0, 0, 55, 0, 0, 0, 285],
      labelled: [0, 0, 0, 0, 0, 50, 0, 0, 0, 10],
      correct: [0, 0, 0, 0, 0, 20, 0, 0, 0, 10],
      labelledConfidence: [0, 0, 0, 0, 0, 27.5, 0, 0, 0, 9.5],
    };
    const e = estimateAccuracy(c);
    expect(e.inferences).toBe(400);
    expect(e.labelFree.estimate).toBeCloseTo(340 / 400, 12);
    // 0.25 × 20/50 + 0.75 × 10/10
    expect(e.calibrated?.estimate).toBeCloseTo(0.85, 12);
    expect(e.calibrated?.labelledBins).toBe(2);
    expect(estimateAccuracy({ ...c, labelled: c.labelled.map(() => 0) }).calibrated).toBe(null);
    const check = checkCalibration(c);
    // (|20 − 27.5| + |10 − 9.5|) / 60
    expect(check.ece).toBeCloseTo(8 / 60, 12);
  });

  it('flags a calibrated model at most at its alpha, and a miscalibrated one (10 points overconfident) (seeded)', () => {
    const rng = createRandom(21);
    let falseFlags = 0;
    let found = 0;
    const runs = 200;
    for (let r = 0; r < runs; r++) {
      if (
        checkCalibration(
          draw(rng, 500, (c) => c),
          { draws: 400, seed: r },
        ).miscalibrated
      )
        falseFlags++;
      if (
        checkCalibration(
          draw(rng, 500, (c) => c - 0.1),
          { draws: 400, seed: r },
        ).miscalibrated
      )
        found++;
    }
    // alpha 0.01: ≈ 2 of 200 expected at most; 6 would be p < 0.02 under a true rate of 1 %.
    expect(falseFlags).toBeLessThanOrEqual(6);
    expect(found).toBeGreaterThanOrEqual(0.9 * runs);
  });

  it('the calibrated estimate covers the realised accuracy about 95 % of the time when labels are sparse and skewed', () => {
    const rng = createRandom(33);
    let covered = 0;
    const runs = 300;
    for (let r = 0; r < runs; r++) {
      // A model overconfident by 5 points, 10 % of it labelled.
      const c = draw(rng, 2_000, (x) => x - 0.05, 0.1);
      const e = estimateAccuracy(c).calibrated!;
      const truth = c.right / 2_000;
      if (truth >= e.lower && truth <= e.upper) covered++;
    }
    expect(covered / runs).toBeGreaterThan(0.92);
  });
});
