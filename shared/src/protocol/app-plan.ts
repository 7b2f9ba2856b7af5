import { capturePolicySchema } from '../capture/policy';
import { z } from '../zod';
import { automationSchema } from './automation';
import { policiesSchema, telemetryConfigSchema } from './desired';
import { modelRefSchema } from './manifest';
import { idSchema, timestampMsSchema } from './primitives';
import { PROTOCOL_VERSION } from './version';

/** Rollout strategies (see DESIGN.md "Roll it out"). */
export const ROLLOUT_STRATEGIES = ['shadow', 'canary', 'blue-green', 'all-at-once'] as const;
/** A rollout strategy. */
export type RolloutStrategy = (typeof ROLLOUT_STRATEGIES)[number];

/** A rollout salt: 1 to 64 chars of `[A-Za-z0-9_-]`. */
export const saltSchema = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a salt of [A-Za-z0-9_-], at most 64 chars'));

/** A stage share in percent, 0 to 100 in steps of 0.01 (one bucket of 10000). */
export const percentSchema = z.number().check(
  z.gte(0),
  z.lte(100),
  z.refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, 'expected a percent in steps of 0.01'),
);

/** A candidate being rolled out to a share of the app's clients, who bucket themselves with `inStage`. */
export const appCandidateSchema = z.object({
  rolloutId: idSchema,
  ref: modelRefSchema,
  strategy: z.enum(ROLLOUT_STRATEGIES),
  salt: saltSchema,
  percent: percentSchema,
});
/** A candidate being rolled out to a share of an app's clients. */
export type AppCandidate = z.infer<typeof appCandidateSchema>;

/**
 * One model slot of an app: the version everyone runs and, during a rollout, the candidate. `current` is null
 * while a first deployment has not completed (and after it was rolled back): clients outside the candidate's
 * share have no version of the model.
 */
export const appModelPlanSchema = z.object({
  name: idSchema,
  current: z.nullable(modelRefSchema),
  candidate: z.optional(appCandidateSchema),
  /** How much this model decides alone in the app's browsers; absent: `full`. */
  automation: z.optional(automationSchema),
  /** What the app's browsers capture of this model's inputs; absent: nothing. */
  capture: z.optional(capturePolicySchema),
});
/** One model slot of an app plan. */
export type AppModelPlan = z.infer<typeof appModelPlanSchema>;

/** The app-level plan (retained on `…/app/{appId}/desired`): one message for every browser of the app. */
export const appPlanSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  rev: z.int().check(z.gte(1)),
  appId: idSchema,
  issuedAt: timestampMsSchema,
  models: z.array(appModelPlanSchema).check(
    z.maxLength(16),
    z.refine(
      (models) => new Set(models.map((m) => m.name)).size === models.length,
      'expected unique model names',
    ),
  ),
  telemetry: telemetryConfigSchema,
  policies: policiesSchema,
});
/** The app-level plan. */
export type AppPlan = z.infer<typeof appPlanSchema>;
/** An app plan as the rollout controller decides it; the publisher stamps `v`, `rev`, `appId` and `issuedAt`. */
export type AppPlanInput = Omit<AppPlan, 'v' | 'rev' | 'appId' | 'issuedAt'>;
