import type { RolloutPlan, RolloutPlanRequestInput } from '@edgefleet/shared/api';
import { planDurationText } from '@edgefleet/shared/api/client';
import { CliApi } from './api';
import { COMMON_FLAGS_HELP, parseFlags } from './flags';
import { type CliIo, processIo, runCommand, UsageError } from './io';
import { printableLines, printJson } from './output';
import { parseGates, targetOf } from './rollout';
import { resolveTarget } from './settings';

// `edgefleet rollout plan …`: how long each stage of a rollout would need to decide its gates.

export const ROLLOUT_PLAN_USAGE = `Usage: edgefleet rollout plan --model NAME --candidate VERSION
           (--selector S | --devices id1,id2 | --app APP_ID) [--strategy S] [--stages 5%:30m,25%:2h,100%]
           [--gate NAME=VALUE]... [--confidence 0.99] [--min-inferences N] [--expected-error-rate R]
           [--traffic-window 24h]

Estimates, from the targets' recent traffic (inferences per minute of the model over --traffic-window, from
stored telemetry) and the candidate's baseline, about how many inferences a healthy candidate needs before every
gate passes at --confidence (the gates' own bounds, Bonferroni over the gated tests, alpha spending over looks),
and how many minutes each stage needs at its share of the traffic. Use the suggested --min-inferences in create.
Latency, shadow and quality gates are not planned (no model of the candidate's value); a drift threshold that the
baseline's own sampling noise keeps the bound above is reported as not decidable.
${COMMON_FLAGS_HELP}`;

const PLAN_OPTIONS = {
  model: { type: 'string' },
  candidate: { type: 'string' },
  selector: { type: 'string' },
  devices: { type: 'string' },
  app: { type: 'string' },
  strategy: { type: 'string' },
  stages: { type: 'string' },
  gate: { type: 'string', multiple: true },
  confidence: { type: 'string' },
  'min-inferences': { type: 'string' },
  'expected-error-rate': { type: 'string' },
  'traffic-window': { type: 'string' },
} as const;

const HOURS = /^(\d+)(h|d)$/;

/** The request of `rollout plan` from its flags (the server validates the values and names the field at fault). */
export function planRequestOf(
  v: ReturnType<typeof parseFlags<typeof PLAN_OPTIONS>>['values'],
): RolloutPlanRequestInput {
  if (!v.model || !v.candidate) throw new Error('plan: --model and --candidate are required');
  const target = targetOf('plan', v);
  const number = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new Error(`${flag}: expected a number, got '${value}'`);
    return n;
  };
  let trafficWindowMs: number | undefined;
  if (v['traffic-window'] !== undefined) {
    const match = HOURS.exec(v['traffic-window']);
    if (!match)
      throw new Error(
        `--traffic-window: expected hours or days like 24h or 7d, got '${v['traffic-window']}'`,
      );
    trafficWindowMs = Number(match[1]) * (match[2] === 'd' ? 86_400_000 : 3_600_000);
  }
  const confidence = number('--confidence', v.confidence);
  const minInferences = number('--min-inferences', v['min-inferences']);
  const expectedErrorRate = number('--expected-error-rate', v['expected-error-rate']);
  return {
    model: v.model,
    candidate: v.candidate,
    target,
    ...(v.strategy ? { strategy: v.strategy as RolloutPlanRequestInput['strategy'] } : {}),
    ...(v.stages ? { stages: v.stages } : {}),
    ...(v.gate ? { gates: parseGates(v.gate) } : {}),
    ...(confidence !== undefined ? { confidence } : {}),
    ...(minInferences !== undefined ? { minInferences } : {}),
    ...(expectedErrorRate !== undefined ? { expectedErrorRate } : {}),
    ...(trafficWindowMs !== undefined ? { trafficWindowMs } : {}),
  };
}

const round = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toPrecision(3));

/** The human view of a plan. */
export function formatPlan(plan: RolloutPlan): string {
  const t = plan.traffic;
  const lines = [
    `traffic   ${round(t.inferencesPerMinute)} inferences/min from ${t.reportingTargets} of ${t.targets} targets` +
      `${t.errorRate === null ? '' : `, error rate ${(100 * t.errorRate).toFixed(2)} %`}`,
    `tests     ${plan.tests} gated, ${plan.confidence * 100} % family-wise`,
    'gates',
  ];
  for (const g of plan.gates) {
    const needs = g.inferencesNeeded === null ? 'not decidable' : `≈ ${round(g.inferencesNeeded)} inferences`;
    lines.push(
      `  ${g.gate.padEnd(36)} ≤ ${String(g.threshold).padEnd(8)} ${needs}${g.note ? ` (${g.note})` : ''}`,
    );
  }
  lines.push('stages');
  for (const s of plan.stages) {
    const needs = s.minutesNeeded === null ? 'n/a' : `≈ ${planDurationText(s.minutesNeeded)}`;
    const given = s.minDurationMs > 0 ? planDurationText(s.minDurationMs / 60_000) : 'no minimum';
    lines.push(
      `  ${`${s.percent}%`.padEnd(6)} ${round(s.inferencesPerMinute).padStart(8)}/min  needs ${needs.padEnd(10)} (stage: ${given}${s.minutesNeeded !== null && !s.enoughTime ? ', longer than the stage' : ''})`,
    );
  }
  if (plan.suggestedMinInferences !== null)
    lines.push(`suggested --min-inferences ${plan.suggestedMinInferences}`);
  for (const note of plan.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

/** Runs `edgefleet rollout plan …`. */
export async function rolloutPlanCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo = processIo,
): Promise<number> {
  if (argv[0] === 'help' || argv[0] === '--help') {
    io.out(ROLLOUT_PLAN_USAGE);
    return 0;
  }
  return runCommand('edgefleet rollout plan', io, env, async () => {
    const parsed = parseFlags(argv, PLAN_OPTIONS, ROLLOUT_PLAN_USAGE);
    let body: RolloutPlanRequestInput;
    try {
      body = planRequestOf(parsed.values);
    } catch (error) {
      throw new UsageError((error as Error).message, ROLLOUT_PLAN_USAGE);
    }
    const api = new CliApi(await resolveTarget(parsed.values, env), io);
    const plan = await api.call('POST /api/v1/rollouts/plan', { body });
    if (parsed.values.json) return printJson(io, plan);
    io.out(printableLines(formatPlan(plan)));
  });
}
