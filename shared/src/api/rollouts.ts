import { z } from 'zod';
import { ROLLOUT_STRATEGIES, saltSchema } from '../protocol/app-plan';
import { automationSchema } from '../protocol/automation';
import { idSchema, modelVersionSchema } from '../protocol/primitives';
import { idParamsSchema } from './devices';
import { API_PREFIX, defineRoute } from './route';

/** Where a rollout is. `scheduled`, `running` and `paused` are active; the others are final. */
export const ROLLOUT_STATUSES = [
  'scheduled',
  'running',
  'paused',
  'completed',
  'rolled_back',
  'aborted',
] as const;
/** Where a rollout is. */
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/** An event in a rollout's life; every one goes to the audit log. */
export const ROLLOUT_EVENTS = [
  'created',
  'started',
  'advanced',
  'completed',
  'rolled_back',
  'paused',
  'resumed',
  'promoted',
  'aborted',
  'stepped_down',
] as const;
/** An event in a rollout's life. */
export type RolloutEvent = (typeof ROLLOUT_EVENTS)[number];

/** What an admin can do to a rollout. */
export const ROLLOUT_ACTIONS = ['pause', 'resume', 'promote', 'abort', 'rollback'] as const;
/** What an admin can do to a rollout. */
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

/** What a breached gate does. */
export const BREACH_ACTIONS = ['rollback', 'pause'] as const;
/** What a breached gate does. */
export type BreachAction = (typeof BREACH_ACTIONS)[number];

/** What a stage still undecided at its deadline does: pause (default), keep waiting, or roll back. */
export const INCONCLUSIVE_ACTIONS = ['pause', 'extend', 'rollback'] as const;
/** What a stage still undecided at its deadline does. */
export type InconclusiveAction = (typeof INCONCLUSIVE_ACTIONS)[number];

/**
 * A gate's status: `breach` when the interval lies past the threshold, `pass` when it lies within it,
 * `inconclusive` when it straddles it, `wait` when there is too little data to test (stage minimums, no data).
 * Neither `wait` nor `inconclusive` ever counts as a pass.
 */
export const GATE_STATUSES = ['pass', 'wait', 'inconclusive', 'breach'] as const;
/** A gate's status. */
export type GateStatus = (typeof GATE_STATUSES)[number];

/**
 * The test behind a gate value: `clopper-pearson` (binomial: rates, shares, shadow agreement),
 * `noncentral-chi-square` (bias-corrected PSI / JS with both samples' noise), `order-statistic` (distribution-free
 * quantile bounds from DDSketch bins), `order-statistic-ratio` (candidate over control cohort), `normal-mean`
 * (a profile mean), `finite-population` (the apply-failure share of the stage's members: exact bounds, unsettled
 * members counted as failed for the upper one), `mover-difference` (a quality gate: the candidate cohort's rate
 * minus the control cohort's, MOVER over two Clopper-Pearson intervals), `point` (no bound can be derived: judged on the point estimate), `minimum` (a stage minimum),
 * `none` (no data).
 */
export const GATE_TESTS = [
  'clopper-pearson',
  'noncentral-chi-square',
  'order-statistic',
  'order-statistic-ratio',
  'normal-mean',
  'finite-population',
  'mover-difference',
  'point',
  'minimum',
  'none',
] as const;
/** The test behind a gate value. */
export type GateTest = (typeof GATE_TESTS)[number];

/** Days of the week of a maintenance window. */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

/** A target's state in a rollout. */
export const TARGET_STATES = ['on_candidate', 'on_baseline', 'switching', 'failed', 'untouched'] as const;

const positive = z.number().positive();
const share = z.number().min(0).max(1);

/** Thresholds on what the candidate's clients report; every one is optional. */
export const rolloutGatesSchema = z
  .strictObject({
    latencyP95Ms: positive.optional(),
    latencyP99Ms: positive.optional(),
    /** Candidate p95 over the baseline version's p95 in the same window, e.g. 1.2. */
    latencyP95Ratio: positive.optional(),
    latencyP99Ratio: positive.optional(),
    maxErrorRate: share.optional(),
    maxPsi: positive.optional(),
    maxJs: share.optional(),
    features: z
      .record(z.string(), z.strictObject({ maxPsi: positive.optional(), maxJs: share.optional() }))
      .optional(),
    minShadowAgreement: share.optional(),
    maxApplyFailureShare: share.optional(),
    /** Accuracy on labelled predictions: the control cohort's minus the candidate's, at most this (e.g. 0.02). */
    maxAccuracyDrop: share.optional(),
    /** Agreement with humans on reviewed predictions: the control cohort's minus the candidate's, at most this. */
    maxAgreementDrop: share.optional(),
    /** Share of inferences routed to review: the candidate's minus the control cohort's, at most this. */
    maxReviewShareRise: share.optional(),
    /** Fewest labels (review share: routed inferences) in each cohort before a quality gate is tested. Default 100. */
    minLabels: z.int().min(1).max(1_000_000_000).optional(),
    /** Automation ladder: a stage steps the level up only when agreement with humans' lower bound is at least this. */
    minStepUpAgreement: share.optional(),
    /** Automation ladder: fewest reviewed predictions of the candidate before a step up is tested. Default 100. */
    minStepUpReviews: z.int().min(1).max(1_000_000_000).optional(),
    metrics: z
      .array(
        z.strictObject({
          name: z.string().min(1).max(200),
          min: z.number().optional(),
          max: z.number().optional(),
        }),
      )
      .max(32)
      .optional(),
  })
  .meta({
    id: 'RolloutGates',
    example: { latencyP95Ms: 250, maxErrorRate: 0.01, features: { brightness: { maxPsi: 0.2 } } },
  });
/** Gate thresholds of a rollout. */
export type RolloutGates = z.infer<typeof rolloutGatesSchema>;

/** A recurring maintenance window in a site's time zone; outside it no stage advances. */
export const maintenanceWindowSchema = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).min(1).max(7),
    start: z.string(),
    end: z.string(),
    timeZone: z.string().min(1).max(64),
  })
  .meta({
    id: 'MaintenanceWindow',
    example: {
      days: ['mon', 'tue', 'wed', 'thu', 'fri'],
      start: '22:00',
      end: '06:00',
      timeZone: 'Europe/Berlin',
    },
  });

/** Who a new rollout targets: devices by label selector, explicit devices, or a web app's browsers. */
export const rolloutTargetRequestSchema = z.union([
  z.strictObject({ selector: z.string().max(4096).meta({ example: 'site=plant-a,line in (3,4)' }) }),
  z.strictObject({ devices: z.array(idSchema).min(1).max(100_000) }),
  z.strictObject({ app: idSchema }),
]);

/** Body of `POST /api/v1/rollouts`. */
export const rolloutCreateSchema = z
  .strictObject({
    id: z.optional(idSchema),
    model: idSchema,
    candidate: z.string().min(1).max(128),
    baseline: z
      .string()
      .min(1)
      .max(128)
      .nullable()
      .optional()
      .meta({
        description:
          'the version the candidate replaces; default: what most targets run now, or none when no target runs the ' +
          'model (a first deployment); null: a first deployment (400 when a target runs the model). A first ' +
          'deployment allows canary and all-at-once only, and no gates relative to the baseline ' +
          '(latencyP95Ratio, latencyP99Ratio, minShadowAgreement); targets outside the stage, and all after a ' +
          'rollback or abort, get no version of the model.',
      }),
    target: rolloutTargetRequestSchema,
    strategy: z.enum(ROLLOUT_STRATEGIES).default('canary'),
    stages: z
      .string()
      .max(1000)
      .optional()
      .meta({
        example: '5%:30m,25%:2h,100%',
        description:
          'SHARE%[:MIN[/MAX]][@LEVEL] per stage: MIN the stage lasts at least, MAX its deadline when the gates are ' +
          'still undecided (default 4 × MIN; none when MIN is 0), e.g. 5%:30m/3h; LEVEL (shadow, assist, ' +
          'partial(τ,μ), full) the automation level of the stage members on the candidate (the automation ladder: ' +
          'levels only rise; a stage may repeat the share before it when it raises the level), e.g. ' +
          '25%:2h@shadow,100%:1d@assist,100%:1d@partial(0.9,0.2),100%@full',
      }),
    minReportingTargets: z.int().min(0).max(1_000_000).default(1),
    minInferences: z.int().min(0).max(1_000_000_000).default(100),
    gates: rolloutGatesSchema.default({}),
    onBreach: z.enum(BREACH_ACTIONS).default('rollback'),
    confidence: z
      .number()
      .min(0.5)
      .max(0.999999)
      .default(0.99)
      .meta({
        description:
          'family-wise confidence of the gate decisions, over every gate and every look of a stage: a healthy ' +
          'candidate is rolled back (or a bad one passed) with probability at most 1 − confidence per stage',
      }),
    onInconclusive: z.enum(INCONCLUSIVE_ACTIONS).default('pause'),
    startAt: z.int().min(0).optional().meta({ description: 'ms since the epoch; default now' }),
    maintenanceWindows: z.array(maintenanceWindowSchema).max(16).default([]),
    maxConcurrentDownloads: z.int().min(1).max(1_000_000).optional(),
    /** A target that neither applies the candidate nor reports a failure within this long counts as failed (`timed_out`). */
    applyTimeoutMs: z
      .int()
      .min(1_000)
      .max(7 * 86_400_000)
      .optional()
      .meta({ description: 'ms; default 900000 (15 min)' }),
    salt: z.optional(saltSchema),
  })
  .meta({
    id: 'RolloutCreate',
    example: {
      model: 'cls',
      candidate: '1.1.0',
      baseline: '1.0.0',
      target: { selector: 'site=plant-a' },
      strategy: 'canary',
      stages: '5%:30m,25%:2h,100%',
      gates: { latencyP95Ms: 250, maxPsi: 0.2 },
    },
  });
/** Body of `POST /api/v1/rollouts` as a client sends it. */
export type RolloutCreateInput = z.input<typeof rolloutCreateSchema>;
/** Body of `POST /api/v1/rollouts` after defaults. */
export type RolloutCreate = z.output<typeof rolloutCreateSchema>;

/** Who a rollout targets, as stored. */
export const rolloutTargetSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('selector'), selector: z.string() }),
    z.object({ kind: z.literal('devices'), ids: z.array(z.string()) }),
    z.object({ kind: z.literal('app'), appId: z.string() }),
  ])
  .meta({ id: 'RolloutTarget', example: { kind: 'selector', selector: 'site=plant-a' } });
/** Who a rollout targets. */
export type RolloutTarget = z.infer<typeof rolloutTargetSchema>;

/**
 * One gate's evidence against its threshold (`max`: at or below; `min`: at or above): the estimate (`value`), its
 * interval [`lower`, `upper`] at `confidence` (the per-test level: the rollout's confidence split over gates and
 * looks), the test, the candidate's and the control's (or baseline's) observations behind it, and for an
 * inconclusive gate ≈ how many more candidate inferences would likely decide it. Rows written before gates were
 * tests carry only gate, value, threshold, bound and status.
 */
export const gateValueSchema = z
  .object({
    gate: z.string(),
    value: z.number().nullable(),
    threshold: z.number(),
    bound: z.enum(['max', 'min']),
    status: z.enum(GATE_STATUSES),
    test: z.enum(GATE_TESTS).optional(),
    lower: z.number().nullable().optional(),
    upper: z.number().nullable().optional(),
    confidence: z.number().nullable().optional(),
    n: z.number().nullable().optional(),
    controlN: z.number().nullable().optional(),
    needMore: z.number().nullable().optional(),
  })
  .meta({
    id: 'GateValue',
    example: {
      gate: 'drift.psi.input.brightness',
      value: 0.04,
      threshold: 0.25,
      bound: 'max',
      status: 'inconclusive',
      test: 'noncentral-chi-square',
      lower: 0,
      upper: 0.31,
      confidence: 0.99994,
      n: 420,
      controlN: 300,
      needMore: 380,
    },
  });
/** One gate's measured value against its threshold. */
export type GateValueView = z.infer<typeof gateValueSchema>;

const EXAMPLE_SUMMARY = {
  id: 'ro_4f9a1c2b3d4e5f60',
  model: 'cls',
  candidate: '1.1.0',
  baseline: '1.0.0',
  strategy: 'canary',
  target: { kind: 'selector', selector: 'site=plant-a' },
  status: 'running',
  stageIndex: 0,
  stageCount: 3,
  percent: 5,
  createdBy: 'admin:adm_0123456789abcdef01234567',
  createdAt: 1764000000000,
  updatedAt: 1764000060000,
} as const;

/** A rollout as listed. */
export const rolloutSummarySchema = z
  .object({
    id: idSchema,
    model: idSchema,
    candidate: modelVersionSchema,
    baseline: z.nullable(modelVersionSchema).meta({ description: 'null: a first deployment' }),
    strategy: z.enum(ROLLOUT_STRATEGIES),
    target: rolloutTargetSchema,
    status: z.enum(ROLLOUT_STATUSES),
    stageIndex: z.int(),
    stageCount: z.int(),
    /** Share of targets on the candidate now. */
    percent: z.number(),
    createdBy: z.string(),
    createdAt: z.int(),
    updatedAt: z.int(),
  })
  .meta({ id: 'RolloutSummary', example: EXAMPLE_SUMMARY });
/** A rollout as listed. */
export type RolloutSummary = z.infer<typeof rolloutSummarySchema>;

/** One stage of a rollout with where the rollout is. */
export const rolloutStageSchema = z
  .object({
    index: z.int(),
    percent: z.number(),
    minDurationMs: z.int(),
    minReportingTargets: z.int(),
    minInferences: z.int(),
    /** Deadline of the stage while its gates are undecided; null: none. */
    maxDurationMs: z.int().nullable(),
    /** The automation level the stage gives its members on the candidate (automation ladder); absent: none. */
    automation: z.optional(automationSchema),
    state: z.enum(['done', 'current', 'pending']),
  })
  .meta({
    id: 'RolloutStage',
    example: {
      index: 0,
      percent: 5,
      minDurationMs: 1_800_000,
      minReportingTargets: 1,
      minInferences: 100,
      maxDurationMs: 7_200_000,
      state: 'current',
    },
  });

/** One audit entry: who did what, when, why, and the gate values it was decided on. */
export const rolloutAuditSchema = z
  .object({
    id: z.int(),
    rolloutId: idSchema,
    at: z.int(),
    actor: z.string(),
    event: z.enum(ROLLOUT_EVENTS),
    fromStatus: z.enum(ROLLOUT_STATUSES).nullable(),
    toStatus: z.enum(ROLLOUT_STATUSES),
    stageIndex: z.int(),
    reason: z.string(),
    gates: z.array(gateValueSchema),
  })
  .meta({
    id: 'RolloutAudit',
    example: {
      id: 12,
      rolloutId: 'ro_4f9a1c2b3d4e5f60',
      at: 1764000060000,
      actor: 'controller',
      event: 'started',
      fromStatus: 'scheduled',
      toStatus: 'running',
      stageIndex: 0,
      reason: 'start time reached',
      gates: [],
    },
  });
/** One audit entry. */
export type RolloutAudit = z.infer<typeof rolloutAuditSchema>;

const ROLLOUT_DETAIL_EXAMPLE = {
  ...EXAMPLE_SUMMARY,
  stages: [],
  stage: {
    index: 0,
    percent: 5,
    startedAt: 1764000060000,
    elapsedMs: 60_000,
    minDurationMs: 1_800_000,
    maxDurationMs: 7_200_000,
  },
  gates: { latencyP95Ms: 250 },
  onBreach: 'rollback',
  confidence: 0.99,
  onInconclusive: 'pause',
  salt: 'ro_4f9a1c2b3d4e5f60',
  startAt: 1764000000000,
  maintenanceWindows: [],
  maxConcurrentDownloads: null,
  applyTimeoutMs: 900_000,
  evaluation: {
    at: 1764000120000,
    note: 'stage 1: waiting for data',
    verdict: 'wait',
    gates: [],
    look: null,
  },
  targets: {
    total: 20,
    byState: { on_candidate: 1, on_baseline: 19, switching: 0, failed: 0, untouched: 0 },
    failures: [],
  },
  audit: [],
} as const;

/** A rollout in full: spec, stage progress, the last gate values against thresholds, targets by state, audit. */
export const rolloutDetailSchema = rolloutSummarySchema
  .extend({
    stages: z.array(rolloutStageSchema),
    stage: z
      .object({
        index: z.int(),
        percent: z.number(),
        startedAt: z.int(),
        elapsedMs: z.int(),
        minDurationMs: z.int(),
        maxDurationMs: z.int().nullable(),
        /** The automation level the stage's members on the candidate run now (the ladder's rung); null: none set. */
        automation: z.optional(z.nullable(automationSchema)),
        /** Steps the ladder went down in this stage (quality gates breached). */
        stepsDown: z.int().optional(),
      })
      .nullable(),
    gates: rolloutGatesSchema,
    onBreach: z.enum(BREACH_ACTIONS),
    confidence: z.number(),
    onInconclusive: z.enum(INCONCLUSIVE_ACTIONS),
    salt: z.string(),
    startAt: z.int(),
    maintenanceWindows: z.array(maintenanceWindowSchema),
    maxConcurrentDownloads: z.int().nullable(),
    applyTimeoutMs: z.int(),
    evaluation: z
      .object({
        at: z.int(),
        note: z.string(),
        verdict: z.enum(GATE_STATUSES).nullable(),
        gates: z.array(gateValueSchema),
        /** The sequential look the gates were tested at (1-based), and the candidate inferences that opened it. */
        look: z.object({ look: z.int(), n: z.number() }).nullable(),
      })
      .nullable(),
    targets: z.object({
      total: z.int(),
      byState: z.record(z.enum(TARGET_STATES), z.int()),
      /** At most 50. */
      failures: z.array(z.object({ id: idSchema, error: z.string() })),
    }),
    audit: z.array(rolloutAuditSchema),
  })
  .meta({ id: 'Rollout', example: ROLLOUT_DETAIL_EXAMPLE });
/** A rollout in full. */
export type RolloutDetail = z.infer<typeof rolloutDetailSchema>;

const rolloutStateSchema = z.object({
  status: z.enum(ROLLOUT_STATUSES),
  stageIndex: z.int(),
  stageStartedAt: z.int().nullable(),
  version: z.int(),
});

const ROLLOUT_TRANSITION_EXAMPLE = {
  event: 'paused',
  from: { status: 'running', stageIndex: 0, stageStartedAt: 1764000060000, version: 3 },
  to: { status: 'paused', stageIndex: 0, stageStartedAt: 1764000060000, version: 4 },
  actor: 'admin:adm_0123456789abcdef01234567',
  reason: 'line 3 maintenance',
  gates: [],
} as const;

/** A change of a rollout's state with who, why and the gate values it was decided on. */
export const rolloutTransitionSchema = z
  .object({
    event: z.enum(ROLLOUT_EVENTS),
    from: rolloutStateSchema,
    to: rolloutStateSchema,
    actor: z.string(),
    reason: z.string(),
    gates: z.array(gateValueSchema),
  })
  .meta({ id: 'RolloutTransition', example: ROLLOUT_TRANSITION_EXAMPLE });

/** Answer of an admin action: the transition it made and the rollout after it. */
export const rolloutActionResultSchema = z
  .object({ transition: rolloutTransitionSchema, rollout: rolloutDetailSchema })
  .meta({
    id: 'RolloutActionResult',
    example: {
      transition: ROLLOUT_TRANSITION_EXAMPLE,
      rollout: ROLLOUT_DETAIL_EXAMPLE,
    },
  });

/** Query of `GET /api/v1/rollouts`. */
export const rolloutListQuerySchema = z.object({
  status: z.string().max(32).optional(),
  model: z.string().max(128).optional(),
});

/** Body of an admin action (optional): why, for the audit log. */
export const rolloutActionBodySchema = z
  .strictObject({ reason: z.string().max(500).optional() })
  .meta({ id: 'RolloutActionBody', example: { reason: 'line 3 maintenance' } });

const rollouts = `${API_PREFIX}/rollouts`;

const actionRoute = <const A extends RolloutAction>(action: A) =>
  defineRoute({
    method: 'post',
    path: `${rollouts}/{id}/${action}`,
    params: idParamsSchema,
    body: rolloutActionBodySchema,
    bodyOptional: true,
    responses: { 200: rolloutActionResultSchema },
  });

/** Rollouts: create, list, show, and the admin actions. */
export const rolloutRoutes = [
  defineRoute({
    method: 'post',
    path: rollouts,
    body: rolloutCreateSchema,
    responses: { 201: rolloutDetailSchema },
  }),
  defineRoute({
    method: 'get',
    path: rollouts,
    query: rolloutListQuerySchema,
    responses: {
      200: z
        .object({ rollouts: z.array(rolloutSummarySchema) })
        .meta({ id: 'RolloutList', example: { rollouts: [EXAMPLE_SUMMARY] } }),
    },
  }),
  defineRoute({
    method: 'get',
    path: `${rollouts}/{id}`,
    params: idParamsSchema,
    responses: { 200: rolloutDetailSchema },
  }),
  actionRoute('pause'),
  actionRoute('resume'),
  actionRoute('promote'),
  actionRoute('abort'),
  actionRoute('rollback'),
] as const;
