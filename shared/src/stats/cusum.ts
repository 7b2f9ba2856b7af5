// One-sided CUSUM (Page 1954) on standardised per-window scores, with its threshold chosen for a stated
// false-alarm rate. Run lengths use Siegmund's (1985) corrected Brownian approximation for N(μ, 1) scores,
// ARL(Δ) ≈ (e^{−2Δb} + 2Δb − 1) / (2Δ²) with Δ = μ − k and b = h + 1.166 (within a few % of the exact
// Markov-chain values for h ≥ 2); `sequential.test.ts` and `pnpm bench` hold it to seeded simulations.

/** Siegmund's overshoot correction for normal scores: the walk crosses h by ≈ 0.583 on average, twice. */
const OVERSHOOT = 1.166;

/** The CUSUM's parameters: reference value `k` (half the shift it is tuned for) and threshold `h`, in sd units. */
export interface CusumParameters {
  k: number;
  h: number;
}

/** Where one CUSUM stands: `s` (≥ 0), the windows since it last was 0 (`run`), and whether `s > h`. */
export interface CusumState {
  s: number;
  run: number;
  alarm: boolean;
}

/** A CUSUM at rest. */
export const CUSUM_START: CusumState = Object.freeze({ s: 0, run: 0, alarm: false });

/** One window: `s ← max(0, s + z − k)`; the alarm holds while `s > h`. */
export function cusumStep(state: CusumState, z: number, params: CusumParameters): CusumState {
  if (!Number.isFinite(z)) throw new RangeError(`cusumStep: expected a finite score, got ${z}`);
  const s = Math.max(0, state.s + z - params.k);
  return { s, run: s === 0 ? 0 : state.run + 1, alarm: s > params.h };
}

/**
 * Average run length (windows to the first `s > h`) when every score is N(`shift`, 1): `shift` 0 gives the
 * in-control ARL₀ (the mean time to a false alarm), a positive one the mean delay to detect that shift.
 */
export function cusumAverageRunLength(params: CusumParameters, shift = 0): number {
  checkParameters(params);
  const delta = shift - params.k;
  const b = params.h + OVERSHOOT;
  if (Math.abs(delta) < 1e-9) return b * b;
  const x = 2 * delta * b;
  return (Math.exp(-x) + x - 1) / (2 * delta * delta);
}

/** The threshold `h` whose in-control average run length is `arl0` windows (bisection on Siegmund's formula). */
export function cusumThreshold(k: number, arl0: number): number {
  if (!(arl0 > 1 && Number.isFinite(arl0)))
    throw new RangeError(`cusumThreshold: expected arl0 > 1, got ${arl0}`);
  let lo = 0;
  let hi = 1;
  while (cusumAverageRunLength({ k, h: hi }) < arl0) hi *= 2;
  for (let i = 0; i < 100 && hi - lo > 1e-10; i++) {
    const mid = (lo + hi) / 2;
    if (cusumAverageRunLength({ k, h: mid }) < arl0) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** What {@link designCusum} is asked for. */
export interface CusumDesignInput {
  /** Windows per day of the stream (e.g. 24 for hourly windows). */
  windowsPerDay: number;
  /** Expected false alarms per day over all the `streams` together (family-wise), e.g. 0.01: one in 100 days. */
  falseAlarmsPerDay: number;
  /** Streams watched together (features, error rate, latency): Bonferroni splits the rate among them. */
  streams: number;
  /** Shift to detect fastest, in sd of a window's score; `k` is half of it. Default 0.5. */
  shiftSd?: number;
}

/** A CUSUM and the error rate it was designed for. */
export interface CusumDesign extends CusumParameters {
  test: 'cusum';
  /** In-control average run length of each stream (windows). */
  arl0: number;
  windowsPerDay: number;
  streams: number;
  /** Expected false alarms per day over all streams (Bonferroni: each stream gets `1/streams` of it). */
  falseAlarmsPerDay: number;
  /** Expected windows to detect a sustained shift of `shiftSd` in one stream. */
  detectWindows: number;
  shiftSd: number;
}

/**
 * The per-stream threshold for a family-wise daily false-alarm rate: each stream gets `falseAlarmsPerDay /
 * streams`. A CUSUM restarted after each alarm raises false alarms at the long-run rate 1/ARL₀ per window
 * (renewal theory), so ARL₀ = windowsPerDay · streams / falseAlarmsPerDay; one that instead holds its alarm
 * until it is back at 0 raises fewer. The expected count bounds P(any false alarm in a day) too.
 * @example designCusum({ windowsPerDay: 24, falseAlarmsPerDay: 0.01, streams: 12 }).h
 */
export function designCusum(input: CusumDesignInput): CusumDesign {
  const { windowsPerDay, falseAlarmsPerDay, streams } = input;
  const shiftSd = input.shiftSd ?? 0.5;
  if (!(windowsPerDay > 0) || !Number.isFinite(windowsPerDay))
    throw new RangeError(`designCusum: expected windowsPerDay > 0, got ${windowsPerDay}`);
  if (!(falseAlarmsPerDay > 0) || !Number.isFinite(falseAlarmsPerDay))
    throw new RangeError(`designCusum: expected falseAlarmsPerDay > 0, got ${falseAlarmsPerDay}`);
  if (!(Number.isInteger(streams) && streams >= 1))
    throw new RangeError(`designCusum: expected an integer streams >= 1, got ${streams}`);
  if (!(shiftSd > 0) || !Number.isFinite(shiftSd))
    throw new RangeError(`designCusum: expected shiftSd > 0, got ${shiftSd}`);
  const arl0 = Math.max(2, (windowsPerDay * streams) / falseAlarmsPerDay);
  const k = shiftSd / 2;
  const h = cusumThreshold(k, arl0);
  return {
    test: 'cusum',
    k,
    h,
    arl0,
    windowsPerDay,
    streams,
    falseAlarmsPerDay,
    detectWindows: cusumAverageRunLength({ k, h }, shiftSd),
    shiftSd,
  };
}

function checkParameters({ k, h }: CusumParameters): void {
  if (!(k >= 0) || !Number.isFinite(k)) throw new RangeError(`CUSUM: expected k >= 0, got ${k}`);
  if (!(h > 0) || !Number.isFinite(h)) throw new RangeError(`CUSUM: expected h > 0, got ${h}`);
}
