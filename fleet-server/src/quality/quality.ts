import { correctTotal, type FeedbackAggregate, labelledTotal, mergeFeedback } from '@edgefleet/shared';
import type { Proportion, VersionQuality } from '@edgefleet/shared/api';
import { clopperPearson } from '@edgefleet/shared/stats';

/** Confidence of every interval the quality read gives. */
export const QUALITY_CONFIDENCE = 0.95;

/** A proportion with its Clopper-Pearson interval. */
export function proportion(successes: number, trials: number, confidence = QUALITY_CONFIDENCE): Proportion {
  const i = clopperPearson(successes, trials, confidence);
  return { successes, trials, estimate: trials === 0 ? null : i.estimate, lower: i.lower, upper: i.upper };
}

/**
 * Sums the feedback aggregates of a version's reports (pure). Aggregates over other classes than the first
 * (a spec change under one version, which the registry forbids) are skipped and counted in `skipped`.
 */
export function sumFeedback(aggregates: readonly FeedbackAggregate[]): {
  sum: FeedbackAggregate | undefined;
  skipped: number;
} {
  let sum: FeedbackAggregate | undefined;
  let skipped = 0;
  for (const f of aggregates) {
    if (!sum) {
      sum = f;
      continue;
    }
    const merged = mergeFeedback(sum, f);
    if (merged.ok) sum = merged.value;
    else skipped++;
  }
  return { sum, skipped };
}

/** The quality view of a summed aggregate. */
export function qualityOf(
  sum: FeedbackAggregate | undefined,
  base: Pick<VersionQuality, 'model' | 'fromMs' | 'toMs' | 'reports'>,
): VersionQuality {
  const counts = sum?.counts ?? [];
  const labelled = sum ? labelledTotal(sum) : 0;
  const routed = sum?.routed ?? { auto: 0, review: 0 };
  const labels = sum?.labels ?? { auto: { labelled: 0, correct: 0 }, review: { labelled: 0, correct: 0 } };
  const classes = (sum?.classes ?? []).map((label, c) => {
    const truePositives = counts[c]![c]!;
    const support = counts[c]!.reduce((n, x) => n + x, 0);
    const predicted = counts.reduce((n, row) => n + row[c]!, 0);
    return {
      label,
      support,
      precision: proportion(truePositives, predicted),
      recall: proportion(truePositives, support),
    };
  });
  return {
    ...base,
    confidence: QUALITY_CONFIDENCE,
    routed,
    labelled,
    accuracy: proportion(sum ? correctTotal(sum) : 0, labelled),
    agreement: proportion(labels.review.correct, labels.review.labelled),
    autoAccuracy: proportion(labels.auto.correct, labels.auto.labelled),
    reviewShare: proportion(routed.review, routed.auto + routed.review),
    classes,
    confusion: counts,
  };
}
