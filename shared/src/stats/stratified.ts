import { betaQuantile } from './beta';
import { checkConfidence, type Interval } from './interval';

/** One stratum of a stratified proportion: its share of the population and a random sample of it. */
export interface Stratum {
  /** Units of the population in the stratum (e.g. inferences routed to review). */
  size: number;
  /** Of them, sampled and judged (e.g. labelled). */
  sampled: number;
  /** Of the sampled, successes (e.g. correct). */
  successes: number;
}

/**
 * Interval for a proportion over a population split in strata sampled at different rates — e.g. a model's
 * accuracy over every inference when the operators label every prediction routed to review but spot-check only a
 * few of those decided alone. The plain rate over the labels would weigh the hard (reviewed) cases far too much;
 * this weighs each stratum's rate by its share of the population. Korn-Graubard: a Clopper-Pearson interval at the
 * effective sample size (variance from Jeffreys-smoothed stratum rates). A stratum with units but no sample is
 * unknown: the bounds take it as all wrong and all right (the gate stays undecided rather than assume), the
 * estimate as like the sampled strata. Reduces to the
 * exact Clopper-Pearson interval for one stratum. Estimate NaN when nothing is sampled.
 */
export function stratifiedProportion(strata: readonly Stratum[], confidence: number): Interval {
  checkConfidence(confidence);
  for (const s of strata) {
    if (!(s.size >= 0 && s.sampled >= 0 && s.successes >= 0 && s.successes <= s.sampled))
      throw new RangeError(
        `stratifiedProportion: expected 0 <= successes <= sampled and size >= 0, got ${JSON.stringify(s)}`,
      );
  }
  // A stratum whose size is unknown (0) but sampled counts by its sample: never drop labels.
  const weightOf = (s: Stratum) => Math.max(s.size, s.sampled);
  const total = strata.reduce((n, s) => n + weightOf(s), 0);
  const known = strata.filter((s) => s.sampled > 0);
  if (total === 0 || known.length === 0) return { estimate: Number.NaN, lower: 0, upper: 1, confidence };
  const unknownShare = strata.filter((s) => s.sampled === 0).reduce((w, s) => w + weightOf(s), 0) / total;
  const knownShare = 1 - unknownShare;
  let estimate = 0;
  let variance = 0;
  let sampled = 0;
  for (const s of known) {
    const w = weightOf(s) / total / knownShare;
    estimate += (w * s.successes) / s.sampled;
    const smoothed = (s.successes + 0.5) / (s.sampled + 1);
    variance += (w * w * smoothed * (1 - smoothed)) / s.sampled;
    sampled += s.sampled;
  }
  let lower: number;
  let upper: number;
  if (known.length === 1) {
    const s = known[0]!;
    [lower, upper] = exactBounds(s.successes, s.sampled, confidence);
  } else {
    const p = Math.min(1 - 1e-12, Math.max(1e-12, estimate));
    // The design effect never makes the sample count more than it is.
    const effective = Math.min(sampled, (p * (1 - p)) / variance);
    [lower, upper] = exactBounds(estimate * effective, effective, confidence);
  }
  return {
    estimate,
    lower: lower * knownShare,
    upper: upper * knownShare + unknownShare,
    confidence,
  };
}

// Clopper-Pearson bounds for x of n, x and n real (Korn-Graubard's effective counts).
function exactBounds(x: number, n: number, confidence: number): [number, number] {
  const side = (1 - confidence) / 2;
  const lower = x <= 0 ? 0 : betaQuantile(side, x, n - x + 1);
  const upper = x >= n ? 1 : betaQuantile(1 - side, x + 1, n - x);
  return [lower, upper];
}
