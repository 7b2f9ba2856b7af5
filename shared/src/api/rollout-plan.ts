import { z } from 'zod';
import { ROLLOUT_STRATEGIES } from '../protocol/app-plan';
import { idSchema } from '../protocol/primitives';
import { rolloutGatesSchema, rolloutTargetRequestSchema } from './rollouts';
import { API_PREFIX, defineRoute } from './route';

/** Body of `POST /api/v1/rollouts/plan`: a rollout as it would be created, plus what the plan assumes. */
export const rolloutPlanRequestSchema = z
  .strictObject({
    model: idSchema,
    candidate: z.string().min(1).max(128),
    target: rolloutTargetRequestSchema,
    strategy: z.enum(ROLLOUT_STRATEGIES).default('canary'),
    stages: z.string().max(1000).optional().meta({ example: '5%:30m,25%:2h,100%' }),
    minInferences: z
      .int()
      .min(0)
      .max(1_000_000_000)
      .default(100)
      .meta({ description: 'inferences at the first look (the gates spend alpha over later looks)' }),
    gates: rolloutGatesSchema.default({}),
    confidence: z
      .number()
      .min(0.5)
      .max(0.999999)
      .default(0.99)
      .meta({ description: 'family-wise confidence of a stage decision, as the rollout gates use it' }),
    expectedErrorRate: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .meta({ description: 'the candidate error rate to plan for; default: the targets’ recent error rate' }),
    trafficWindowMs: z
      .int()
      .min(3_600_000)
      .max(30 * 86_400_000)
      .default(86_400_000)
      .meta({ description: 'how far back the targets’ traffic is measured' }),
  })
  .meta({
    id: 'RolloutPlanRequest',
    example: {
      model: 'cls',
      candidate: '1.1.0',
      target: { selector: 'site=plant-a' },
      stages: '5%:30m,25%:2h,100%',
      gates: { maxErrorRate: 0.02, maxPsi: 0.25 },
      confidence: 0.99,
    },
  });
/** Body of `POST /api/v1/rollouts/plan` as a client sends it. */
export type RolloutPlanRequestInput = z.input<typeof rolloutPlanRequestSchema>;
/** Body of `POST /api/v1/rollouts/plan` after defaults. */
export type RolloutPlanRequest = z.output<typeof rolloutPlanRequestSchema>;

const plannedGateSchema = z.object({
  gate: z.string().meta({ description: 'e.g. drift.psi.input.brightness, error_rate' }),
  threshold: z.number(),
  expected: z
    .number()
    .nullable()
    .meta({ description: 'the healthy value planned for (rates); null for drift (0)' }),
  inferencesNeeded: z
    .number()
    .nullable()
    .meta({ description: '≈ candidate inferences before a healthy candidate passes; null: not decidable' }),
  note: z.string().nullable(),
});

/** The estimate: the targets' traffic and, per stage, how long its gates need. */
export const rolloutPlanSchema = z
  .object({
    confidence: z.number(),
    tests: z.int().meta({ description: 'gated tests in the family (Bonferroni)' }),
    traffic: z.object({
      targets: z.int().meta({ description: 'targets matched (devices, or 1 for an app)' }),
      reportingTargets: z.int().meta({ description: 'targets with telemetry of the model in the window' }),
      inferencesPerMinute: z.number(),
      errorRate: z.number().nullable(),
      fromMs: z.int(),
      toMs: z.int(),
    }),
    gates: z.array(plannedGateSchema),
    inferencesNeeded: z
      .number()
      .nullable()
      .meta({ description: 'the most any gate needs; null: some gate cannot decide' }),
    suggestedMinInferences: z.int().nullable(),
    stages: z.array(
      z.object({
        percent: z.number(),
        minDurationMs: z.int(),
        inferencesPerMinute: z.number(),
        minutesNeeded: z
          .number()
          .nullable()
          .meta({ description: 'null: no traffic, or a gate cannot decide' }),
        enoughTime: z.boolean().meta({ description: 'the stage’s duration covers the minutes needed' }),
      }),
    ),
    notes: z.array(z.string()),
  })
  .meta({
    id: 'RolloutPlan',
    example: {
      confidence: 0.99,
      tests: 3,
      traffic: {
        targets: 40,
        reportingTargets: 38,
        inferencesPerMinute: 120,
        errorRate: 0.004,
        fromMs: 1764000000000,
        toMs: 1764086400000,
      },
      gates: [
        { gate: 'error_rate', threshold: 0.02, expected: 0.004, inferencesNeeded: 900, note: null },
        {
          gate: 'drift.psi.input.brightness',
          threshold: 0.25,
          expected: null,
          inferencesNeeded: 160,
          note: null,
        },
      ],
      inferencesNeeded: 900,
      suggestedMinInferences: 900,
      stages: [
        {
          percent: 5,
          minDurationMs: 1_800_000,
          inferencesPerMinute: 6,
          minutesNeeded: 150,
          enoughTime: false,
        },
        { percent: 100, minDurationMs: 0, inferencesPerMinute: 120, minutesNeeded: 7.5, enoughTime: false },
      ],
      notes: [],
    },
  });
/** The estimate. */
export type RolloutPlan = z.infer<typeof rolloutPlanSchema>;

/** Planning a rollout (no state changes). */
export const rolloutPlanRoutes = [
  defineRoute({
    method: 'post',
    path: `${API_PREFIX}/rollouts/plan`,
    body: rolloutPlanRequestSchema,
    responses: { 200: rolloutPlanSchema },
  }),
] as const;
