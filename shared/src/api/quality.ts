import { z } from 'zod';
import { MAX_FEEDBACK_CLASSES } from '../protocol/feedback';
import { labelKeySchema, modelVersionIdSchema } from '../protocol/primitives';
import { versionParamsSchema } from './models';
import { rangeQuerySchema } from './monitoring';
import { API_PREFIX, defineRoute } from './route';

/** A binomial proportion with its Clopper-Pearson interval; `estimate` null when there were no trials. */
export const proportionSchema = z
  .object({
    successes: z.int().min(0),
    trials: z.int().min(0),
    estimate: z.number().min(0).max(1).nullable(),
    lower: z.number().min(0).max(1),
    upper: z.number().min(0).max(1),
  })
  .meta({
    id: 'Proportion',
    example: { successes: 93, trials: 100, estimate: 0.93, lower: 0.8611, upper: 0.9714 },
  });
/** A proportion with its Clopper-Pearson interval. */
export type Proportion = z.infer<typeof proportionSchema>;

/** Precision and recall of one class. */
export const classQualitySchema = z
  .object({
    label: z.string(),
    /** Labelled predictions whose true label is this class. */
    support: z.int().min(0),
    precision: proportionSchema,
    recall: proportionSchema,
  })
  .meta({ id: 'ClassQuality' });

/** An estimate with a two-sided 95 % interval; `estimate` null when there was nothing to estimate from. */
export const estimateIntervalSchema = z
  .object({
    estimate: z.number().min(0).max(1).nullable(),
    lower: z.number().min(0).max(1),
    upper: z.number().min(0).max(1),
  })
  .meta({ id: 'EstimateInterval' });

/**
 * Accuracy estimated from the confidences (CBPE), beside the measured one. `labelFree`: mean top-1 confidence
 * of every binned inference (no label needed; right only if the model is calibrated on today's data; its
 * interval is the sampling noise under that assumption, nothing more). `calibrated`: per confidence bin the
 * labelled accuracy (the bin's mean confidence where it has no label) weighted by the bin's share of all
 * inferences (assumes labels within a bin are a random sample of it); null without labels.
 */
export const estimatedAccuracySchema = z
  .object({
    inferences: z.int().min(0),
    labelFree: estimateIntervalSchema,
    calibrated: estimateIntervalSchema.extend({ labelledBins: z.int().min(0) }).nullable(),
    assumes: z.string(),
  })
  .meta({ id: 'EstimatedAccuracy' });

/** One fixed confidence bin of the reliability diagram. */
export const reliabilityBinSchema = z
  .object({
    lower: z.number(),
    upper: z.number(),
    /** Inferences whose top-1 confidence fell in the bin, and their mean confidence. */
    routed: z.int().min(0),
    meanConfidence: z.number().nullable(),
    /** Labelled predictions in the bin, their accuracy and mean confidence. */
    labelled: z.int().min(0),
    accuracy: proportionSchema,
    meanLabelledConfidence: z.number().nullable(),
  })
  .meta({ id: 'ReliabilityBin' });

/**
 * Calibration check over the labelled predictions: expected calibration error, the ECE a calibrated model shows
 * at these bin sizes (95th percentile), and the Monte Carlo p-value of "calibrated"; `miscalibrated` only when
 * the p-value is below `alpha` (a calibrated model is flagged with probability ≤ alpha).
 */
export const calibrationCheckSchema = z
  .object({
    labelled: z.int().min(0),
    ece: z.number().nullable(),
    noise95: z.number().nullable(),
    pValue: z.number().nullable(),
    miscalibrated: z.boolean(),
    alpha: z.number(),
    draws: z.int(),
  })
  .meta({ id: 'CalibrationCheck' });

/** The headline numbers of a set of feedback aggregates (a time bucket or a slice). */
export const qualityFiguresSchema = z.object({
  reports: z.int().min(0),
  routed: z.object({ auto: z.int().min(0), review: z.int().min(0) }),
  labelled: z.int().min(0),
  accuracy: proportionSchema,
  agreement: proportionSchema,
  autoAccuracy: proportionSchema,
  reviewShare: proportionSchema,
  /** Label-free estimated accuracy (mean top-1 confidence); null without binned confidences. */
  estimatedAccuracy: z.number().min(0).max(1).nullable(),
});

/** The headline numbers of a time bucket or a slice. */
export type QualityFigures = z.infer<typeof qualityFiguresSchema>;

/** Quality of one time bucket `[fromMs, toMs)` (by window end). */
export const qualityPointSchema = qualityFiguresSchema
  .extend({ fromMs: z.int(), toMs: z.int() })
  .meta({ id: 'QualityPoint' });
/** Quality of one time bucket. */
export type QualityPoint = z.infer<typeof qualityPointSchema>;

/**
 * Quality of one slice: the devices whose label `key` has `value` (`value` null: devices without that label), or
 * one web app's browsers (`kind` app, `value` the app id). Slices use the devices' labels as they are now.
 */
export const qualitySliceSchema = qualityFiguresSchema
  .extend({
    slice: z.object({ kind: z.enum(['label', 'app']), key: z.string(), value: z.string().nullable() }),
    /** Devices (or 1 for an app) whose reports are in the slice. */
    sources: z.int().min(0),
  })
  .meta({ id: 'QualitySlice' });
/** Quality of one slice. */
export type QualitySlice = z.infer<typeof qualitySliceSchema>;

/**
 * Measured quality of a model version over `[from, to)`, from operator labels merged out of its active window
 * reports (by window end): accuracy over every label, agreement of the model with the humans on what went to
 * review, accuracy of what the model decided alone (labels from audits), the share of inferences routed to
 * review, and per class precision and recall. Every proportion carries its Clopper-Pearson interval at
 * `confidence`.
 */
export const versionQualitySchema = z
  .object({
    model: modelVersionIdSchema,
    fromMs: z.int(),
    toMs: z.int(),
    confidence: z.number(),
    /** Active window reports in the range that carried feedback. */
    reports: z.int().min(0),
    routed: z.object({ auto: z.int().min(0), review: z.int().min(0) }),
    labelled: z.int().min(0),
    accuracy: proportionSchema,
    agreement: proportionSchema,
    autoAccuracy: proportionSchema,
    reviewShare: proportionSchema,
    classes: z.array(classQualitySchema).max(MAX_FEEDBACK_CLASSES),
    /** `counts[true][predicted]` over `classes` (empty when nothing was labelled). */
    confusion: z.array(z.array(z.int().min(0))),
    /** Estimated accuracy beside the measured one; null when no client sent confidence bins. */
    estimated: estimatedAccuracySchema.nullable(),
    /** The reliability diagram: 10 fixed confidence bins (empty when no client sent confidence bins). */
    reliability: z.array(reliabilityBinSchema),
    /** Calibration check; null without labelled confidences. */
    calibrationCheck: calibrationCheckSchema.nullable(),
    /** `buckets` equal time buckets over `[from, to)`. */
    series: z.array(qualityPointSchema),
    /** Per slice, when `by` was asked (devices by that label, each web app on its own). */
    slices: z.array(qualitySliceSchema).optional(),
  })
  .meta({
    id: 'VersionQuality',
    example: {
      model: { name: 'cls', version: '1.0.0' },
      fromMs: 1_763_900_000_000,
      toMs: 1_763_986_400_000,
      confidence: 0.95,
      reports: 24,
      routed: { auto: 900, review: 100 },
      labelled: 120,
      accuracy: { successes: 111, trials: 120, estimate: 0.925, lower: 0.8625, upper: 0.9651 },
      agreement: { successes: 92, trials: 100, estimate: 0.92, lower: 0.8484, upper: 0.9648 },
      autoAccuracy: { successes: 19, trials: 20, estimate: 0.95, lower: 0.7513, upper: 0.9987 },
      reviewShare: { successes: 100, trials: 1000, estimate: 0.1, lower: 0.0821, upper: 0.1203 },
      classes: [
        {
          label: '0',
          support: 104,
          precision: { successes: 100, trials: 105, estimate: 0.9524, lower: 0.8924, upper: 0.9844 },
          recall: { successes: 100, trials: 104, estimate: 0.9615, lower: 0.9044, upper: 0.9894 },
        },
        {
          label: '180',
          support: 16,
          precision: { successes: 11, trials: 15, estimate: 0.7333, lower: 0.449, upper: 0.9221 },
          recall: { successes: 11, trials: 16, estimate: 0.6875, lower: 0.4134, upper: 0.8898 },
        },
      ],
      confusion: [
        [100, 4],
        [5, 11],
      ],
      estimated: {
        inferences: 1000,
        labelFree: { estimate: 0.931, lower: 0.9153, upper: 0.9467 },
        calibrated: { estimate: 0.94, lower: 0.92, upper: 0.96, labelledBins: 4 },
        assumes:
          'labelFree: the model is calibrated on this data; calibrated: labels are a random sample within each confidence bin',
      },
      reliability: [],
      calibrationCheck: {
        labelled: 120,
        ece: 0.031,
        noise95: 0.045,
        pValue: 0.31,
        miscalibrated: false,
        alpha: 0.01,
        draws: 1000,
      },
      series: [],
    },
  });
/** Measured quality of a model version. */
export type VersionQuality = z.infer<typeof versionQualitySchema>;

/** Most time buckets one quality read gives. */
export const MAX_QUALITY_BUCKETS = 200;

/**
 * Query of `GET …/quality`: `[from, to)` in ms (default: the last 24 h), `buckets` of the time series
 * (default 24), `by` a device label key to slice by.
 */
export const qualityQuerySchema = rangeQuerySchema.pick({ from: true, to: true }).extend({
  buckets: z.coerce
    .number<number>()
    .int()
    .min(1)
    .max(MAX_QUALITY_BUCKETS)
    .default(24)
    .meta({ description: `time buckets of the series over [from, to), 1 to ${MAX_QUALITY_BUCKETS}` }),
  by: z.optional(labelKeySchema).meta({
    description: 'device label key to slice by (e.g. line); each web app is a slice of its own',
  }),
});

/** Quality reads: measured accuracy from operator labels. */
export const qualityRoutes = [
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/models/{name}/versions/{version}/quality`,
    params: versionParamsSchema,
    query: qualityQuerySchema,
    responses: { 200: versionQualitySchema },
  }),
] as const;
