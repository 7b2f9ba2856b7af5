import {
  ROLLOUT_ACTIONS,
  type RolloutAction,
  type RolloutCreateInput,
  type RolloutDetail,
} from '@edgefleet/shared/api';
import { formatLevel } from '../rollouts/ladder';
import { parseDurationMs } from '../rollouts/stages';
import { CliApi } from './api';
import { COMMON_FLAGS_HELP, parseFlags } from './flags';
import { CliError, type CliIo, processIo, runCommand, UsageError } from './io';
import { printableLines, printJson } from './output';
import { resolveTarget } from './settings';

// `edgefleet rollout …`: the rollout API from a shell, through the shared client, flags and exit codes.

export type { CliIo };

export const ROLLOUT_USAGE = `Usage: edgefleet rollout <command> [flags]

Commands:
  create   --model NAME --candidate VERSION [--baseline VERSION]
           (--selector 'site=plant-a,line in (3,4)' | --devices id1,id2 | --app APP_ID)
           [--strategy canary|shadow|blue-green|all-at-once] [--stages 5%:30m,25%:2h,100%]
           [--min-targets N] [--min-inferences N] [--gate NAME=VALUE]... [--on-breach rollback|pause]
           [--confidence 0.99] [--on-inconclusive pause|extend|rollback]
           [--start-at 2026-11-24T22:00:00Z] [--window 'mon-fri 22:00-06:00 Europe/Berlin']...
           [--max-downloads N] [--apply-timeout 15m] [--id ID]
  plan     like create: ≈ how long each stage needs to decide its gates (edgefleet rollout plan --help)
  list     [--status STATUS] [--model NAME]
  show     ID
  pause | resume | promote | abort | rollback   ID [--reason TEXT]

--baseline defaults to the version the targets run; with none, the rollout is a first deployment (canary or
  all-at-once, no ratio or shadow gates; a rollback leaves the targets without the model).
Stages: SHARE%[:MIN[/MAX]][@LEVEL]; MAX is the deadline of a stage whose gates are still undecided (default
  4 × MIN), where --on-inconclusive applies (default pause). LEVEL (shadow, assist, partial(τ,μ), full) is the
  automation level of the stage's members on the candidate (the automation ladder; levels only rise, a share may
  repeat when the level rises): --stages '25%:2h@shadow,100%:1d@assist,100%:1d@partial(0.9,0.2),100%@full'.
  A step up needs agreement with humans (--gate minStepUpAgreement=0.95 over minStepUpReviews=100 labels);
  a quality gate's breach steps the level down one rung instead of rolling back. A gate breaches only when its interval at --confidence
  (default 0.99, family-wise over all gates and looks) lies past the threshold, and passes only below it.
Gates (--gate): latencyP95Ms, latencyP99Ms, latencyP95Ratio, latencyP99Ratio, maxErrorRate, maxPsi, maxJs,
  minShadowAgreement, maxApplyFailureShare, psi:FEATURE, js:FEATURE, metric:NAME<=MAX, metric:NAME>=MIN;
  on operators' labels, candidate vs the baseline's cohort in the same window: maxAccuracyDrop, maxAgreementDrop,
  maxReviewShareRise, minLabels (default 100); the ladder: minStepUpAgreement, minStepUpReviews
${COMMON_FLAGS_HELP}`;

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** `mon-fri 22:00-06:00 Europe/Berlin` or `sat,sun 00:00-24:00 UTC` → a maintenance window. */
export function parseWindow(text: string) {
  const match = /^([a-z,-]+)\s+(\d\d:\d\d)-(\d\d:\d\d)\s+(\S+)$/i.exec(text.trim());
  if (!match) throw new Error(`--window: expected 'mon-fri 22:00-06:00 Europe/Berlin', got '${text}'`);
  const days = new Set<string>();
  for (const part of match[1]!.toLowerCase().split(',')) {
    const [from, to] = part.split('-') as [string, string | undefined];
    const a = DAYS.indexOf(from);
    const b = to === undefined ? a : DAYS.indexOf(to);
    if (a < 0 || b < 0) throw new Error(`--window: unknown day in '${part}'`);
    for (let d = a; ; d = (d + 1) % 7) {
      days.add(DAYS[d]!);
      if (d === b) break;
    }
  }
  return { days: DAYS.filter((d) => days.has(d)), start: match[2], end: match[3], timeZone: match[4] };
}

/** A rollout's target from exactly one of `--selector`, `--devices` (comma-separated) and `--app`. */
export function targetOf(
  command: string,
  v: { selector?: string | undefined; devices?: string | undefined; app?: string | undefined },
): { selector: string } | { devices: string[] } | { app: string } {
  const targets = [v.selector, v.devices, v.app].filter((x) => x !== undefined);
  if (targets.length !== 1) throw new Error(`${command}: give exactly one of --selector, --devices, --app`);
  if (v.selector !== undefined) return { selector: v.selector };
  if (v.devices !== undefined) return { devices: v.devices.split(',') };
  return { app: v.app ?? '' };
}

/** `--gate` values → the API's gates object. */
export function parseGates(values: readonly string[]): Record<string, unknown> {
  const gates: Record<string, unknown> = {};
  const features: Record<string, Record<string, number>> = {};
  const metrics: { name: string; min?: number; max?: number }[] = [];
  for (const value of values) {
    const metric = /^metric:([^<>=]+)(<=|>=)(.+)$/.exec(value);
    if (metric) {
      const bound = Number(metric[3]);
      metrics.push({ name: metric[1]!, ...(metric[2] === '<=' ? { max: bound } : { min: bound }) });
      continue;
    }
    const [key, raw] = value.split('=') as [string, string | undefined];
    const number = Number(raw);
    if (raw === undefined || !Number.isFinite(number))
      throw new Error(`--gate: expected NAME=NUMBER, got '${value}'`);
    const feature = /^(psi|js):(.+)$/.exec(key);
    if (feature) {
      const name = feature[2]!;
      features[name] = { ...features[name], [feature[1] === 'psi' ? 'maxPsi' : 'maxJs']: number };
    } else gates[key] = number;
  }
  if (Object.keys(features).length > 0) gates.features = features;
  if (metrics.length > 0) gates.metrics = metrics;
  return gates;
}

const fmt = (v: number | null) => (v === null ? 'n/a' : Number.isInteger(v) ? String(v) : v.toPrecision(3));

/** The human view of `show`. */
export function formatDetail(r: RolloutDetail): string {
  const lines = [
    `${r.id}  ${r.strategy} ${r.model} ${r.baseline ?? '(none)'} → ${r.candidate}  [${r.status}]`,
    `  target   ${JSON.stringify(r.target)}`,
    `  stages   ${r.stages.map((s, i) => `${i === r.stageIndex && s.state === 'current' ? '▶' : s.state === 'done' ? '✓' : ' '}${s.percent}%${s.automation ? `@${formatLevel(s.automation)}` : ''}`).join('  ')}  (now ${r.percent}%)`,
    `  targets  ${r.targets.total}: ${Object.entries(r.targets.byState)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  ];
  if (r.stage?.automation)
    lines.push(
      `  level    ${formatLevel(r.stage.automation)}${r.stage.stepsDown ? ` (stepped down ${r.stage.stepsDown})` : ''}`,
    );
  for (const f of r.targets.failures.slice(0, 5)) lines.push(`    failed ${f.id}: ${f.error}`);
  if (r.evaluation) {
    lines.push(`  gates    ${r.evaluation.verdict ?? '-'} — ${r.evaluation.note}`);
    for (const g of r.evaluation.gates) {
      lines.push(
        `    ${g.status.padEnd(6)} ${g.gate.padEnd(36)} ${fmt(g.value).padStart(10)} ${g.bound === 'max' ? '<=' : '>='} ${g.threshold}`,
      );
    }
  }
  lines.push('  audit');
  for (const a of r.audit.slice(-10))
    lines.push(`    ${new Date(a.at).toISOString()} ${a.event.padEnd(11)} ${a.actor}: ${a.reason}`);
  return `${lines.join('\n')}\n`;
}

/** Runs `edgefleet rollout …`; resolves to the exit code (see EXIT in ./io). */
export async function rolloutCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo = processIo,
): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    io.out(ROLLOUT_USAGE);
    return command ? 0 : 2;
  }
  return runCommand(`edgefleet rollout ${command}`, io, env, async () => {
    const parsed = parseFlags(rest, ROLLOUT_OPTIONS, ROLLOUT_USAGE);
    let request: RolloutRequest;
    try {
      request = requestOf(command, parsed);
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new UsageError((error as Error).message, ROLLOUT_USAGE);
    }
    const api = new CliApi(await resolveTarget(parsed.values, env), io);
    const body = await send(api, request);
    if (parsed.values.json) return printJson(io, body);
    if ('rollouts' in body) {
      for (const r of body.rollouts) {
        io.out(
          printableLines(
            `${r.id}  ${r.status.padEnd(11)} ${r.strategy.padEnd(11)} ${r.model} ${r.baseline ?? '(none)'} → ${r.candidate}  stage ${r.stageIndex + 1}/${r.stageCount} (${r.percent}%)\n`,
          ),
        );
      }
    } else io.out(printableLines(formatDetail('rollout' in body ? body.rollout : body)));
  });
}

const ROLLOUT_OPTIONS = {
  id: { type: 'string' },
  model: { type: 'string' },
  candidate: { type: 'string' },
  baseline: { type: 'string' },
  selector: { type: 'string' },
  devices: { type: 'string' },
  app: { type: 'string' },
  strategy: { type: 'string' },
  stages: { type: 'string' },
  'min-targets': { type: 'string' },
  'min-inferences': { type: 'string' },
  gate: { type: 'string', multiple: true },
  'on-breach': { type: 'string' },
  confidence: { type: 'string' },
  'on-inconclusive': { type: 'string' },
  'start-at': { type: 'string' },
  window: { type: 'string', multiple: true },
  'max-downloads': { type: 'string' },
  'apply-timeout': { type: 'string' },
  reason: { type: 'string' },
  status: { type: 'string' },
} as const;

/** What a command asks of the API. */
type RolloutRequest =
  | { kind: 'list'; query: { status?: string; model?: string } }
  | { kind: 'show'; id: string }
  | { kind: 'action'; id: string; action: RolloutAction; reason?: string }
  | { kind: 'create'; body: RolloutCreateInput };

/** Sends a command's request through the typed client. */
function send(api: CliApi, request: RolloutRequest) {
  switch (request.kind) {
    case 'list':
      return api.call('GET /api/v1/rollouts', { query: request.query });
    case 'show':
      return api.call('GET /api/v1/rollouts/{id}', { params: { id: request.id } });
    case 'action':
      return api.call(`POST /api/v1/rollouts/{id}/${request.action}`, {
        params: { id: request.id },
        body: request.reason ? { reason: request.reason } : {},
      });
    case 'create':
      return api.call('POST /api/v1/rollouts', { body: request.body });
  }
}

function requestOf(
  command: string,
  { values: v, positionals }: ReturnType<typeof parseFlags<typeof ROLLOUT_OPTIONS>>,
): RolloutRequest {
  if (command === 'list') {
    return {
      kind: 'list',
      query: { ...(v.status ? { status: v.status } : {}), ...(v.model ? { model: v.model } : {}) },
    };
  }
  const action = ROLLOUT_ACTIONS.find((a) => a === command);
  if (command === 'show' || action) {
    const id = positionals[0];
    if (!id) throw new Error(`${command}: expected a rollout id`);
    if (!action) return { kind: 'show', id };
    return { kind: 'action', id, action, ...(v.reason ? { reason: v.reason } : {}) };
  }
  if (command !== 'create') throw new Error(`unknown command '${command}'`);
  if (!v.model || !v.candidate) throw new Error('create: --model and --candidate are required');
  const target = targetOf('create', v);
  const int = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n)) throw new Error(`${flag}: expected an integer, got '${value}'`);
    return n;
  };
  const durationMs = (flag: string, value: string) => {
    const parsed = parseDurationMs(value);
    if (!parsed.ok) throw new Error(`${flag}: ${parsed.error}`);
    return parsed.value;
  };
  let startAt: number | undefined;
  if (v['start-at'] !== undefined) {
    startAt = Date.parse(v['start-at']);
    if (Number.isNaN(startAt)) throw new Error(`--start-at: expected an ISO time, got '${v['start-at']}'`);
  }
  // Strategy, gates and breach action go to the server as typed; it answers 400 naming the field at fault.
  const body = {
    model: v.model,
    candidate: v.candidate,
    target,
    ...(v.id ? { id: v.id } : {}),
    ...(v.baseline ? { baseline: v.baseline } : {}),
    ...(v.strategy ? { strategy: v.strategy } : {}),
    ...(v.stages ? { stages: v.stages } : {}),
    ...(v['min-targets'] ? { minReportingTargets: int('--min-targets', v['min-targets']) } : {}),
    ...(v['min-inferences'] ? { minInferences: int('--min-inferences', v['min-inferences']) } : {}),
    ...(v.gate ? { gates: parseGates(v.gate) } : {}),
    ...(v['on-breach'] ? { onBreach: v['on-breach'] } : {}),
    ...(v.confidence ? { confidence: confidenceOf(v.confidence) } : {}),
    ...(v['on-inconclusive'] ? { onInconclusive: v['on-inconclusive'] } : {}),
    ...(startAt !== undefined ? { startAt } : {}),
    ...(v.window ? { maintenanceWindows: v.window.map(parseWindow) } : {}),
    ...(v['max-downloads'] ? { maxConcurrentDownloads: int('--max-downloads', v['max-downloads']) } : {}),
    ...(v['apply-timeout'] ? { applyTimeoutMs: durationMs('--apply-timeout', v['apply-timeout']) } : {}),
  };
  return { kind: 'create', body: body as RolloutCreateInput };
}

/** `--confidence 0.99` (or `99%`) → 0.99. */
function confidenceOf(text: string): number {
  const trimmed = text.trim();
  const value = trimmed.endsWith('%')
    ? Number((Number(trimmed.slice(0, -1)) / 100).toPrecision(12))
    : Number(trimmed);
  if (!(value > 0 && value < 1))
    throw new Error(`--confidence: expected a level like 0.99 or 99%, got '${text}'`);
  return value;
}
