import { type Automation, fail, ok, type Result } from '@edgefleet/shared';
import { checkLadder, formatLevel, parseLevel } from './ladder';

/** One stage of a rollout: the share of targets on the candidate and how long it must last before it may pass. */
export interface Stage {
  /** Share of targets in percent (0.01 … 100, steps of 0.01). */
  percent: number;
  /** Minimum time in the stage before it may pass; 0 for none. */
  minDurationMs: number;
  /** Targets that must have reported the candidate before the stage may pass. */
  minReportingTargets: number;
  /** Inferences of the candidate that must have been reported before the stage may pass. */
  minInferences: number;
  /**
   * Deadline of a stage whose gates neither pass nor breach: then the rollout's `onInconclusive` applies.
   * Absent: {@link DEFAULT_MAX_DURATION_FACTOR} × `minDurationMs` (no deadline when that is 0).
   */
  maxDurationMs?: number;
  /** The automation level the stage gives its members on the candidate (the automation ladder); absent: none. */
  automation?: Automation;
}

/** Default deadline of a stage, in multiples of its minimum duration. */
export const DEFAULT_MAX_DURATION_FACTOR = 4;

/** The stage's deadline in ms since it began, or null for none. */
export function maxDurationOf(stage: Stage): number | null {
  if (stage.maxDurationMs !== undefined) return stage.maxDurationMs;
  return stage.minDurationMs > 0 ? DEFAULT_MAX_DURATION_FACTOR * stage.minDurationMs : null;
}

/** Data minimums applied to every parsed stage unless a stage object overrides them. */
export interface StageMinimums {
  minReportingTargets: number;
  minInferences: number;
}

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `30s`, `30m`, `2h`, `1d` (also `1h30m`) into milliseconds. */
export function parseDurationMs(text: string): Result<number, string> {
  const trimmed = text.trim();
  if (!/^(\d+(s|m|h|d))+$/.test(trimmed)) {
    return fail(`expected a duration like 30m, 2h or 1h30m, got '${text}'`);
  }
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+)([smhd])/g)) total += Number(match[1]) * UNIT_MS[match[2]!]!;
  return ok(total);
}

/** Splits at commas outside parentheses (`partial(0.9,0.2)` is one level). */
function splitStages(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((part) => part.trim()).filter((part) => part.length > 0);
}

/**
 * Parses a stage list such as `5%:30m,25%:2h/8h,100%`: shares must rise strictly and be in steps of 0.01;
 * the last stage may omit its duration; `/8h` sets the stage's deadline (default 4 × its duration); `@LEVEL`
 * (`shadow`, `assist`, `partial(τ,μ)`, `full`) the automation level of the stage's members on the candidate, which
 * only rises along the stages (a stage may repeat the share before it when it raises the level).
 * @example parseStages('5%:30m,100%', { minReportingTargets: 3, minInferences: 100 })
 * @example parseStages('25%:2h@shadow,100%:1d@assist,100%@partial(0.9,0.2)', minimums)
 */
export function parseStages(text: string, minimums: StageMinimums): Result<Stage[], string> {
  const parts = splitStages(text);
  if (parts.length === 0) return fail('expected at least one stage, e.g. 5%:30m,100%');
  const stages: Stage[] = [];
  for (const whole of parts) {
    const at = whole.indexOf('@');
    const part = at < 0 ? whole : whole.slice(0, at).trim();
    let automation: Automation | undefined;
    if (at >= 0) {
      const level = parseLevel(whole.slice(at + 1));
      if (!level.ok) return fail(`stage '${whole}': ${level.error}`);
      automation = level.value;
    }
    const withLevel = automation ? { automation } : {};
    const match = /^(\d+(?:\.\d{1,2})?)%(?::([^/]+)(?:\/(.+))?)?$/.exec(part);
    if (!match)
      return fail(
        `expected a stage like 25%:2h (or 25%:2h/8h with a deadline, 25%:2h@assist with a level), got '${whole}'`,
      );
    const percent = Number(match[1]);
    let minDurationMs = 0;
    if (match[2] !== undefined) {
      const duration = parseDurationMs(match[2]);
      if (!duration.ok) return duration;
      minDurationMs = duration.value;
    }
    let maxDurationMs: number | undefined;
    if (match[3] !== undefined) {
      const duration = parseDurationMs(match[3]);
      if (!duration.ok) return duration;
      if (duration.value < minDurationMs)
        return fail(`stage '${part}': the deadline must not come before the minimum duration`);
      maxDurationMs = duration.value;
    }
    if (maxDurationMs !== undefined) {
      stages.push({ percent, minDurationMs, maxDurationMs, ...minimums, ...withLevel });
      continue;
    }
    stages.push({ percent, minDurationMs, ...minimums, ...withLevel });
  }
  const invalid = checkStages(stages);
  return invalid ? fail(invalid) : ok(stages);
}

/** Why a stage list is unusable (shares not strictly rising in (0, 100]), or null. */
export function checkStages(stages: readonly Stage[]): string | null {
  if (stages.length === 0) return 'expected at least one stage';
  if (stages.length > 20) return 'expected at most 20 stages';
  let previous = 0;
  for (const stage of stages) {
    if (!(stage.percent > 0 && stage.percent <= 100))
      return `stage share ${stage.percent}% is not in (0, 100]`;
    if (Math.abs(stage.percent * 100 - Math.round(stage.percent * 100)) > 1e-6) {
      return `stage share ${stage.percent}% is not in steps of 0.01`;
    }
    // A repeated share is a ladder step at that share: checkLadder says whether it steps the level up.
    if (stage.percent < previous || (stage.percent === previous && !stage.automation))
      return `stage shares must rise: ${stage.percent}% after ${previous}%`;
    previous = stage.percent;
  }
  return checkLadder(stages);
}

/** Formats stages back to `5%:30m,25%:2h,100%`. */
export function formatStages(stages: readonly Stage[]): string {
  return stages
    .map((s) => {
      const deadline = s.maxDurationMs !== undefined ? `/${formatDuration(s.maxDurationMs)}` : '';
      const level = s.automation ? `@${formatLevel(s.automation)}` : '';
      if (s.minDurationMs > 0 || deadline)
        return `${s.percent}%:${formatDuration(s.minDurationMs)}${deadline}${level}`;
      return `${s.percent}%${level}`;
    })
    .join(',');
}

function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNIT_MS[unit]!;
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.ceil(ms / 1000)}s`;
}
