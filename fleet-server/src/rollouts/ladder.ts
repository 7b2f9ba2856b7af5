import {
  AUTOMATION_LEVELS,
  type Automation,
  fail,
  formatAutomation,
  ok,
  type Result,
} from '@edgefleet/shared';
import type { Stage } from './stages';

// The automation ladder as a rollout's stage action: a stage written `100%:1d@assist` gives its members on the
// candidate that level. Levels only rise along the stages; each rise is gated on agreement with humans (the
// step-up gate, see `quality-gates.ts`); a quality gate's breach steps the level down one rung of the rollout's
// own ladder (see `decide.ts`).

/**
 * Parses `shadow`, `assist`, `full` or `partial(τ,μ)` (τ: lowest top-1 confidence, μ: lowest margin, in [0, 1]).
 * @example parseLevel('partial(0.9,0.2)') // ok({ level: 'partial', minConfidence: 0.9, minMargin: 0.2 })
 */
export function parseLevel(text: string): Result<Automation, string> {
  const t = text.trim();
  if (t === 'shadow' || t === 'assist' || t === 'full') return ok({ level: t });
  const partial = /^partial\(\s*([^,()\s]+)\s*,\s*([^,()\s]+)\s*\)$/.exec(t);
  if (partial) {
    const tau = Number(partial[1]);
    const mu = Number(partial[2]);
    const inUnit = (x: number) => Number.isFinite(x) && x >= 0 && x <= 1;
    if (!inUnit(tau) || !inUnit(mu))
      return fail(`expected partial(τ,μ) with τ and μ in [0, 1], got '${text}'`);
    return ok({ level: 'partial', minConfidence: tau, minMargin: mu });
  }
  return fail(`expected an automation level (shadow, assist, partial(τ,μ), full), got '${text}'`);
}

/** `partial(0.9,0.2)`, `assist`, … (what {@link parseLevel} reads). */
export const formatLevel = formatAutomation;

const rank = (a: Automation) => AUTOMATION_LEVELS.indexOf(a.level);

/** Whether two levels are the same setting. */
export function sameLevel(a: Automation | null | undefined, b: Automation | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return formatLevel(a) === formatLevel(b);
}

/**
 * Whether `to` lets the model decide more than `from`: a higher rung, or a partial level with τ and μ no stricter
 * and one of them looser. `from` null (no level set by the rollout) never steps up: there is no measured rung.
 */
export function stepsUp(from: Automation | null, to: Automation | null): boolean {
  if (!from || !to) return false;
  if (rank(to) !== rank(from)) return rank(to) > rank(from);
  if (from.level !== 'partial' || to.level !== 'partial') return false;
  return (
    to.minConfidence <= from.minConfidence &&
    to.minMargin <= from.minMargin &&
    (to.minConfidence < from.minConfidence || to.minMargin < from.minMargin)
  );
}

/** Each stage's level: its own, else the one before it keeps; null before the first stage that sets one. */
export function stageLevels(stages: readonly Stage[]): (Automation | null)[] {
  const levels: (Automation | null)[] = [];
  let current: Automation | null = null;
  for (const stage of stages) {
    current = stage.automation ?? current;
    levels.push(current);
  }
  return levels;
}

/** The rollout's ladder: its distinct levels in stage order (the rungs a step down moves between). */
export function ladderOf(stages: readonly Stage[]): Automation[] {
  const rungs: Automation[] = [];
  for (const level of stageLevels(stages))
    if (level && !sameLevel(level, rungs[rungs.length - 1])) rungs.push(level);
  return rungs;
}

/** Why a stage list's levels are unusable (a level that falls, or is not a step up where the share repeats), or null. */
export function checkLadder(stages: readonly Stage[]): string | null {
  const levels = stageLevels(stages);
  for (let i = 1; i < stages.length; i++) {
    const from = levels[i - 1] ?? null;
    const to = levels[i] ?? null;
    if (from && to && !sameLevel(from, to) && !stepsUp(from, to))
      return `stage ${i + 1}: the automation level only rises along the stages (${formatLevel(from)} before ${formatLevel(to)})`;
    if (stages[i]!.percent === stages[i - 1]!.percent && !stepsUp(from, to))
      return `stage ${i + 1}: repeats the share ${stages[i]!.percent}% without stepping the automation level up`;
  }
  return null;
}

/**
 * Where the ladder stands in a stage after `stepsDown` breaches of quality gates: the level its members run now
 * (null: the rollout sets none in this stage), whether one more step down is possible, and whether the next stage
 * steps the level up from here (then the step-up gate must pass before the stage may).
 */
export function ladderAt(
  stages: readonly Stage[],
  stageIndex: number,
  stepsDown: number,
): { level: Automation | null; canStepDown: boolean; stepUpNext: boolean } {
  const own = stageLevels(stages)[stageIndex] ?? null;
  if (!own) return { level: null, canStepDown: false, stepUpNext: false };
  const rungs = ladderOf(stages);
  const at = Math.max(0, rungs.findIndex((r) => sameLevel(r, own)) - stepsDown);
  const level = rungs[at]!;
  const next = stageLevels(stages)[stageIndex + 1] ?? null;
  return { level, canStepDown: at > 0, stepUpNext: stageIndex + 1 < stages.length && stepsUp(level, next) };
}
