import { z } from '../zod';

/** Why a sample was captured; one sample may have several reasons. */
export const CAPTURE_REASONS = [
  'low_confidence',
  'low_margin',
  'out_of_range',
  'random',
  'disagreement',
] as const;
/** Why a sample was captured. */
export type CaptureReason = (typeof CAPTURE_REASONS)[number];

/** Largest per-device daily byte budget a policy may grant (1 GiB). */
export const MAX_CAPTURE_BYTES_PER_DAY = 1024 * 1024 * 1024;
/** Largest stored sample (after any downscale): 8 MiB. */
export const MAX_SAMPLE_BYTES = 8 * 1024 * 1024;
/** Most classes a policy may set a quota for. */
export const MAX_CLASS_QUOTAS = 256;

/**
 * What a client captures for one model, carried in the desired state / app plan. A sample is captured when at
 * least one rule fires and the budget admits it; nothing is captured where no policy reaches (opt-in per target).
 * `random.rate` is the ε-sample of everything, so training data is not only what the current model found hard.
 */
export const capturePolicySchema = z
  .strictObject({
    /** Capture when the top-1 confidence is below τ. */
    lowConfidence: z.optional(z.strictObject({ below: z.number().check(z.gte(0), z.lte(1)) })),
    /** Capture when top-1 minus top-2 confidence is below μ. */
    lowMargin: z.optional(z.strictObject({ below: z.number().check(z.gte(0), z.lte(1)) })),
    /**
     * Capture when an input feature falls outside the baseline's range (its under- or overflow bin): the named
     * features, or every profiled input feature when `features` is absent (e.g. a drifting feature's tail).
     */
    outOfRange: z.optional(
      z.strictObject({
        features: z.optional(
          z.array(z.string().check(z.minLength(1), z.maxLength(128))).check(z.minLength(1), z.maxLength(64)),
        ),
      }),
    ),
    /** Capture a uniform random share of all inferences. */
    random: z.optional(z.strictObject({ rate: z.number().check(z.gte(0), z.lte(1)) })),
    /** Capture when an operator's label differs from the prediction (while the input is still kept). */
    disagreement: z.optional(z.boolean()),
    /** Per-device (per-browser) bounds per UTC day; exhaustion is counted and reported, never silent. */
    budget: z.strictObject({
      maxSamplesPerDay: z.int().check(z.gte(1), z.lte(100_000)),
      maxBytesPerDay: z.int().check(z.gte(1), z.lte(MAX_CAPTURE_BYTES_PER_DAY)),
      /** Per predicted class: most samples per day (classes not named are bounded only by the totals). */
      classQuotas: z.optional(
        z
          .record(z.string().check(z.minLength(1), z.maxLength(128)), z.int().check(z.gte(0), z.lte(100_000)))
          .check(
            z.refine(
              (q) => Object.keys(q).length <= MAX_CLASS_QUOTAS,
              `expected at most ${MAX_CLASS_QUOTAS} classes`,
            ),
          ),
      ),
    }),
    /** Days a captured sample waits on the client (not yet uploaded) before it is dropped and counted. */
    clientRetentionDays: z.int().check(z.gte(1), z.lte(365)),
    /** Downscale so the longer side is at most this many pixels (aspect kept); absent: stored as received. */
    maxSidePx: z.optional(z.int().check(z.gte(16), z.lte(8192))),
  })
  .check(
    z.meta({
      id: 'CapturePolicy',
      example: {
        lowConfidence: { below: 0.8 },
        outOfRange: { features: ['brightness'] },
        random: { rate: 0.01 },
        disagreement: true,
        budget: { maxSamplesPerDay: 500, maxBytesPerDay: 50_000_000, classQuotas: { '180': 100 } },
        clientRetentionDays: 7,
        maxSidePx: 640,
      },
    }),
  );
/** What a client captures for one model. */
export type CapturePolicy = z.infer<typeof capturePolicySchema>;
