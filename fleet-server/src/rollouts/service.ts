import { randomBytes } from 'node:crypto';
import { inStage, type RolloutStrategy } from '@edgefleet/shared';
import type { RolloutCreate, RolloutDetail, RolloutSummary, TARGET_STATES } from '@edgefleet/shared/api';
import { eq } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { InvalidInput } from '../errors';
import { parseSelector } from '../labels/selector';
import { carries, memberPercent } from './assignment';
import { baselineOf, checkFirstDeployment, requireVersion } from './baseline';
import { loadTargetFacts } from './facts';
import { DEFAULT_CONFIDENCE } from './gates';
import { ladderAt } from './ladder';
import { checkMaintenanceWindow } from './maintenance';
import { maxDurationOf, parseStages, type Stage } from './stages';
import {
  auditOf,
  insertRollout,
  type RolloutRow,
  resolveDeviceTargets,
  rolloutOf,
  stepsDownOf,
} from './store';
import { DEFAULT_APPLY_TIMEOUT_MS, type RolloutSpec, type RolloutTarget, type StageLook } from './types';

/** Stages a rollout gets when it names none. */
export const DEFAULT_STAGES: Record<RolloutStrategy, string> = {
  shadow: '5%:30m,25%:2h,100%',
  canary: '5%:30m,25%:2h,100%',
  'blue-green': '5%:30m,25%:2h,100%',
  'all-at-once': '100%',
};

/** A create request as the API and CLI send it (after the contract's defaults). */
export type RolloutRequest = RolloutCreate;

type Ctx = { db: FleetDb; now: () => number };

function targetOf(db: FleetDb, request: RolloutRequest['target']): RolloutTarget {
  if ('selector' in request) {
    const parsed = parseSelector(request.selector);
    if (!parsed.ok)
      throw new InvalidInput(`target.selector: ${parsed.error.message}`, { field: 'target.selector' });
    return { kind: 'selector', selector: request.selector };
  }
  if ('devices' in request) return { kind: 'devices', ids: [...new Set(request.devices)].sort() };
  const app = db
    .select({ id: schema.apps.id })
    .from(schema.apps)
    .where(eq(schema.apps.id, request.app))
    .get();
  if (!app) throw new InvalidInput(`target.app: no app ${request.app}`, { field: 'target.app' });
  return { kind: 'app', appId: request.app };
}

/** Validates a create request against the registry and the fleet, and turns it into a spec. */
export function buildSpec(ctx: Ctx, request: RolloutRequest): RolloutSpec {
  const { db } = ctx;
  const stages = parseStages(request.stages ?? DEFAULT_STAGES[request.strategy], {
    minReportingTargets: request.minReportingTargets,
    minInferences: request.minInferences,
  });
  if (!stages.ok) throw new InvalidInput(`stages: ${stages.error}`, { field: 'stages' });
  if (stages.value[stages.value.length - 1]!.percent !== 100) {
    throw new InvalidInput('stages: the last stage must be 100%', { field: 'stages' });
  }
  if (request.strategy === 'all-at-once' && stages.value.length !== 1) {
    throw new InvalidInput('stages: all-at-once has exactly one stage (100%, optionally with a duration)', {
      field: 'stages',
    });
  }
  for (const [i, window] of request.maintenanceWindows.entries()) {
    const problem = checkMaintenanceWindow(window);
    if (problem)
      throw new InvalidInput(`maintenanceWindows.${i}: ${problem}`, { field: `maintenanceWindows.${i}` });
  }
  const target = targetOf(db, request.target);
  checkLadderSpec(request, stages.value, target);
  requireVersion(db, request.model, request.candidate, 'candidate');
  const baseline = baselineOf(db, request, target);
  if (baseline === null) checkFirstDeployment(db, request, target);
  const id = request.id ?? `ro_${randomBytes(8).toString('hex')}`;
  return {
    id,
    modelName: request.model,
    candidate: request.candidate,
    baseline,
    target,
    strategy: request.strategy,
    stages: stages.value,
    gates: request.gates,
    onBreach: request.onBreach,
    confidence: request.confidence,
    onInconclusive: request.onInconclusive,
    salt: request.salt ?? saltFor(db, id, target, stages.value),
    startAt: request.startAt ?? ctx.now(),
    maintenanceWindows: request.maintenanceWindows,
    maxConcurrentDownloads: request.maxConcurrentDownloads ?? null,
    applyTimeoutMs: request.applyTimeoutMs ?? DEFAULT_APPLY_TIMEOUT_MS,
  };
}

/**
 * Quality gates and the automation ladder judge the candidate's labelled answers as the active model: a shadow
 * rollout's candidate answers nobody; a web app's plan has one level per model, not one per stage member.
 */
function checkLadderSpec(request: RolloutRequest, stages: readonly Stage[], target: RolloutTarget): void {
  const quality = (['maxAccuracyDrop', 'maxAgreementDrop', 'maxReviewShareRise'] as const).find(
    (gate) => request.gates[gate] !== undefined,
  );
  const ladder = stages.some((s) => s.automation);
  if (request.strategy === 'shadow' && quality)
    throw new InvalidInput(
      `gates.${quality}: a shadow rollout's candidate answers no one, so no label judges it; use canary or blue-green`,
      { field: `gates.${quality}` },
    );
  if (ladder && request.strategy === 'shadow')
    throw new InvalidInput(
      'stages: an automation level applies to the model that answers; a shadow rollout keeps the baseline answering',
      { field: 'stages' },
    );
  if (ladder && target.kind === 'app')
    throw new InvalidInput(
      'stages: a web app plan carries one automation level per model, not one per stage; set it with PUT /api/v1/models/{name}/automation',
      { field: 'stages' },
    );
  const stepUp = stages.some((_, i) => ladderAt(stages, i, 0).stepUpNext);
  const stepUpGate = (['minStepUpAgreement', 'minStepUpReviews'] as const).find(
    (gate) => request.gates[gate] !== undefined,
  );
  if (stepUpGate && !stepUp)
    throw new InvalidInput(
      `gates.${stepUpGate}: no stage steps the automation level up (write levels in the stages, e.g. 100%:1d@assist,100%@full)`,
      { field: `gates.${stepUpGate}` },
    );
}

/** Salts tried for a rollout created without one. */
const SALT_TRIES = 64;

/**
 * The salt of a rollout created without one: its id, or the first of `id:1`, `id:2`, … that leaves no device stage
 * before the last without a member among today's targets (a random salt leaves a 50 % stage of 4 devices empty
 * once in 16; the controller then says "stage is empty" and moves on, but a chosen salt need not leave one). The
 * same request always gets the same salt. Targets that join later fall where their bucket puts them.
 */
function saltFor(
  db: FleetDb,
  id: string,
  target: RolloutTarget,
  stages: readonly { percent: number }[],
): string {
  if (target.kind === 'app' || stages.length < 2) return id;
  const ids = resolveDeviceTargets(db, target);
  if (ids.length === 0) return id;
  const early = stages.slice(0, -1);
  for (let i = 0; i < SALT_TRIES; i++) {
    const salt = i === 0 ? id : `${id}:${i}`;
    if (early.every((s) => ids.some((t) => inStage(t, salt, s.percent)))) return salt;
  }
  return id;
}

/** Creates a rollout (scheduled; the controller starts it at `startAt`). */
export function createRollout(ctx: Ctx, request: RolloutRequest, actor: string): RolloutRow {
  return insertRollout(ctx.db, buildSpec(ctx, request), actor, ctx.now());
}

/**
 * A target's state in a rollout, for `show`. A first deployment (no baseline) has no `on_baseline` targets: a
 * target told to run no version of the model is `untouched`, also after a rollback took the candidate away.
 */
export type TargetState = (typeof TARGET_STATES)[number];

/** The list view of a rollout. */
export function rolloutSummary(row: RolloutRow): RolloutSummary {
  const rollout = rolloutOf(row);
  const { spec, state } = rollout;
  return {
    id: spec.id,
    model: spec.modelName,
    candidate: spec.candidate,
    baseline: spec.baseline,
    strategy: spec.strategy,
    target: spec.target,
    status: state.status,
    stageIndex: state.stageIndex,
    stageCount: spec.stages.length,
    percent: memberPercent(rollout),
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/** The full view of a rollout: spec, stage progress, last gate values against thresholds, targets by state, audit. */
export function rolloutDetail(ctx: Ctx, row: RolloutRow): RolloutDetail {
  const rollout = rolloutOf(row);
  const { spec, state } = rollout;
  const now = ctx.now();
  const stages = spec.stages.map((stage, index) => ({
    index,
    ...stage,
    maxDurationMs: maxDurationOf(stage),
    state: (state.status === 'completed' || index < state.stageIndex
      ? 'done'
      : index === state.stageIndex && state.stageStartedAt !== null
        ? 'current'
        : 'pending') as RolloutDetail['stages'][number]['state'],
  }));
  const current = spec.stages[state.stageIndex]!;
  const targets = loadTargetFacts(ctx.db, rollout, undefined, now);
  const byState: Record<TargetState, number> = {
    on_candidate: 0,
    on_baseline: 0,
    switching: 0,
    failed: 0,
    untouched: 0,
  };
  const failures: { id: string; error: string }[] = [];
  for (const target of targets) {
    let s: TargetState = 'untouched';
    if (target.failure) {
      s = 'failed';
      failures.push({ id: target.id, error: target.failure });
    } else if (target.desired && carries(target.desired, spec.candidate))
      s = target.pending ? 'switching' : 'on_candidate';
    else if (spec.baseline !== null && target.desired?.active === spec.baseline)
      s = target.pending ? 'switching' : 'on_baseline';
    byState[s]++;
  }
  const evaluation = row.lastEvaluation;
  return {
    ...rolloutSummary(row),
    stages,
    stage:
      state.stageStartedAt === null
        ? null
        : {
            index: state.stageIndex,
            percent: current.percent,
            startedAt: state.stageStartedAt,
            elapsedMs: Math.max(0, now - state.stageStartedAt),
            minDurationMs: current.minDurationMs,
            maxDurationMs: maxDurationOf(current),
            ...ladderView(spec.stages, state.stageIndex, stepsDownOf(ctx.db, spec.id)),
          },
    gates: spec.gates,
    onBreach: spec.onBreach,
    confidence: spec.confidence ?? DEFAULT_CONFIDENCE,
    onInconclusive: spec.onInconclusive ?? 'pause',
    salt: spec.salt,
    startAt: spec.startAt,
    maintenanceWindows: spec.maintenanceWindows,
    maxConcurrentDownloads: spec.maxConcurrentDownloads,
    applyTimeoutMs: spec.applyTimeoutMs,
    evaluation: evaluation
      ? {
          at: evaluation.at,
          note: evaluation.note,
          verdict: evaluation.evaluation?.verdict ?? null,
          gates: evaluation.evaluation?.values ?? [],
          look: lookView(evaluation.look ?? evaluation.evaluation?.look ?? null),
        }
      : null,
    targets: { total: targets.length, byState, failures: failures.slice(0, 50) },
    audit: auditOf(ctx.db, spec.id),
  };
}

function ladderView(stages: readonly Stage[], index: number, stepsDown: number) {
  if (!stages.some((s) => s.automation)) return {};
  return { automation: ladderAt(stages, index, stepsDown).level, stepsDown };
}

function lookView(look: StageLook | null): { look: number; n: number } | null {
  return look ? { look: look.look, n: look.n } : null;
}
