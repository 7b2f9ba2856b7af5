import { correctTotal, type FeedbackAggregate, labelledTotal, mergeFeedback } from '@edgefleet/shared';
import type { VersionQuality } from '@edgefleet/shared/api';
import { calibrationViews, meanConfidence } from './estimate';
import { proportion, QUALITY_CONFIDENCE } from './proportion';

export { proportion, QUALITY_CONFIDENCE } from './proportion';

/** The quality of a version without its time series and slices (those come from the reports one by one). */
export type QualitySummary = Omit<VersionQuality, 'series' | 'slices'>;

/** The headline figures of a summed aggregate (a version, a time bucket or a slice). */
export function figuresOf(sum: FeedbackAggregate | undefined, reports: number) {
  const labelled = sum ? labelledTotal(sum) : 0;
  const routed = sum?.routed ?? { auto: 0, review: 0 };
  const labels = sum?.labels ?? { auto: { labelled: 0, correct: 0 }, review: { labelled: 0, correct: 0 } };
  return {
    reports,
    routed: { ...routed },
    labelled,
    accuracy: proportion(sum ? correctTotal(sum) : 0, labelled),
    agreement: proportion(labels.review.correct, labels.review.labelled),
    autoAccuracy: proportion(labels.auto.correct, labels.auto.labelled),
    reviewShare: proportion(routed.review, routed.auto + routed.review),
    estimatedAccuracy: meanConfidence(sum),
  };
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
): QualitySummary {
  const counts = sum?.counts ?? [];
  const { estimatedAccuracy: _, ...figures } = figuresOf(sum, base.reports);
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
    ...figures,
    classes,
    confusion: counts,
    ...calibrationViews(sum),
  };
}
