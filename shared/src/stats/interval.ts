/**
 * A point estimate with a two-sided interval at `confidence`: the interval covers the true value with probability
 * at least `confidence` (each side errs with at most `(1 − confidence) / 2`), as far as the method's stated
 * assumptions hold.
 */
export interface Interval {
  estimate: number;
  lower: number;
  upper: number;
  confidence: number;
}

/** Throws a RangeError unless 0 < confidence < 1. */
export function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError(`confidence: expected a number in (0, 1), got ${confidence}`);
}
