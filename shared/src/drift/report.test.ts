import { describe, expect, it } from 'vitest';
import { buildBaseline, Profile, type ProfileSpec } from '../profile';
import { SketchMismatchError } from '../sketches';
import { chiSquare, DEFAULT_DRIFT_THRESHOLDS, driftReport } from '.';
import { wasserstein1 } from './wasserstein';

/** Deterministic standard normals (mulberry32 + Box-Muller). */
function normals(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

const decileEdges = [-4, -1.2816, -0.8416, -0.5244, -0.2533, 0, 0.2533, 0.5244, 0.8416, 1.2816, 4];
const spec: ProfileSpec = {
  v: 1,
  inputs: [
    { name: 'brightness', edges: decileEdges },
    { name: 'contrast', edges: decileEdges },
  ],
  outputs: [{ name: 'confidence', edges: [0, 0.5, 0.8, 0.9, 0.95, 1.0000001] }],
  classes: ['ok', 'scratch', 'dent'],
  latency: { relativeAccuracy: 0.01, maxBins: 2048 },
};

interface WindowOptions {
  n: number;
  seed: number;
  brightnessShift?: number;
  classMix?: [number, number, number];
}

function window({ n, seed, brightnessShift = 0, classMix = [0.7, 0.2, 0.1] }: WindowOptions): Profile {
  const next = normals(seed);
  const p = new Profile(spec);
  for (let i = 0; i < n; i++) {
    p.observeInputs({ brightness: next() + brightnessShift, contrast: next() });
    p.observeOutputs({ confidence: Math.min(1, 0.9 + 0.05 * next()) });
    const u = (i + 0.5) / n;
    p.observeClass(u < classMix[0] ? 'ok' : u < classMix[0] + classMix[1] ? 'scratch' : 'dent');
  }
  return p;
}

const baseline = window({ n: 20_000, seed: 1 });

describe('driftReport', () => {
  it('says ok for a window from the baseline distribution', () => {
    const report = driftReport(baseline, window({ n: 2000, seed: 2 }));
    expect(report.specHash).toBe(baseline.specHash);
    expect(report.verdict).toBe('ok');
    expect(report.inputs.map((f) => f.name)).toEqual(['brightness', 'contrast']);
    for (const f of [...report.inputs, ...report.outputs]) {
      expect(f.verdict).toBe('ok');
      expect(f.reasons).toEqual([]);
      expect(f.psi).toBeLessThan(0.02);
      expect(f.currentCount).toBe(2000);
    }
    expect(report.classes?.labels).toEqual(['ok', 'scratch', 'dent']);
    expect(report.classes?.js).toBeLessThan(1e-3);
  });

  it('alerts on the shifted feature only, and the overall verdict is the worst', () => {
    const report = driftReport(baseline, window({ n: 2000, seed: 3, brightnessShift: 1 }));
    const [brightness, contrast] = report.inputs;
    expect(brightness!.verdict).toBe('alert');
    expect(brightness!.reasons).toContainEqual(expect.stringMatching(/^psi [\d.]+ >= alert 0.25$/));
    expect(contrast!.verdict).toBe('ok');
    expect(report.verdict).toBe('alert');
  });

  it('normalises the binned Wasserstein distance by the baseline std (close to the raw one)', () => {
    const next = normals(4);
    const reference = Array.from({ length: 20_000 }, () => next());
    const shifted = Array.from({ length: 5000 }, () => next() + 0.5);
    const [base, current] = [reference, shifted].map((xs) => {
      const p = new Profile(spec);
      for (const x of xs) p.observeInputs({ brightness: x, contrast: 0 });
      return p;
    });
    const report = driftReport(base!, current!);
    const std = base!.inputs.get('brightness')!.moments.std;
    const rawNorm = wasserstein1(reference, shifted) / std;
    const norm = report.inputs[0]!.wassersteinNorm!;
    expect(rawNorm).toBeCloseTo(0.5, 1);
    // Binned: mass moving within a bin is unseen, mass moving between bins is placed at representative points.
    expect(Math.abs(norm - rawNorm)).toBeLessThan(0.1 * rawNorm);
  });

  it('is insufficient below minCount but still reports the metrics', () => {
    const report = driftReport(baseline, window({ n: 50, seed: 5, brightnessShift: 3 }));
    expect(report.verdict).toBe('insufficient');
    const brightness = report.inputs[0]!;
    expect(brightness.verdict).toBe('insufficient');
    expect(brightness.reasons).toEqual(['current has 50 observations < minCount 100']);
    expect(brightness.psi).toBeGreaterThan(1);
    expect(driftReport(baseline, window({ n: 50, seed: 5 }), { minCount: 10 }).verdict).not.toBe(
      'insufficient',
    );
  });

  it('reports null metrics for a feature that has no observations', () => {
    const current = new Profile(spec);
    for (let i = 0; i < 200; i++) current.observeInputs({ contrast: 0 });
    const brightness = driftReport(baseline, current).inputs[0]!;
    expect(brightness).toMatchObject({ psi: null, js: null, ksD: null, wassersteinNorm: null });
    expect(brightness.currentMissing).toBe(200);
    expect(brightness.verdict).toBe('insufficient');
  });

  it('applies overrides per metric and per feature', () => {
    const current = window({ n: 2000, seed: 3, brightnessShift: 1 });
    const lenient = driftReport(baseline, current, {
      features: { brightness: { psi: { warn: 5, alert: 10 }, js: null } },
    });
    expect(lenient.inputs[0]!.verdict).toBe('ok');
    const strict = driftReport(baseline, window({ n: 2000, seed: 2 }), { ksD: { warn: 0, alert: 1 } });
    expect(strict.inputs[1]!.verdict).toBe('warn');
    expect(strict.inputs[1]!.reasons[0]).toMatch(/^ksD /);
  });

  it('compares the class mix with Jensen-Shannon and a chi-square homogeneity test', () => {
    const current = window({ n: 2000, seed: 6, classMix: [0.4, 0.4, 0.2] });
    current.observeClass('unknown-label');
    current.observeOutputs(null);
    const classes = driftReport(baseline, current).classes!;
    expect(classes.labels).toEqual(['ok', 'scratch', 'dent', '(other)', '(missing)']);
    expect(classes.baselineCounts).toEqual([14000, 4000, 2000, 0, 0]);
    expect(classes.currentCounts).toEqual([800, 800, 400, 1, 1]);
    expect(classes.chiSquare).toEqual(chiSquare(classes.baselineCounts, classes.currentCounts));
    expect(classes.chiSquare!.pValue).toBeLessThan(1e-12);
    expect(classes.verdict).toBe('alert');
    expect(classes.reasons[0]).toMatch(/^js /);
  });

  it('has no class section without classes, and gives null W1 for a constant baseline', () => {
    const { spec: s, profile } = buildBaseline(
      Array.from({ length: 300 }, (_, i) => ({ level: 3, ramp: i })),
      { bins: 10 },
    );
    const current = new Profile(s);
    for (let i = 0; i < 300; i++) current.observeInputs({ level: 3, ramp: i + 150 });
    const report = driftReport(profile, current);
    expect(report.classes).toBeNull();
    expect(report.inputs[0]!.wassersteinNorm).toBeNull();
    expect(report.inputs[0]!.psi).toBe(0);
    expect(report.inputs[1]!.verdict).toBe('alert');
    expect(report.inputs[1]!.wassersteinNorm).toBeGreaterThan(0.3);
  });

  it('refuses profiles of different specs', () => {
    const other = new Profile({ ...spec, classes: ['ok', 'dent'] });
    expect(() => driftReport(baseline, other)).toThrow(SketchMismatchError);
    expect(() => driftReport(baseline, other)).toThrow(/spec/);
  });

  it('exposes frozen defaults', () => {
    expect(DEFAULT_DRIFT_THRESHOLDS).toMatchObject({
      psi: { warn: 0.1, alert: 0.25 },
      js: { warn: 0.1, alert: 0.2 },
    });
    expect(Object.isFrozen(DEFAULT_DRIFT_THRESHOLDS)).toBe(true);
  });
});
