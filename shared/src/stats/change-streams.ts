// Sequential change detection over a version's stream of windows (e.g. hourly merged telemetry): one CUSUM per
// stream — error rate, the latency tail, each input and output feature's binned distribution — on a
// self-starting score: each window is compared with everything the stream saw before it (pooled), so no
// in-control value has to be known in advance, and under no change the scores are (asymptotically) independent
// N(0, 1): the binomial scores are orthogonal contrasts of a variance-stabilised proportion, the distribution
// scores are the sequential partition of the k×B contingency chi-square (Lancaster), each taken to N(0, 1)
// through Wilson–Hilferty. A slow drift that no single window shows accumulates in the CUSUM.

import { chiSquare } from '../drift/chi-square';
import { lnGamma } from '../drift/gamma';
import { psi } from '../drift/psi';
import type { Profile } from '../profile/profile';
import type { DDSketch } from '../sketches/ddsketch';
import { CUSUM_START, type CusumDesign, type CusumState, cusumStep } from './cusum';
import { normalQuantile } from './normal';

/** What one window contributes to the streams. */
export interface WindowSummary {
  /** When the window starts (ms). */
  t: number;
  inferences: number;
  errors: number;
  /** End-to-end latency (or inference latency where the total is not measured); null when none. */
  latency: DDSketch | null;
  /** Binned counts per feature (`input:<name>`, `output:<name>`): under/overflow and inner bins. */
  distributions: ReadonlyMap<string, readonly number[]>;
}

/** The stream kinds and the score each one takes. */
export type ChangeStreamKind = 'error_rate' | 'latency_tail' | 'distribution';

/** Where one stream stands after the last window. */
export interface ChangeStreamView {
  stream: string;
  kind: ChangeStreamKind;
  /** CUSUM statistic; the alarm holds while it is above the design's `h`. */
  cusum: number;
  alarm: boolean;
  /** Windows scored so far (after the warm-up). */
  windows: number;
  /** Start of the first window of the current run (the CUSUM's estimate of when the change began); null at rest. */
  sinceMs: number | null;
  /** Last window's score (N(0, 1) under no change). */
  lastScore: number | null;
  /**
   * The effect in the last window against the pooled earlier windows: error rate and share of inferences
   * slower than the earlier p95 (now vs before), PSI of the distribution (now against before).
   */
  effect: {
    name: 'error_rate' | 'share_above_p95' | 'psi';
    current: number;
    reference: number | null;
  } | null;
}

/** Options of {@link ChangeDetector}. */
export interface ChangeDetectorOptions {
  design: CusumDesign;
  /** Fewest observations a window needs in a stream to count (fewer: the window is skipped there). Default 500. */
  minCount?: number;
  /** Windows that only build the reference before the first score. Default 6. */
  warmupWindows?: number;
}

/** Smallest expected count per cell before neighbouring bins are pooled (the chi-square approximation's rule). */
const MIN_EXPECTED = 5;
const TAIL_QUANTILE = 0.95;

interface Stream {
  kind: ChangeStreamKind;
  state: CusumState;
  seen: number;
  scored: number;
  runStartMs: number | null;
  lastScore: number | null;
  effect: ChangeStreamView['effect'];
  // references: pooled over every earlier qualifying window
  x: number;
  n: number;
  counts: number[] | null;
  sketch: DDSketch | null;
}

/**
 * Runs one CUSUM per stream over a sequence of windows (feed them in time order).
 * @example const d = new ChangeDetector({ design }); for (const w of windows) d.observe(w); d.alarms();
 */
export class ChangeDetector {
  private readonly streams = new Map<string, Stream>();
  /** Streams that alarmed since the alert opened; the alert stays open until they are all back at 0. */
  private readonly alarmed = new Set<string>();
  /** Alerts raised so far (an alert opens when a stream alarms and closes when its alarmed streams rest). */
  raised = 0;
  private readonly minCount: number;
  private readonly warmup: number;

  constructor(private readonly options: ChangeDetectorOptions) {
    this.minCount = options.minCount ?? 500;
    this.warmup = options.warmupWindows ?? 6;
  }

  /** Adds a window: scores each stream against its earlier windows, then pools the window into them. */
  observe(window: WindowSummary): void {
    if (window.inferences >= this.minCount) {
      this.binomial('error_rate', window.t, window.errors, window.inferences);
    }
    if (window.latency && window.latency.count >= this.minCount) this.latencyTail(window.t, window.latency);
    for (const [name, counts] of window.distributions) {
      let total = 0;
      for (const c of counts) total += c;
      if (total >= this.minCount) this.distribution(name, window.t, counts);
    }
    this.updateOpen();
  }

  /** Whether the alert holds: a stream alarms, or one that alarmed has not come back to 0 yet. */
  get open(): boolean {
    return this.alarmed.size > 0;
  }

  private updateOpen(): void {
    const wasOpen = this.open;
    for (const [name, s] of this.streams) {
      if (s.state.alarm) this.alarmed.add(name);
      else if (s.state.s === 0) this.alarmed.delete(name);
    }
    if (!wasOpen && this.open) this.raised++;
  }

  /** Every stream's state. */
  views(): ChangeStreamView[] {
    return [...this.streams].map(([stream, s]) => ({
      stream,
      kind: s.kind,
      cusum: s.state.s,
      alarm: s.state.alarm,
      windows: s.scored,
      sinceMs: s.state.run > 0 ? s.runStartMs : null,
      lastScore: s.lastScore,
      effect: s.effect,
    }));
  }

  /** The streams whose alarm holds. */
  alarms(): ChangeStreamView[] {
    return this.views().filter((v) => v.alarm);
  }

  private stream(name: string, kind: ChangeStreamKind): Stream {
    let s = this.streams.get(name);
    if (!s) {
      s = {
        kind,
        state: CUSUM_START,
        seen: 0,
        scored: 0,
        runStartMs: null,
        lastScore: null,
        effect: null,
        x: 0,
        n: 0,
        counts: null,
        sketch: null,
      };
      this.streams.set(name, s);
    }
    return s;
  }

  private score(s: Stream, t: number, z: number | null): void {
    s.seen++;
    if (z === null || s.seen <= this.warmup) return;
    s.scored++;
    s.lastScore = z;
    s.state = cusumStep(s.state, z, this.options.design);
    // The run starts at the first window of the current excursion above 0.
    if (s.state.run === 0) s.runStartMs = null;
    else if (s.state.run === 1) s.runStartMs = t;
  }

  private binomial(name: 'error_rate', t: number, x: number, n: number): void {
    const s = this.stream(name, 'error_rate');
    const z = s.n > 0 ? binomialInnovation(x, n, s.x, s.n) : null;
    s.effect = { name: 'error_rate', current: x / n, reference: s.n > 0 ? s.x / s.n : null };
    this.score(s, t, z);
    s.x += x;
    s.n += n;
  }

  private latencyTail(t: number, sketch: DDSketch): void {
    const s = this.stream('latency', 'latency_tail');
    let z: number | null = null;
    if (s.sketch && s.sketch.count > 0) {
      const p95 = s.sketch.quantile(TAIL_QUANTILE);
      const above = countAbove(sketch, p95);
      const refAbove = countAbove(s.sketch, p95);
      z = binomialInnovation(above, sketch.count, refAbove, s.sketch.count);
      s.effect = {
        name: 'share_above_p95',
        current: above / sketch.count,
        reference: refAbove / s.sketch.count,
      };
    }
    this.score(s, t, z);
    if (s.sketch) s.sketch.merge(sketch);
    else s.sketch = sketch.clone();
  }

  private distribution(name: string, t: number, counts: readonly number[]): void {
    const s = this.stream(name, 'distribution');
    let z: number | null = null;
    if (s.counts && s.counts.length === counts.length) {
      z = histogramInnovation(counts, s.counts);
      s.effect = { name: 'psi', current: psi(s.counts, counts), reference: null };
    }
    this.score(s, t, z);
    if (!s.counts || s.counts.length !== counts.length) s.counts = counts.slice();
    else for (let i = 0; i < counts.length; i++) s.counts[i]! += counts[i]!;
  }
}

/**
 * Score of `x` events in `n` trials against the pooled earlier `xRef` in `nRef`, positive when the rate rose.
 * Conditional on the total T = x + xRef, x is Binomial(T, n / (n + nRef)) when the rate did not change (exact
 * for Poisson counts, conservative by the factor 1 − rate otherwise); the score is the normal quantile of its
 * mid-p upper tail, so rare events (an error rate of 0.1 %, or none at all) give no drift of the score the way a
 * variance-stabilising transform does at tiny counts. Large T uses the normal approximation.
 */
export function binomialInnovation(x: number, n: number, xRef: number, nRef: number): number {
  const total = x + xRef;
  if (total === 0) return 0;
  const q = n / (n + nRef);
  const mean = total * q;
  const variance = mean * (1 - q);
  if (variance >= 50) return (x - mean) / Math.sqrt(variance);
  // mid-p: P(X > x) + ½ P(X = x), by summing the binomial pmf (T·q·(1 − q) < 50 keeps the sums short).
  const logPmf = (k: number) =>
    lnGamma(total + 1) -
    lnGamma(k + 1) -
    lnGamma(total - k + 1) +
    k * Math.log(q) +
    (total - k) * Math.log1p(-q);
  const at = Math.exp(logPmf(x));
  let tail = 0;
  const top = Math.min(total, Math.ceil(mean + 40 * Math.sqrt(variance) + 40));
  for (let k = x + 1; k <= top; k++) tail += Math.exp(logPmf(k));
  const upper = Math.min(1, Math.max(Number.MIN_VALUE, tail + at / 2));
  return Math.max(-40, Math.min(40, -normalQuantile(upper)));
}

/**
 * Score of a window's binned counts against the pooled earlier counts: the 2×B homogeneity chi-square (bins
 * pooled left to right until each holds an expected {@link MIN_EXPECTED} in the window), taken to N(0, 1) by
 * Wilson–Hilferty. Null when fewer than two bins remain.
 */
export function histogramInnovation(counts: readonly number[], reference: readonly number[]): number | null {
  let n = 0;
  let nRef = 0;
  for (let i = 0; i < counts.length; i++) {
    n += counts[i]!;
    nRef += reference[i]!;
  }
  if (n === 0 || nRef === 0) return null;
  const window: number[] = [];
  const ref: number[] = [];
  let w = 0;
  let r = 0;
  for (let i = 0; i < counts.length; i++) {
    w += counts[i]!;
    r += reference[i]!;
    if ((Math.min(n, nRef) * (w + r)) / (n + nRef) >= MIN_EXPECTED) {
      window.push(w);
      ref.push(r);
      w = 0;
      r = 0;
    }
  }
  if (w + r > 0) {
    if (window.length === 0) return null;
    window[window.length - 1]! += w;
    ref[ref.length - 1]! += r;
  }
  if (window.length < 2) return null;
  const { statistic, dof } = chiSquare(ref, window);
  return wilsonHilferty(statistic, dof);
}

/** N(0, 1) score of a χ²(dof) statistic: ((X/ν)^{1/3} − (1 − 2/(9ν))) / √(2/(9ν)). */
export function wilsonHilferty(statistic: number, dof: number): number {
  const v = 2 / (9 * dof);
  return (Math.cbrt(statistic / dof) - (1 - v)) / Math.sqrt(v);
}

/** Values in `sketch` whose estimate lies above `value` (rank search over its quantiles). */
export function countAbove(sketch: DDSketch, value: number): number {
  const n = sketch.count;
  if (n === 0) return 0;
  if (n === 1) return sketch.quantile(0) > value ? 1 : 0;
  // Largest rank r whose value is ≤ value; everything above it is counted.
  let lo = -1;
  let hi = n - 1;
  if (sketch.quantile(1) <= value) return 0;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (sketch.quantile(mid / (n - 1)) <= value) lo = mid;
    else hi = mid;
  }
  return n - 1 - lo;
}

/** The window summary of a merged profile (the server's hourly merge; simulations build summaries directly). */
export function summarizeProfile(t: number, profile: Profile): WindowSummary {
  const distributions = new Map<string, readonly number[]>();
  for (const [name, f] of profile.inputs) distributions.set(`input:${name}`, f.histogram.counts);
  for (const [name, f] of profile.outputs) distributions.set(`output:${name}`, f.histogram.counts);
  const latency = profile.latency.total.count > 0 ? profile.latency.total : profile.latency.infer;
  return {
    t,
    inferences: profile.inferences,
    errors: profile.errorCount,
    latency: latency.count > 0 ? latency : null,
    distributions,
  };
}

/** How many streams a profile spec gives (error rate, latency, each input and output): the Bonferroni family. */
export function streamCount(spec: { inputs: readonly unknown[]; outputs: readonly unknown[] }): number {
  return 2 + spec.inputs.length + spec.outputs.length;
}
