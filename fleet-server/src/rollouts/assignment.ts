import { type Automation, bucketOf, DEFAULT_AUTOMATION, stageThreshold } from '@edgefleet/shared';
import { sameLevel } from './ladder';
import type { AppPlanChange, Assignment, DesiredChange, Rollout, RolloutState, TargetFacts } from './types';

/** Share of targets on the candidate in a state: the current stage's, 100 once completed, 0 before or after. */
export function memberPercent(rollout: Rollout, state: RolloutState = rollout.state): number {
  switch (state.status) {
    case 'running':
    case 'paused':
      return state.stageStartedAt === null ? 0 : (rollout.spec.stages[state.stageIndex]?.percent ?? 0);
    case 'completed':
      return 100;
    default:
      return 0;
  }
}

/** `bucketOf(id, salt)` of every target, computed once per decision (hashing dominates a large decision). */
export function bucketsOf(targets: readonly { id: string }[], salt: string): Uint16Array {
  const buckets = new Uint16Array(targets.length);
  for (let i = 0; i < targets.length; i++) buckets[i] = bucketOf(targets[i]!.id, salt);
  return buckets;
}

/** Buckets below which a target runs the candidate in a state (shared `stageThreshold`). */
export const memberThreshold = (rollout: Rollout, state: RolloutState = rollout.state) =>
  stageThreshold(memberPercent(rollout, state));

/**
 * Whether a target runs the candidate in a state: shared `inStage(id, salt, percent)`; monotone because
 * stage shares only rise.
 */
export function isMember(rollout: Rollout, targetId: string, state: RolloutState = rollout.state): boolean {
  return bucketOf(targetId, rollout.spec.salt) < memberThreshold(rollout, state);
}

const same = (a: Assignment, b: Assignment) =>
  a.active === b.active && a.shadow === b.shadow && a.standby === b.standby;

/** Whether an assignment names a version anywhere. */
export const carries = (a: Assignment, version: string) =>
  a.active === version || a.shadow === version || a.standby === version;

/** What a target in the rollout should load in `state`. */
export function assignmentFor(
  rollout: Rollout,
  targetId: string,
  state: RolloutState = rollout.state,
): Assignment {
  return assignmentOf(rollout, isMember(rollout, targetId, state), state);
}

/** What a member (or not) of the stage should load in `state`; without a baseline a non-member loads nothing. */
function assignmentOf(rollout: Rollout, member: boolean, state: RolloutState): Assignment {
  const { candidate, baseline, strategy } = rollout.spec;
  const onBaseline: Assignment = { active: baseline, shadow: null, standby: null };
  if (!member) return onBaseline;
  const done = state.status === 'completed';
  switch (strategy) {
    case 'shadow':
      // A completed shadow rollout promotes the candidate it has measured to active.
      return done ? { active: candidate, shadow: null, standby: null } : { ...onBaseline, shadow: candidate };
    case 'blue-green':
      return { active: candidate, shadow: null, standby: done ? null : baseline };
    default:
      return { active: candidate, shadow: null, standby: null };
  }
}

/**
 * The automation levels a rollout gives: `member` to the stage's members on the candidate (the ladder's rung now;
 * null: none), `stored` to any other target it touches (the level in force in the automation store), and with a
 * `ladder`, a target leaving the candidate without a stored level goes back to the default (`full`).
 */
export interface AutomationPlan {
  member: Automation | null;
  stored?: ReadonlyMap<string, Automation>;
  ladder: boolean;
}

/** The level a target gets, or undefined: it keeps the one its desired state has. */
function wantedLevel(plan: AutomationPlan | undefined, id: string, member: boolean): Automation | undefined {
  if (!plan) return undefined;
  if (member && plan.member) return plan.member;
  const stored = plan.stored?.get(id);
  if (stored) return stored;
  return plan.ladder ? DEFAULT_AUTOMATION : undefined;
}

/**
 * Targets whose desired state must change in `state`. A target outside the stage is only touched when it
 * still carries the candidate (it goes back to the baseline, or to no version of the model in a first
 * deployment); targets joining the candidate are limited by `maxConcurrentDownloads` minus those still
 * pending, returning targets never are. A target the rollout touches gets the level `automation` says (a level
 * change alone republishes its desired state).
 */
export function desiredChanges(
  rollout: Rollout,
  targets: readonly TargetFacts[],
  state: RolloutState,
  buckets: Uint16Array = bucketsOf(targets, rollout.spec.salt),
  automation?: AutomationPlan,
): DesiredChange[] {
  const changes: DesiredChange[] = [];
  const joining: DesiredChange[] = [];
  const { candidate, maxConcurrentDownloads } = rollout.spec;
  const threshold = memberThreshold(rollout, state);
  const inStage = assignmentOf(rollout, true, state);
  const outside = assignmentOf(rollout, false, state);
  let pending = 0;
  for (const [i, target] of targets.entries()) {
    const wanted = buckets[i]! < threshold ? inStage : outside;
    const current = target.desired;
    if (target.pending && current && carries(current, candidate)) pending++;
    const member = carries(wanted, candidate);
    const level = wantedLevel(automation, target.id, member);
    const levelKept =
      level === undefined ||
      target.automation === undefined ||
      sameLevel(target.automation ?? DEFAULT_AUTOMATION, level);
    if (current && same(current, wanted) && levelKept) continue;
    if (!member && !(current && carries(current, candidate))) continue;
    const change = { targetId: target.id, assignment: wanted, ...(level ? { automation: level } : {}) };
    if (member && !(current && carries(current, candidate))) joining.push(change);
    else changes.push(change);
  }
  const room =
    maxConcurrentDownloads === null ? joining.length : Math.max(0, maxConcurrentDownloads - pending);
  return [...changes, ...joining.slice(0, room)];
}

/**
 * The app plan slot for a web-app target in `state`: browsers bucket themselves with the same salt. `current` is
 * null in a first deployment until it completes: browsers outside the share run no version of the model.
 */
export function appSlotFor(rollout: Rollout, state: RolloutState = rollout.state): AppPlanChange {
  const { candidate, baseline } = rollout.spec;
  if (state.status === 'completed') return { current: candidate, candidate: null };
  const percent = memberPercent(rollout, state);
  return { current: baseline, candidate: percent > 0 ? { version: candidate, percent } : null };
}
