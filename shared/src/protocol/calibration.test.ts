import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Profile } from '../profile';
import {
  CALIBRATION_BINS,
  type Calibration,
  calibrationBin,
  calibrationSchema,
  emptyCalibration,
  mergeCalibration,
} from './calibration';
import { countLabel, countRoute, emptyFeedback, type FeedbackAggregate, mergeFeedback } from './feedback';
import { sampleProfileSpec, sampleTelemetry } from './samples';
import { telemetryReportSchema } from './telemetry';

// A report of 5 inferences carrying `feedback`.
function reportWith(feedback: unknown) {
  const profile = new Profile(sampleProfileSpec());
  for (let i = 0; i < 5; i++) {
    profile.observeInputs({ brightness: 0.5 });
    profile.observeOutputs({ confidence: 0.95 });
  }
  return { ...sampleTelemetry(), profile: profile.toJSON(), feedback };
}

const messageOf = (value: unknown) => {
  const r = telemetryReportSchema.safeParse(value);
  return r.success ? 'ok' : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
};

// 4 routed (0.95, 0.91, 0.55, 0.05), 3 labelled: 0.95 right, 0.91 right, 0.55 wrong.
function counted(): FeedbackAggregate {
  const f = emptyFeedback(['ok', 'defect']);
  for (const c of [0.95, 0.91, 0.55, 0.05]) countRoute(f, 'auto', c);
  countLabel(f, { trueIndex: 0, predictedIndex: 0, route: 'auto', confidence: 0.95 });
  countLabel(f, { trueIndex: 1, predictedIndex: 1, route: 'auto', confidence: 0.91 });
  countLabel(f, { trueIndex: 1, predictedIndex: 0, route: 'auto', confidence: 0.55 });
  return f;
}

describe('calibration counts in the feedback aggregate', () => {
  it('bins confidences into 10 equal-width bins on [0, 1]; nothing outside', () => {
    expect(calibrationBin(0)).toBe(0);
    expect(calibrationBin(0.0999)).toBe(0);
    expect(calibrationBin(0.1)).toBe(1);
    expect(calibrationBin(0.95)).toBe(9);
    expect(calibrationBin(1)).toBe(9);
    for (const bad of [-0.01, 1.01, Number.NaN, Number.POSITIVE_INFINITY])
      expect(calibrationBin(bad)).toBe(undefined);
  });

  it('counts routes and labels with their confidence, and travels in a valid report', () => {
    const f = counted();
    expect(f.calibration?.routed).toEqual([1, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(f.calibration?.routedConfidence[9]).toBeCloseTo(1.86, 12);
    expect(f.calibration?.labelled).toEqual([0, 0, 0, 0, 0, 1, 0, 0, 0, 2]);
    expect(f.calibration?.correct).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(f.labels.auto).toEqual({ labelled: 3, correct: 2 });
    expect(messageOf(reportWith(f))).toBe('ok');
    // Without a confidence nothing is binned (and no calibration appears): old clients' aggregates stay as they were.
    const plain = emptyFeedback(['ok', 'defect']);
    countRoute(plain, 'review');
    expect(countLabel(plain, { trueIndex: 0, predictedIndex: 1, route: 'review' })).toBe(true);
    expect(plain.calibration).toBe(undefined);
    expect(messageOf(reportWith(plain))).toBe('ok');
    expect(countLabel(plain, { trueIndex: 2, predictedIndex: 0, route: 'review' })).toBe(false);
  });

  it('refuses forged calibrations with the path and the reason', () => {
    const f = counted();
    const forge = (change: (c: Calibration) => void) => {
      const g = structuredClone(f);
      change(g.calibration!);
      return messageOf(reportWith(g));
    };
    expect(forge((c) => (c.correct[0] = 1))).toMatch(
      /feedback\.calibration\.correct\.0: expected correct\[0\] <= labelled\[0\]/,
    );
    expect(forge((c) => (c.routedConfidence[9] = 0.5))).toMatch(
      /feedback\.calibration\.routedConfidence\.9: expected routedConfidence\[9\] \(0\.5\) between 0\.9 and 1\.0 × routed\[9\] \(2\)/,
    );
    expect(forge((c) => (c.labelledConfidence[5] = 0.7))).toMatch(
      /labelledConfidence\.5: .*between 0\.5 and 0\.6/,
    );
    expect(forge((c) => (c.routed[0] = 3))).toMatch(
      /feedback\.calibration\.routed: expected calibration\.routed \(6 in all\) <= routed\.auto \+ routed\.review \(4\)/,
    );
    expect(
      forge((c) => {
        c.labelled[0] = 1;
        c.labelled[5] = 0;
        c.labelledConfidence[5] = 0;
        c.labelled[9] = 3;
        c.labelledConfidence[9] = 2.8;
      }),
    ).toMatch(/calibration\.labelled: expected calibration\.labelled \(4 in all\) <= the matrix total \(3\)/);
    // Three right answers where the matrix has two.
    expect(
      forge((c) => {
        c.correct[5] = 1;
      }),
    ).toMatch(
      /calibration\.correct: expected calibration\.correct \(3 in all\) <= the matrix diagonal \(2\)/,
    );
    expect(forge((c) => c.routed.push(0))).toMatch(/feedback\.calibration\.routed/);
    expect(forge((c) => (c.routedConfidence[0] = -0.1))).toMatch(/routedConfidence\.0/);
    expect(forge((c) => (c.routed[0] = 0.5))).toMatch(/routed\.0/);
    expect(forge((c) => Object.assign(c, { extra: [] }))).not.toBe('ok');
  });

  it('refuses wrong labels beyond the matrix off-diagonal', () => {
    const f = emptyFeedback(['ok', 'defect']);
    countRoute(f, 'auto', 0.95);
    countLabel(f, { trueIndex: 0, predictedIndex: 0, route: 'auto', confidence: 0.95 });
    f.calibration!.correct[9] = 0;
    expect(messageOf(reportWith(f))).toMatch(
      /calibration's wrong labels \(1\) <= the matrix's off-diagonal total \(0\)/,
    );
  });

  it('merges by adding; a merge with an aggregate without calibration keeps the one there is', () => {
    const confidence = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(confidence, fc.nat(1)), { maxLength: 50 }),
        fc.array(fc.tuple(confidence, fc.nat(1)), { maxLength: 50 }),
        (xs, ys) => {
          const fill = (cs: [number, number][]) => {
            const f = emptyFeedback(['a', 'b']);
            for (const [c, trueIndex] of cs) {
              countRoute(f, 'auto', c);
              countLabel(f, { trueIndex, predictedIndex: 0, route: 'auto', confidence: c });
            }
            return f;
          };
          const merged = mergeFeedback(fill(xs), fill(ys));
          const whole = fill([...xs, ...ys]);
          expect(merged.ok).toBe(true);
          if (!merged.ok) return;
          expect(merged.value.calibration?.routed).toEqual(whole.calibration?.routed);
          expect(merged.value.calibration?.labelled).toEqual(whole.calibration?.labelled);
          expect(merged.value.calibration?.correct).toEqual(whole.calibration?.correct);
          // The merge of any valid parts is valid (sums stay inside their bins).
          if (merged.value.calibration)
            expect(calibrationSchema.safeParse(merged.value.calibration).success).toBe(true);
        },
      ),
    );
    const withOne = mergeFeedback(counted(), emptyFeedback(['ok', 'defect']));
    expect(withOne.ok && withOne.value.calibration).toEqual(counted().calibration);
    expect(mergeCalibration(emptyCalibration(), emptyCalibration()).routed).toHaveLength(CALIBRATION_BINS);
  });
});
