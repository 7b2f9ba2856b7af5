import type { Proportion } from '@edgefleet/shared/api';
import { clopperPearson } from '@edgefleet/shared/stats';

/** Confidence of every interval the quality read gives. */
export const QUALITY_CONFIDENCE = 0.95;

/** A proportion with its Clopper-Pearson interval. */
export function proportion(successes: number, trials: number, confidence = QUALITY_CONFIDENCE): Proportion {
  const i = clopperPearson(successes, trials, confidence);
  return { successes, trials, estimate: trials === 0 ? null : i.estimate, lower: i.lower, upper: i.upper };
}
