import type { CaptureSet, CaptureSetting } from '@edgefleet/shared/api';
import type { CapturePolicy } from '@edgefleet/shared/capture';
import { CliApi } from './api';
import { COMMON_FLAGS_HELP, onePositional, parseFlags, readLocalText } from './flags';
import { type CliIo, UsageError } from './io';
import { printJson, table, when } from './output';
import { resolveTarget } from './settings';

// `edgefleet capture …`: which samples the clients of a model capture, per device target or web app (opt-in).

export const CAPTURE_USAGE = `Usage: edgefleet capture <command> [flags]

Commands:
  set MODEL (--selector 'line=2' | --device ID [--device ID2 …] | --app APP) (--policy FILE.json | --off)
        stores the capture policy on that target and republishes the desired states (or app plan) serving the
        model; --off stops capture there. FILE.json is a CapturePolicy, e.g.
        {"lowConfidence":{"below":0.8},"random":{"rate":0.01},"clientRetentionDays":7,
         "budget":{"maxSamplesPerDay":500,"maxBytesPerDay":50000000}}
  get MODEL [--history]
        the policy in force per target (and with --history every setting, newest first)

Nothing is captured, and no upload accepted, where no policy reaches: capture is opt-in per target.
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

const OPTIONS = {
  selector: { type: 'string' },
  device: { type: 'string', multiple: true },
  app: { type: 'string' },
  policy: { type: 'string' },
  off: { type: 'boolean' },
  history: { type: 'boolean' },
} as const;

const MAX_POLICY_BYTES = 256 * 1024;

function targetOf(values: { selector?: string; device?: string[]; app?: string }): CaptureSet['target'] {
  const given = [values.selector, values.device, values.app].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError('give exactly one of --selector, --device, --app', CAPTURE_USAGE);
  if (values.selector !== undefined) return { selector: values.selector };
  if (values.app !== undefined) return { app: values.app };
  const devices = (values.device ?? [])
    .flatMap((d) => d.split(','))
    .map((d) => d.trim())
    .filter((d) => d !== '');
  if (devices.length === 0) throw new UsageError('--device: expected a device id', CAPTURE_USAGE);
  return { devices };
}

/** The policy of `--policy FILE.json` (also `@FILE` or inline JSON), or null for `--off`; checked by the server. */
async function policyOf(values: { policy?: string; off?: boolean }): Promise<CapturePolicy | null> {
  if (Boolean(values.off) === (values.policy !== undefined))
    throw new UsageError('give --policy FILE.json or --off (one of them)', CAPTURE_USAGE);
  if (values.off) return null;
  const given = values.policy!;
  const text = given.trimStart().startsWith('{')
    ? given
    : await readLocalText(given.replace(/^@/, ''), '--policy', MAX_POLICY_BYTES);
  try {
    return JSON.parse(text) as CapturePolicy;
  } catch (error) {
    throw new UsageError(`--policy: not valid JSON (${(error as Error).message})`);
  }
}

const targetText = (s: CaptureSetting) =>
  s.target.kind === 'selector'
    ? `selector ${s.target.selector}`
    : s.target.kind === 'devices'
      ? `devices ${s.target.ids.join(',')}`
      : `app ${s.target.appId}`;

/** One line of what a policy captures and within which budget. */
export function policyText(p: CapturePolicy | null): string {
  if (!p) return 'off';
  const rules = [
    p.lowConfidence && `confidence<${p.lowConfidence.below}`,
    p.lowMargin && `margin<${p.lowMargin.below}`,
    p.outOfRange && `out-of-range${p.outOfRange.features ? `(${p.outOfRange.features.join(',')})` : ''}`,
    p.random && `random ${p.random.rate}`,
    p.disagreement && 'disagreement',
  ].filter(Boolean);
  const quotas = p.budget.classQuotas ? ` quotas ${JSON.stringify(p.budget.classQuotas)}` : '';
  return (
    `${rules.join(' ') || 'no rule'}; ≤${p.budget.maxSamplesPerDay}/day ≤${p.budget.maxBytesPerDay} B/day${quotas}; ` +
    `kept ${p.clientRetentionDays}d${p.maxSidePx ? `; ≤${p.maxSidePx}px` : ''}`
  );
}

/** `edgefleet capture <command>`. */
export async function captureCommand(command: string, argv: readonly string[], env: Env, io: CliIo) {
  const { values, positionals } = parseFlags(argv, OPTIONS, CAPTURE_USAGE);
  if (command !== 'set' && command !== 'get')
    throw new UsageError(`unknown command '${command}'`, CAPTURE_USAGE);
  const params = { name: onePositional(positionals, 'MODEL', CAPTURE_USAGE) };
  if (command === 'set') {
    const body: CaptureSet = { target: targetOf(values), policy: await policyOf(values) };
    const api = new CliApi(await resolveTarget(values, env), io);
    const result = await api.call('PUT /api/v1/models/{name}/capture', { params, body });
    if (values.json) return printJson(io, result);
    const { applied, setting } = result;
    io.out(
      `Capture of ${params.name} on ${targetText(setting)}: ${policyText(setting.policy)}\n` +
        (setting.target.kind === 'app'
          ? `  app plan ${applied.app ? 'republished' : 'not republished: it does not serve the model yet'}\n`
          : `  ${applied.devices} desired states republished, ${applied.skipped} devices skipped (not serving the model)` +
            `${applied.failed ? `, ${applied.failed} failed (set it again to retry)` : ''}\n`),
    );
    return;
  }
  const api = new CliApi(await resolveTarget(values, env), io);
  const list = await api.call('GET /api/v1/models/{name}/capture', { params });
  if (values.json) return printJson(io, list);
  const rows = (settings: CaptureSetting[]) =>
    table(
      ['TARGET', 'POLICY', 'SET BY', 'SET AT'],
      settings.map((s) => [targetText(s), policyText(s.policy), s.actor, when(s.setAt)]),
    );
  if (list.settings.length === 0) io.out(`${params.name}: no capture policy set (nothing is captured)\n`);
  else io.out(rows(list.settings));
  if (values.history && list.history.length > 0) io.out(`\nhistory (newest first)\n${rows(list.history)}`);
}
