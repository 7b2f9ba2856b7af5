import { DDSketch as DatadogSketch } from '@datadog/sketches-js';
import { buildBaseline } from '../src/profile/baseline';
import { Profile } from '../src/profile/profile';
import { CategoryCounts } from '../src/sketches/category-counts';
import { DDSketch } from '../src/sketches/ddsketch';
import { Histogram } from '../src/sketches/histogram';
import { Moments } from '../src/sketches/moments';
import { QuantileSketch } from '../src/sketches/quantile-sketch';

const N = 1_000_000;
/** Minimum time spent per measurement; the best round wins (least disturbed by other processes). */
const BUDGET_MS = 400;

/** Deterministic PRNG (mulberry32): the same data every run. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function print(name: string, value: number, unit: string): void {
  const shown = value >= 100 ? Math.round(value).toString() : value.toPrecision(4);
  console.log(`${name}: ${shown} ${unit}`);
}

/** Runs `round` (which processes `itemsPerRound` items) until the budget is spent; returns the best items/s. */
function bestRate(itemsPerRound: number, round: () => unknown): number {
  round(); // warm-up (JIT)
  let best = 0;
  const start = performance.now();
  let sink = 0;
  do {
    const t0 = performance.now();
    const r = round();
    const dt = performance.now() - t0;
    sink += typeof r === 'number' ? r : 1;
    best = Math.max(best, itemsPerRound / (dt / 1000));
  } while (performance.now() - start < BUDGET_MS);
  if (sink === Number.NEGATIVE_INFINITY) console.log('unreachable'); // keeps results observable
  return best;
}

/** Like {@link bestRate} for competitors, alternating rounds so that load from other processes hits both alike. */
function bestRatesInterleaved(itemsPerRound: number, rounds: (() => unknown)[]): number[] {
  for (const round of rounds) round(); // warm-up (JIT)
  const best = rounds.map(() => 0);
  const start = performance.now();
  do {
    rounds.forEach((round, i) => {
      const t0 = performance.now();
      round();
      best[i] = Math.max(best[i]!, itemsPerRound / ((performance.now() - t0) / 1000));
    });
  } while (performance.now() - start < 3 * BUDGET_MS);
  return best;
}

/** Prints `shared.*` lines: adds/s of every sketch against a raw Float64Array sum and Datadog's DDSketch. */
export async function benchSketches(): Promise<void> {
  const r = rng(42);
  const latencies = new Float64Array(N); // log-normal around ~10 ms
  const signed = new Float64Array(N); // normal, both signs
  for (let i = 0; i < N; i++) {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    latencies[i] = Math.exp(2.3 + 0.8 * z);
    signed[i] = z;
  }
  const labels = Array.from({ length: 16 }, (_, i) => `class${i}`);
  const keys = Array.from({ length: N }, (_, i) => labels[(i * 7919) % 16]!);
  const edges = [-1.28, -0.84, -0.52, -0.25, 0, 0.25, 0.52, 0.84, 1.28, 5];

  print(
    'shared.raw.array_sum_per_s',
    bestRate(N, () => {
      let s = 0;
      for (let i = 0; i < N; i++) s += latencies[i]!;
      return s;
    }),
    '/s',
  );
  const [ours, datadog] = bestRatesInterleaved(N, [
    () => {
      const s = new DDSketch();
      for (let i = 0; i < N; i++) s.add(latencies[i]!);
      return s.count;
    },
    () => {
      const s = new DatadogSketch({ relativeAccuracy: 0.01 });
      for (let i = 0; i < N; i++) s.accept(latencies[i]!);
      return s.count;
    },
  ]);
  print('shared.ddsketch.adds_per_s', ours!, '/s');
  print('shared.ddsketch.datadog_adds_per_s', datadog!, '/s');
  print(
    'shared.quantiles.adds_per_s',
    bestRate(N, () => {
      const s = new QuantileSketch();
      for (let i = 0; i < N; i++) s.add(signed[i]!);
      return s.count;
    }),
    '/s',
  );
  print(
    'shared.moments.adds_per_s',
    bestRate(N, () => {
      const m = new Moments();
      for (let i = 0; i < N; i++) m.add(signed[i]!);
      return m.count;
    }),
    '/s',
  );
  print(
    'shared.histogram.adds_per_s',
    bestRate(N, () => {
      const h = new Histogram(edges);
      for (let i = 0; i < N; i++) h.add(signed[i]!);
      return h.nan;
    }),
    '/s',
  );
  print(
    'shared.categories.adds_per_s',
    bestRate(N, () => {
      const c = new CategoryCounts();
      for (let i = 0; i < N; i++) c.add(keys[i]!);
      return c.other;
    }),
    '/s',
  );
  benchProfile(r);
}

/** Profile-level numbers: observeInputs for 50 features, merging windows, and the window's JSON size. */
function benchProfile(r: () => number): void {
  const names = Array.from({ length: 50 }, (_, i) => `x[${i}]`);
  const rows = Array.from({ length: 2000 }, () => Object.fromEntries(names.map((n, i) => [n, i + r()])));
  const { spec } = buildBaseline(rows);
  print(
    'shared.profile.observe_inputs_50f_per_s',
    bestRate(rows.length, () => {
      const p = new Profile(spec);
      for (const row of rows) p.observeInputs(row);
      return p.inferences;
    }),
    '/s',
  );
  const vectors = rows.map((row) => Float64Array.from(names, (n) => row[n]!));
  print(
    'shared.profile.observe_input_values_50f_per_s',
    bestRate(vectors.length, () => {
      const p = new Profile(spec);
      for (const v of vectors) p.observeInputValues(v);
      return p.inferences;
    }),
    '/s',
  );
  const window = new Profile(spec);
  for (const row of rows.slice(0, 600)) {
    window.observeInputs(row);
    window.observeLatency('infer', 5 + 50 * r());
    window.observeLatency('total', 8 + 60 * r());
  }
  const json = JSON.stringify(window);
  print('shared.profile.window_json_50f_bytes', new TextEncoder().encode(json).length, 'B');
  const parsed = JSON.parse(json);
  print(
    'shared.profile.parse_merge_per_s',
    bestRate(200, () => {
      const total = new Profile(spec);
      for (let i = 0; i < 200; i++) {
        const p = Profile.fromJSON(parsed, spec);
        if (p.ok) total.merge(p.value);
      }
      return total.inferences;
    }),
    '/s',
  );
}
