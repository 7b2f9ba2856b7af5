import { fail, ok, type Result } from '@edgefleet/shared';
import type { RolloutAction } from '@edgefleet/shared/api';
import { type AutomationPlan, appSlotFor, bucketsOf, desiredChanges, memberThreshold } from './assignment';
import {
  DEFAULT_CONFIDENCE,
  describeBreaches,
  describeUndecided,
  evaluateGates,
  type GateEvaluation,
  type GateValue,
} from './gates';
import { formatLevel, ladderAt, ladderOf } from './ladder';
import { advanceAllowed } from './maintenance';
import { isQualityGate, STEP_UP_GATE } from './quality-gates';
import { maxDurationOf } from './stages';
import {
  ACTIVE_STATUSES,
  type AppPlanChange,
  type DesiredChange,
  type Rollout,
  type RolloutEvent,
  type RolloutFacts,
  type RolloutState,
  type Transition,
} from './types';

/** What the controller does for one rollout at one tick. */
export interface Decision {
  /** At most one transition per tick (never a double step). */
  transitions: Transition[];
  /** The state after the transitions (the input state when there are none). */
  next: RolloutState;
  /** Gate values of the current stage (null when not running). */
  evaluation: GateEvaluation | null;
  /** Why nothing moved, e.g. `waiting: minInferences 40 < 100` or `held: outside maintenance windows`. */
  note: string;
  /**
   * Set when the stage passed its deadline (`maxDurationMs`) with gates still undecided: what the rollout's
   * `onInconclusive` did and the undecided gates (each with ≈ how many more inferences would decide it).
   */
  deadline: {
    action: 'pause' | 'extend' | 'rollback';
    stageIndex: number;
    gates: GateValue[];
    reason: string;
  } | null;
  /** Device targets whose desired state changes (in `next`). */
  changes: DesiredChange[];
  /** The app plan slot (web-app targets only). */
  app: AppPlanChange | null;
}

/** The controller acting on its own behalf, as recorded in the audit log. */
export const CONTROLLER = 'controller';

function transition(
  from: RolloutState,
  event: RolloutEvent,
  patch: Partial<RolloutState>,
  actor: string,
  reason: string,
  gates: GateValue[] = [],
): Transition {
  return { event, from, to: { ...from, ...patch, version: from.version + 1 }, actor, reason, gates };
}

/** Advances to the next stage, or completes at the last one. */
function step(rollout: Rollout, now: number, actor: string, reason: string, gates: GateValue[]): Transition {
  const { state, spec } = rollout;
  const last = state.stageIndex >= spec.stages.length - 1;
  if (last)
    return transition(
      state,
      actor === CONTROLLER ? 'completed' : 'promoted',
      { status: 'completed' },
      actor,
      reason,
      gates,
    );
  const event = actor === CONTROLLER ? 'advanced' : 'promoted';
  return transition(
    state,
    event,
    { stageIndex: state.stageIndex + 1, stageStartedAt: now },
    actor,
    reason,
    gates,
  );
}

function waitingNote(evaluation: GateEvaluation): string {
  if (evaluation.passAt !== null)
    return `inconclusive: every gate passes, but a pass takes effect only where a look opens: passes at the next look, at ≈ ${evaluation.passAt} inferences`;
  const what = evaluation.verdict === 'wait' ? 'waiting for data' : 'inconclusive';
  return `${what}: ${describeUndecided(evaluation.values)}`;
}

type RunningResult = {
  evaluation: GateEvaluation | null;
  transition: Transition | null;
  note: string;
  deadline?: Decision['deadline'];
};

function decideRunning(
  rollout: Rollout,
  facts: RolloutFacts,
  now: number,
  buckets: Uint16Array,
): RunningResult {
  const { spec, state } = rollout;
  const stage = spec.stages[state.stageIndex]!;
  const threshold = memberThreshold(rollout, state);
  const members = facts.targets.filter((_, i) => buckets[i]! < threshold);
  const ladder = ladderAt(spec.stages, state.stageIndex, facts.stepsDown ?? 0);
  const elapsedMs = now - (state.stageStartedAt ?? now);
  const deadlineMs = maxDurationOf(stage);
  const evaluation = evaluateGates(spec.gates, stage, facts, members, {
    stepUp: ladder.stepUpNext,
    confidence: spec.confidence ?? DEFAULT_CONFIDENCE,
    previous: facts.look ?? null,
    stageKey: { index: state.stageIndex, startedAt: state.stageStartedAt },
    candidate: spec.candidate,
    canPass: elapsedMs >= stage.minDurationMs,
    atDeadline: deadlineMs !== null && elapsedMs >= deadlineMs,
  });
  const empty = evaluation.verdict === 'breach' ? null : emptyStage(rollout, facts, members.length, now);
  if (empty) return empty;
  if (evaluation.verdict === 'breach') {
    const breached = evaluation.values.filter((v) => v.status === 'breach');
    const where = `stage ${state.stageIndex + 1} (${stage.percent}%)`;
    const quality = breached.some((v) => isQualityGate(v.gate));
    const humanOnly = breached.every((v) => isQualityGate(v.gate) || v.gate === STEP_UP_GATE);
    if (ladder.level && ladder.canStepDown && quality && humanOnly) {
      // The candidate answers worse than the control: humans take back one rung, the stage starts over there.
      const rungs = ladderOf(spec.stages);
      const lower = rungs[rungs.findIndex((r) => formatLevel(r) === formatLevel(ladder.level!)) - 1]!;
      const why = `quality gate breached in ${where}: ${describeBreaches(evaluation.values)}; automation stepped down from ${formatLevel(ladder.level)} to ${formatLevel(lower)}, the stage starts over`;
      const t = transition(
        state,
        'stepped_down',
        { stageStartedAt: now },
        CONTROLLER,
        why,
        evaluation.values,
      );
      return { evaluation, transition: t, note: why };
    }
    if (breached.every((v) => v.gate === STEP_UP_GATE)) {
      // Agreement too low to trust the model with more: not worse than the control, so no rollback.
      const why = `${where}: agreement with humans too low to step the automation level up from ${formatLevel(ladder.level!)}: ${describeBreaches(evaluation.values)}`;
      const t = transition(state, 'paused', { status: 'paused' }, CONTROLLER, why, evaluation.values);
      return { evaluation, transition: t, note: why };
    }
    const why = `gate breached in ${where}: ${describeBreaches(evaluation.values)}`;
    const t =
      spec.onBreach === 'pause'
        ? transition(state, 'paused', { status: 'paused' }, CONTROLLER, why, evaluation.values)
        : transition(state, 'rolled_back', { status: 'rolled_back' }, CONTROLLER, why, evaluation.values);
    return { evaluation, transition: t, note: why };
  }
  if (elapsedMs < stage.minDurationMs) {
    return {
      evaluation,
      transition: null,
      note: `in stage for ${Math.round(elapsedMs / 1000)} s of ${stage.minDurationMs / 1000} s`,
    };
  }
  if (evaluation.verdict === 'wait' || evaluation.verdict === 'inconclusive') {
    if (deadlineMs === null || elapsedMs < deadlineMs) {
      return { evaluation, transition: null, note: waitingNote(evaluation) };
    }
    return atDeadline(rollout, evaluation, elapsedMs);
  }
  if (!advanceAllowed(spec.maintenanceWindows, now)) {
    return { evaluation, transition: null, note: 'held: gates pass, but outside every maintenance window' };
  }
  const last = state.stageIndex >= spec.stages.length - 1;
  const why = last
    ? `all gates passed in the last stage (${stage.percent}%)`
    : `all gates passed in stage ${state.stageIndex + 1} (${stage.percent}%) for ${Math.round(elapsedMs / 1000)} s`;
  return { evaluation, transition: step(rollout, now, CONTROLLER, why, evaluation.values), note: why };
}

/** A stage undecided at its deadline: pause, roll back or keep waiting (`extend`), as the rollout says. */
function atDeadline(rollout: Rollout, evaluation: GateEvaluation, elapsedMs: number): RunningResult {
  const { spec, state } = rollout;
  const action = spec.onInconclusive ?? 'pause';
  const undecided = evaluation.values.filter((v) => v.status === 'inconclusive' || v.status === 'wait');
  const why =
    `stage ${state.stageIndex + 1} (${spec.stages[state.stageIndex]!.percent}%) undecided after ` +
    `${Math.round(elapsedMs / 1000)} s (${action}): ${undecided.length > 0 ? describeUndecided(undecided) : waitingNote(evaluation)}`;
  const deadline = { action, stageIndex: state.stageIndex, gates: undecided, reason: why };
  if (action === 'extend') return { evaluation, transition: null, note: why, deadline };
  const t =
    action === 'pause'
      ? transition(state, 'paused', { status: 'paused' }, CONTROLLER, why, evaluation.values)
      : transition(state, 'rolled_back', { status: 'rolled_back' }, CONTROLLER, why, evaluation.values);
  return { evaluation, transition: t, note: why, deadline };
}

/**
 * A device stage that no target falls in (few targets, and the salt put every bucket above its share) can never
 * gather evidence: it says so and moves on to the next stage by the rollout's rule (inside a maintenance window),
 * where the next share's members are the canary. Never the last stage (100% holds every target).
 */
function emptyStage(rollout: Rollout, facts: RolloutFacts, members: number, now: number) {
  const { spec, state } = rollout;
  const stage = spec.stages[state.stageIndex]!;
  if (members > 0 || spec.target.kind === 'app' || facts.targets.length === 0) return null;
  if (state.stageIndex >= spec.stages.length - 1) return null;
  const why = `stage ${state.stageIndex + 1} (${stage.percent}%) is empty: none of the ${facts.targets.length} targets falls in it; moving on to stage ${state.stageIndex + 2}`;
  if (!advanceAllowed(spec.maintenanceWindows, now)) {
    return { evaluation: null, transition: null, note: `${why} — held: outside every maintenance window` };
  }
  return { evaluation: null, transition: step(rollout, now, CONTROLLER, why, []), note: why };
}

/**
 * The controller's decision for one rollout at `now`: start when scheduled, roll back (or pause) on a breached
 * gate at any time, advance when the stage lasted its duration with every gate passing inside a maintenance
 * window, otherwise wait — until the stage's deadline, where gates still undecided do what `onInconclusive` says. Pure: no I/O, the clock comes in as `now`.
 * @example const { transitions, changes } = decide(rollout, facts, Date.now());
 */
export function decide(rollout: Rollout, facts: RolloutFacts, now: number): Decision {
  const { spec, state } = rollout;
  const buckets = bucketsOf(facts.targets, spec.salt);
  let result: {
    evaluation: GateEvaluation | null;
    transition: Transition | null;
    note: string;
    deadline?: Decision['deadline'];
  } = {
    evaluation: null,
    transition: null,
    note: state.status,
  };
  if (state.status === 'scheduled') {
    if (now < spec.startAt) result.note = `scheduled for ${new Date(spec.startAt).toISOString()}`;
    else if (!advanceAllowed(spec.maintenanceWindows, now))
      result.note = 'held: outside every maintenance window';
    else {
      const t = transition(
        state,
        'started',
        { status: 'running', stageIndex: 0, stageStartedAt: now },
        CONTROLLER,
        'start time reached',
      );
      result = { evaluation: null, transition: t, note: t.reason };
    }
  } else if (state.status === 'running') {
    result = decideRunning(rollout, facts, now, buckets);
  }
  const next = result.transition?.to ?? state;
  const event = result.transition?.event;
  const stepsDown =
    event === 'stepped_down'
      ? (facts.stepsDown ?? 0) + 1
      : next.stageIndex !== state.stageIndex || event === 'started'
        ? 0
        : (facts.stepsDown ?? 0);
  return {
    transitions: result.transition ? [result.transition] : [],
    next,
    evaluation: result.evaluation,
    note: result.note,
    deadline: result.deadline ?? null,
    ...plannedChanges(rollout, { ...facts, stepsDown }, next, buckets),
  };
}

/** The levels a rollout in `state` gives its targets (see {@link AutomationPlan}); undefined: it sets none. */
export function automationPlanOf(
  rollout: Rollout,
  facts: Pick<RolloutFacts, 'stepsDown' | 'storedLevels'>,
  state: RolloutState,
): AutomationPlan | undefined {
  const { stages } = rollout.spec;
  const ladder = ladderOf(stages).length > 0;
  if (!ladder && !facts.storedLevels?.size) return undefined;
  const running = state.status === 'running' || state.status === 'paused';
  const index = state.status === 'completed' ? stages.length - 1 : state.stageIndex;
  const member =
    running || state.status === 'completed' ? ladderAt(stages, index, facts.stepsDown ?? 0).level : null;
  return { member, ladder, ...(facts.storedLevels ? { stored: facts.storedLevels } : {}) };
}

/** Desired-state changes (devices) or the plan slot (web app) of a rollout in `state`, without deciding anything. */
export function plannedChanges(
  rollout: Rollout,
  facts: RolloutFacts,
  state: RolloutState,
  buckets = bucketsOf(facts.targets, rollout.spec.salt),
): Pick<Decision, 'changes' | 'app'> {
  const isApp = rollout.spec.target.kind === 'app';
  return {
    changes: isApp
      ? []
      : desiredChanges(rollout, facts.targets, state, buckets, automationPlanOf(rollout, facts, state)),
    app: isApp ? appSlotFor(rollout, state) : null,
  };
}

/** Admin actions on a rollout. */
export type { RolloutAction };

const ALLOWED: Record<RolloutAction, readonly RolloutState['status'][]> = {
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  promote: ['scheduled', 'running', 'paused'],
  abort: ACTIVE_STATUSES,
  rollback: ACTIVE_STATUSES,
};

/**
 * The transition of an admin action, or why it is not allowed in the current status. `promote` moves to the
 * next stage now (gates and windows are the admin's call); `abort` and `rollback` both return every target
 * to the baseline (`rolled_back` says the candidate is bad, `aborted` only that the rollout stopped).
 */
export function applyAction(
  rollout: Rollout,
  action: RolloutAction,
  now: number,
  actor: string,
  reason: string,
): Result<Transition, string> {
  const { state } = rollout;
  if (!ALLOWED[action].includes(state.status)) {
    return fail(`cannot ${action} a rollout that is ${state.status}`);
  }
  switch (action) {
    case 'pause':
      return ok(transition(state, 'paused', { status: 'paused' }, actor, reason));
    case 'resume':
      return ok(
        transition(
          state,
          'resumed',
          state.stageStartedAt === null
            ? { status: 'running', stageIndex: 0, stageStartedAt: now }
            : { status: 'running' },
          actor,
          reason,
        ),
      );
    case 'promote':
      if (state.stageStartedAt === null) {
        return ok(
          transition(
            state,
            'promoted',
            { status: 'running', stageIndex: 0, stageStartedAt: now },
            actor,
            reason,
          ),
        );
      }
      return ok({
        ...step({ ...rollout, state: { ...state, status: 'running' } }, now, actor, reason, []),
        from: state,
      });
    case 'abort':
      return ok(transition(state, 'aborted', { status: 'aborted' }, actor, reason));
    case 'rollback':
      return ok(transition(state, 'rolled_back', { status: 'rolled_back' }, actor, reason));
  }
}
