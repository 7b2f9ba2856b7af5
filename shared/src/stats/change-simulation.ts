// Seeded simulation of a version's window stream through the real ChangeDetector: the evidence behind the
// change alerts' stated false-alarm rate and detection delays (sized small in CI, full size in `pnpm bench`).

import { DDSketch } from '../sketches/ddsketch';
import { ChangeDetector, type WindowSummary } from './change-streams';
import { type CusumDesign, designCusum } from './cusum';
import { normalCdf, normalQuantile } from './normal';
import { createRandom, type Random } from './random';
import { binProbabilities } from './simulate';

/** A change that starts at `atWindow` and stays (a step) or grows by `size` every window from there (a ramp). */
export interface SimulatedChange {
  atWindow: number;
  /** `feature_mean`: the first input's mean moves by `size` sd; `error_rate`: the rate is multiplied by `1 + size`; `latency`: latencies × `1 + size`. */
  kind: 'feature_mean' | 'error_rate' | 'latency';
  size: number;
  ramp?: boolean;
}

/** One simulated version. */
export interface ChangeScenario {
  seed: number;
  windows: number;
  windowsPerDay: number;
  /** Input features (each N(0, 1), binned at the baseline's deciles with under/overflow beyond ±3). */
  features: number;
  /** Mean inferences per window; each window draws uniformly within ±50 % of it (traffic varies). */
  inferencesPerWindow: number;
  errorRate: number;
  /** Simulate the latency sketch (log-normal, median 20 ms); costs n sketch inserts per window. */
  latency: boolean;
  falseAlarmsPerDay: number;
  change?: SimulatedChange;
  minCount?: number;
}

/** What the detector did over the whole stream. */
export interface ChangeRun {
  design: CusumDesign;
  /** Alerts raised (each opens when a stream alarms, closes when its alarmed streams are back at 0). */
  raised: number;
  /** Window index of the first alarm (null: none). */
  firstAlarmWindow: number | null;
  /** Streams in alarm at the first alarm. */
  firstAlarmStreams: string[];
}

const INNER_EDGES = [-3, ...Array.from({ length: 9 }, (_, i) => normalQuantile((i + 1) / 10)), 3];

/** Bin probabilities (under, inner…, over) of N(mean, 1) over {@link INNER_EDGES}. */
const normalBins = (mean: number) => binProbabilities(INNER_EDGES, (x) => normalCdf(x - mean));

function changeSize(change: SimulatedChange | undefined, kind: SimulatedChange['kind'], w: number): number {
  if (!change || change.kind !== kind || w < change.atWindow) return 0;
  return change.ramp ? change.size * (w - change.atWindow + 1) : change.size;
}

function drawWindow(rng: Random, scenario: ChangeScenario, w: number, healthy: number[]): WindowSummary {
  const n = Math.max(1, Math.round(scenario.inferencesPerWindow * (0.5 + rng.uniform())));
  const rate = Math.min(1, scenario.errorRate * (1 + changeSize(scenario.change, 'error_rate', w)));
  const distributions = new Map<string, readonly number[]>();
  const shift = changeSize(scenario.change, 'feature_mean', w);
  for (let f = 0; f < scenario.features; f++) {
    distributions.set(
      `input:f${f}`,
      rng.multinomial(n, f === 0 && shift !== 0 ? normalBins(shift) : healthy),
    );
  }
  let latency: DDSketch | null = null;
  if (scenario.latency) {
    latency = new DDSketch();
    const factor = 1 + changeSize(scenario.change, 'latency', w);
    for (let i = 0; i < n; i++) latency.add(20 * factor * Math.exp(0.4 * rng.normal()));
  }
  return {
    t: w * (86_400_000 / scenario.windowsPerDay),
    inferences: n,
    errors: rng.binomial(n, rate),
    latency,
    distributions,
  };
}

/** Runs one version's stream through {@link ChangeDetector} with the design for its stream count. */
export function simulateChangeRun(scenario: ChangeScenario): ChangeRun {
  const rng = createRandom(scenario.seed);
  const design = designCusum({
    windowsPerDay: scenario.windowsPerDay,
    falseAlarmsPerDay: scenario.falseAlarmsPerDay,
    streams: 1 + (scenario.latency ? 1 : 0) + scenario.features,
  });
  const detector = new ChangeDetector({ design, minCount: scenario.minCount ?? 100 });
  const healthy = normalBins(0);
  let firstAlarmWindow: number | null = null;
  let firstAlarmStreams: string[] = [];
  for (let w = 0; w < scenario.windows; w++) {
    detector.observe(drawWindow(rng, scenario, w, healthy));
    if (firstAlarmWindow === null && detector.open) {
      firstAlarmWindow = w;
      firstAlarmStreams = detector.alarms().map((a) => a.stream);
    }
  }
  return { design, raised: detector.raised, firstAlarmWindow, firstAlarmStreams };
}

/** False alerts per version and day over `versions` healthy streams (seeds `seed`, `seed + 1`, …). */
export function simulateFalseAlarms(scenario: Omit<ChangeScenario, 'change'>, versions: number) {
  let raised = 0;
  let design: CusumDesign | null = null;
  for (let v = 0; v < versions; v++) {
    const run = simulateChangeRun({ ...scenario, seed: scenario.seed + v });
    raised += run.raised;
    design = run.design;
  }
  const days = (versions * scenario.windows) / scenario.windowsPerDay;
  return { raised, days, perDay: raised / days, design: design! };
}

/** Windows from the change to the first alarm over `versions` changed streams (null: never within the stream). */
export function simulateDetection(scenario: ChangeScenario & { change: SimulatedChange }, versions: number) {
  const delays: (number | null)[] = [];
  for (let v = 0; v < versions; v++) {
    const run = simulateChangeRun({ ...scenario, seed: scenario.seed + v });
    const at = run.firstAlarmWindow;
    delays.push(at === null ? null : at - scenario.change.atWindow);
  }
  return delays;
}
