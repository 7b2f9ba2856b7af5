import { fail, type Result } from '../result';
import { z } from '../zod';
import type { DecisionRoute } from './automation';
import {
  type Calibration,
  calibrationSchema,
  calibrationTotalsProblem,
  countLabelledConfidence,
  countRoutedConfidence,
  emptyCalibration,
  mergeCalibration,
} from './calibration';
import { countSchema } from './primitives';

/** Most classes a feedback aggregate covers (the matrix is classes², so this bounds a report's size). */
export const MAX_FEEDBACK_CLASSES = 64;

const routeLabelsSchema = z.strictObject({
  /** Labelled predictions of this route. */
  labelled: countSchema,
  /** Of them, those whose label equals the model's top-1 class. */
  correct: countSchema,
});

/**
 * Operator feedback of one window and model version, as mergeable counts (no input, no raw label list):
 * `counts[t][p]` labelled predictions whose true label is `classes[t]` and whose model answer was
 * `classes[p]`; per decision route the labelled and correct ones; and how many of the window's inferences
 * each route took (so review share needs no label); optionally the top-1 confidences per fixed bin
 * ({@link calibrationSchema}: label-free estimated accuracy and the calibration check). Sums of windows are
 * windows: merging is adding.
 */
export const feedbackAggregateSchema = z
  .strictObject({
    classes: z
      .array(z.string().check(z.minLength(1), z.maxLength(128)))
      .check(z.minLength(1), z.maxLength(MAX_FEEDBACK_CLASSES)),
    counts: z
      .array(z.array(countSchema).check(z.maxLength(MAX_FEEDBACK_CLASSES)))
      .check(z.maxLength(MAX_FEEDBACK_CLASSES)),
    labels: z.strictObject({ auto: routeLabelsSchema, review: routeLabelsSchema }),
    routed: z.strictObject({ auto: countSchema, review: countSchema }),
    /** Optional: clients before it send none; a merge with one that has none keeps the one there is. */
    calibration: z.optional(calibrationSchema),
  })
  .check(
    z.superRefine((f, ctx) => {
      const problem = feedbackProblem(f);
      if (problem) ctx.addIssue({ code: 'custom', message: problem.message, path: problem.path });
    }),
  );
/** Operator feedback of one window and model version. */
export type FeedbackAggregate = z.infer<typeof feedbackAggregateSchema>;

/** Labelled predictions in an aggregate (the matrix total). */
export function labelledTotal(f: Pick<FeedbackAggregate, 'counts'>): number {
  let n = 0;
  for (const row of f.counts) for (const c of row) n += c;
  return n;
}

/** Labelled predictions whose label equals the model's answer (the matrix diagonal). */
export function correctTotal(f: Pick<FeedbackAggregate, 'counts'>): number {
  let n = 0;
  for (const [i, row] of f.counts.entries()) n += row[i] ?? 0;
  return n;
}

// The invariants a forged aggregate breaks; undefined when consistent.
function feedbackProblem(f: {
  classes: string[];
  counts: number[][];
  labels: FeedbackAggregate['labels'];
  routed: FeedbackAggregate['routed'];
  calibration?: Calibration | undefined;
}): { message: string; path: (string | number)[] } | undefined {
  if (new Set(f.classes).size !== f.classes.length)
    return { message: 'expected distinct classes', path: ['classes'] };
  const k = f.classes.length;
  if (f.counts.length !== k || f.counts.some((row) => row.length !== k))
    return {
      message: `expected counts to be a ${k}×${k} matrix (one row and column per class)`,
      path: ['counts'],
    };
  const total = labelledTotal(f);
  if (!Number.isSafeInteger(total))
    return { message: 'expected a matrix total below 2^53', path: ['counts'] };
  const { auto, review } = f.labels;
  for (const [route, l] of [['auto', auto] as const, ['review', review] as const]) {
    if (l.correct > l.labelled)
      return { message: `expected labels.${route}.correct <= labelled`, path: ['labels', route, 'correct'] };
  }
  if (auto.labelled + review.labelled !== total)
    return {
      message: `expected labels.auto.labelled + labels.review.labelled (${auto.labelled + review.labelled}) to equal the matrix total (${total})`,
      path: ['labels'],
    };
  const diagonal = correctTotal(f);
  if (auto.correct + review.correct !== diagonal)
    return {
      message: `expected labels.auto.correct + labels.review.correct (${auto.correct + review.correct}) to equal the matrix diagonal (${diagonal})`,
      path: ['labels'],
    };
  if (f.calibration)
    return calibrationTotalsProblem(f.calibration, {
      routed: f.routed.auto + f.routed.review,
      labelled: total,
      correct: diagonal,
    });
  return undefined;
}

/**
 * Checks an aggregate against the window it travels in: no more labels and no more routed inferences than the
 * window's inferences (a forged count beyond what the device served is refused). Never throws.
 */
export function checkFeedbackAgainstWindow(
  f: FeedbackAggregate,
  inferences: number,
): Result<FeedbackAggregate> {
  const labelled = labelledTotal(f);
  if (labelled > inferences)
    return fail({
      kind: 'invalid',
      message: `expected feedback labels (${labelled}) <= the window's inferences (${inferences})`,
      path: 'feedback.counts',
    });
  const routed = f.routed.auto + f.routed.review;
  if (routed > inferences)
    return fail({
      kind: 'invalid',
      message: `expected feedback.routed.auto + review (${routed}) <= the window's inferences (${inferences})`,
      path: 'feedback.routed',
    });
  return { ok: true, value: f };
}

/** An empty aggregate over `classes`. */
export function emptyFeedback(classes: readonly string[]): FeedbackAggregate {
  return {
    classes: [...classes],
    counts: classes.map(() => classes.map(() => 0)),
    labels: { auto: { labelled: 0, correct: 0 }, review: { labelled: 0, correct: 0 } },
    routed: { auto: 0, review: 0 },
  };
}

/** Adds `b` into a copy of `a`; fails when their classes differ (two specs never merge). */
export function mergeFeedback(a: FeedbackAggregate, b: FeedbackAggregate): Result<FeedbackAggregate> {
  if (a.classes.length !== b.classes.length || a.classes.some((c, i) => c !== b.classes[i]))
    return fail({ kind: 'invalid', message: 'expected feedback aggregates over the same classes' });
  return {
    ok: true,
    value: {
      classes: [...a.classes],
      counts: a.counts.map((row, t) => row.map((c, p) => c + (b.counts[t]?.[p] ?? 0))),
      labels: {
        auto: {
          labelled: a.labels.auto.labelled + b.labels.auto.labelled,
          correct: a.labels.auto.correct + b.labels.auto.correct,
        },
        review: {
          labelled: a.labels.review.labelled + b.labels.review.labelled,
          correct: a.labels.review.correct + b.labels.review.correct,
        },
      },
      routed: { auto: a.routed.auto + b.routed.auto, review: a.routed.review + b.routed.review },
      ...mergedCalibration(a.calibration, b.calibration),
    },
  };
}

function mergedCalibration(a?: Calibration, b?: Calibration): { calibration?: Calibration } {
  if (a && b) return { calibration: mergeCalibration(a, b) };
  const one = a ?? b;
  return one ? { calibration: structuredClone(one) } : {};
}

/**
 * Counts one served inference's decision route and, when known, its top-1 confidence (label-free
 * calibration). The one counting rule of the agent and the browser runtime.
 */
export function countRoute(f: FeedbackAggregate, route: DecisionRoute, confidence?: number): void {
  f.routed[route]++;
  if (confidence === undefined) return;
  f.calibration ??= emptyCalibration();
  countRoutedConfidence(f.calibration, confidence);
}

/** One operator label of a prediction, by class index. */
export interface LabelObservation {
  trueIndex: number;
  predictedIndex: number;
  route: DecisionRoute;
  /** Top-1 confidence of the labelled prediction, when known. */
  confidence?: number;
}

/**
 * Counts one label into the matrix, its route and, when the prediction's confidence is known, the
 * calibration bins. False (nothing counted) when an index is outside the classes.
 */
export function countLabel(f: FeedbackAggregate, label: LabelObservation): boolean {
  const k = f.classes.length;
  const { trueIndex: t, predictedIndex: p } = label;
  if (!Number.isInteger(t) || !Number.isInteger(p) || t < 0 || p < 0 || t >= k || p >= k) return false;
  f.counts[t]![p]!++;
  const route = f.labels[label.route];
  route.labelled++;
  if (t === p) route.correct++;
  if (label.confidence !== undefined) {
    f.calibration ??= emptyCalibration();
    countLabelledConfidence(f.calibration, label.confidence, t === p);
  }
  return true;
}
