import { z } from 'zod';
import { MAX_FEEDBACK_CLASSES } from '../protocol/feedback';
import { modelVersionIdSchema } from '../protocol/primitives';
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
    },
  });
/** Measured quality of a model version. */
export type VersionQuality = z.infer<typeof versionQualitySchema>;

/** Query of `GET …/quality`: `[from, to)` in ms (default: the last 24 h). */
export const qualityQuerySchema = rangeQuerySchema.pick({ from: true, to: true });

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
