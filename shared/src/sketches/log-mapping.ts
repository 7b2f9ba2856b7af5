/**
 * The DDSketch logarithmic index mapping, computed exactly as `@datadog/sketches-js`'s
 * `LogarithmicMapping` does (same gamma, same multiplier, same key), so our bins are
 * wire-compatible with Datadog's: key(x) = ceil(log_gamma(x)), value(k) = 2·gamma^k / (1 + gamma).
 */
export class LogMapping {
  readonly relativeAccuracy: number;
  readonly gamma: number;
  /** log2(x) · multiplier = log_gamma(x). */
  readonly multiplier: number;
  /** Values at or below this magnitude go to the zero bucket. */
  readonly minIndexable: number;
  /** Largest magnitude with a finite bin value. */
  readonly maxIndexable: number;

  constructor(relativeAccuracy: number) {
    const gammaMantissa = (2 * relativeAccuracy) / (1 - relativeAccuracy);
    this.relativeAccuracy = relativeAccuracy;
    this.gamma = 1 + gammaMantissa;
    this.multiplier = (1 / Math.log1p(gammaMantissa)) * Math.log(2);
    this.minIndexable = 2 ** -1023 * this.gamma;
    this.maxIndexable = Number.MAX_VALUE / this.gamma;
  }

  /** Bin key of a positive value above `minIndexable`. */
  key(x: number): number {
    return Math.ceil(Math.log2(x) * this.multiplier);
  }

  /** Representative value of a bin: within `relativeAccuracy` of every value mapped to it. */
  value(key: number): number {
    return 2 ** (key / this.multiplier) * (2 / (1 + this.gamma));
  }
}

/** Whether a relative accuracy is usable: 0 < a < 1 (we accept 1e-4 … 0.5). */
export function isValidRelativeAccuracy(a: number): boolean {
  return Number.isFinite(a) && a >= 1e-4 && a <= 0.5;
}
