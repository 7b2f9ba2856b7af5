import type { Interval } from './interval';

// MOVER (method of variance estimates recovery, Zou & Donner 2008; Donner & Zou 2012 for ratios): intervals for a
// difference or a ratio of two independent quantities from each one's own interval at the same confidence. With
// Clopper-Pearson or Wilson intervals for two rates it is the standard interval for "candidate vs control".

/** Interval for a − b from independent intervals of a and b (each at the confidence wanted for the difference). */
export function moverDifference(a: Interval, b: Interval): Interval {
  const d = a.estimate - b.estimate;
  return {
    estimate: d,
    lower: d - Math.hypot(a.estimate - a.lower, b.upper - b.estimate),
    upper: d + Math.hypot(a.upper - a.estimate, b.estimate - b.lower),
    confidence: Math.min(a.confidence, b.confidence),
  };
}

/** Interval for a / b of two positive quantities (MOVER-R); the upper bound is +Infinity when b's interval reaches 0. */
export function moverRatio(a: Interval, b: Interval): Interval {
  const confidence = Math.min(a.confidence, b.confidence);
  const { estimate: x, lower: l1, upper: u1 } = a;
  const { estimate: y, lower: l2, upper: u2 } = b;
  if (!(y > 0)) return { estimate: Number.NaN, lower: 0, upper: Number.POSITIVE_INFINITY, confidence };
  const xy = x * y;
  const lowDisc = xy * xy - l1 * u2 * (2 * x - l1) * (2 * y - u2);
  const lowDen = u2 * (2 * y - u2);
  const lower = lowDen > 0 && lowDisc >= 0 ? Math.max(0, (xy - Math.sqrt(lowDisc)) / lowDen) : 0;
  const highDisc = xy * xy - u1 * l2 * (2 * x - u1) * (2 * y - l2);
  const highDen = l2 * (2 * y - l2);
  const upper =
    highDen > 0 && highDisc >= 0 ? (xy + Math.sqrt(highDisc)) / highDen : Number.POSITIVE_INFINITY;
  return { estimate: x / y, lower, upper, confidence };
}
