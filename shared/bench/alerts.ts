// Change alerts (CUSUM over hourly windows): the false-alarm rate they state and how fast they find changes,
// from the seeded simulation in src/stats/change-simulation.ts run at full size (CI runs it small).
import { type SimulatedChange, simulateDetection, simulateFalseAlarms } from '../src/stats/change-simulation';
import {
  simulateConceptDriftDelays,
  simulateConceptDriftFalseAlarms,
} from '../src/stats/concept-drift-simulation';
import { CUSUM_START, cusumAverageRunLength, cusumStep, designCusum } from '../src/stats/cusum';
import { createRandom } from '../src/stats/random';

const line = (name: string, value: number | string, unit: string) => console.log(`${name}: ${value} ${unit}`);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
};

export async function benchAlerts(): Promise<void> {
  const scenario = {
    seed: 1_000,
    windows: 24 * 30,
    windowsPerDay: 24,
    features: 10,
    inferencesPerWindow: 500,
    errorRate: 0.01,
    latency: true,
    falseAlarmsPerDay: 0.01,
  };
  const healthy = simulateFalseAlarms(scenario, 100);
  // Poisson 95 % upper bound on the rate from the observed count (exact for 0: −ln 0.05 = 3.0).
  const upper = (healthy.raised + 1.96 * Math.sqrt(healthy.raised) + 2) / healthy.days;
  line(
    'alerts.cusum_false_alarms_per_day',
    healthy.perDay.toFixed(4),
    `per version-day (stated ${scenario.falseAlarmsPerDay}; ${healthy.raised} in ${healthy.days} version-days, 10 features + error rate + latency, 250–750 inferences/h; 95 % upper ${upper.toFixed(4)})`,
  );
  line(
    'alerts.cusum_h',
    healthy.design.h.toFixed(2),
    `sd (k ${healthy.design.k}, ARL0 ${Math.round(healthy.design.arl0)} windows per stream)`,
  );

  // The CUSUM itself: N(0.5, 1) scores with the design above (12 streams, 0.01 per day).
  const design = designCusum({ windowsPerDay: 24, falseAlarmsPerDay: 0.01, streams: 12 });
  const rng = createRandom(7);
  const runs: number[] = [];
  for (let r = 0; r < 2_000; r++) {
    let state = CUSUM_START;
    let t = 0;
    do {
      state = cusumStep(state, 0.5 + rng.normal(), design);
      t++;
    } while (!state.alarm);
    runs.push(t);
  }
  line(
    'alerts.cusum_detect_windows_0p5sd',
    (runs.reduce((a, b) => a + b, 0) / runs.length).toFixed(1),
    `windows mean (Siegmund ${cusumAverageRunLength(design, 0.5).toFixed(1)}; a 0.5 sd shift of one stream's per-window score, 2,000 runs)`,
  );

  const changes: [string, SimulatedChange][] = [
    ['alerts.cusum_detect_windows_feature_0p1sd', { atWindow: 48, kind: 'feature_mean', size: 0.1 }],
    [
      'alerts.cusum_detect_windows_feature_ramp_0p002sd',
      { atWindow: 48, kind: 'feature_mean', size: 0.002, ramp: true },
    ],
    ['alerts.cusum_detect_windows_error_1p5x', { atWindow: 48, kind: 'error_rate', size: 0.5 }],
    ['alerts.cusum_detect_windows_latency_1p1x', { atWindow: 48, kind: 'latency', size: 0.1 }],
  ];
  for (const [name, change] of changes) {
    const delays = simulateDetection(
      { ...scenario, inferencesPerWindow: 1_000, windows: 24 * 9, seed: 5_000, change },
      100,
    );
    const found = delays.filter((d): d is number => d !== null && d >= 0);
    const early = delays.filter((d) => d !== null && d < 0).length;
    line(
      name,
      median(found),
      `windows median (${found.length}/100 found within 7 days, ${early} alarmed before the change; 1,000 inferences/h)`,
    );
  }

  // Concept drift: the labelled error stream (50 labels/h, 5 % wrong), batches of ≥ 100 labels, 0.01/day stated.
  const drift = { seed: 9_000, hours: 24 * 60, labelsPerHour: 50, errorRate: 0.05, falseAlarmsPerDay: 0.01 };
  const calm = simulateConceptDriftFalseAlarms(drift, 400);
  line(
    'alerts.concept_drift_false_alarms_per_day',
    calm.perDay.toFixed(4),
    `per stream-day (stated ${drift.falseAlarmsPerDay}; ${calm.raised} in ${calm.days} stream-days, 50 labels/h at 5 % wrong; 95 % upper ${calm.upperPerDay.toFixed(4)})`,
  );
  const delays = simulateConceptDriftDelays(
    { ...drift, seed: 9_500, hours: 24 * 14, changeAtHour: 24 * 5, errorRateAfter: 0.1 },
    200,
  );
  const found = delays.filter((d): d is number => d !== null && d >= 0);
  line(
    'alerts.concept_drift_detect_hours_5_to_10pct',
    median(found),
    `hours median (${found.length}/200 found within 9 days, ${delays.filter((d) => d !== null && d < 0).length} alarmed before the change; 50 labels/h)`,
  );
}
