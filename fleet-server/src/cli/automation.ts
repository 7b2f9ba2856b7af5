import type { Automation } from '@edgefleet/shared';
import type { AutomationSet, AutomationSetting } from '@edgefleet/shared/api';
import { CliApi } from './api';
import { COMMON_FLAGS_HELP, noArguments, parseFlags } from './flags';
import { type CliIo, UsageError } from './io';
import { printJson, table, when } from './output';
import { resolveTarget } from './settings';

// `edgefleet automation …`: how much a model decides alone, per device target or web app.

export const AUTOMATION_USAGE = `Usage: edgefleet automation <command> [flags]

Commands:
  set    --model NAME (--selector 'site=plant-a' | --devices a,b | --app APP)
         --level shadow|assist|full|partial [--min-confidence 0.9 --min-margin 0.2]
         stores the level and republishes the desired states (or app plan) that serve the model
  list   --model NAME   the level in force per target, who set it and when

Levels: shadow (the model only watches), assist (it suggests, a human decides), partial (it decides alone when
top-1 confidence ≥ --min-confidence and margin ≥ --min-margin, else review), full (it decides).
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

const OPTIONS = {
  model: { type: 'string' },
  selector: { type: 'string' },
  devices: { type: 'string' },
  app: { type: 'string' },
  level: { type: 'string' },
  'min-confidence': { type: 'string' },
  'min-margin': { type: 'string' },
} as const;

function unit(text: string | undefined, flag: string): number {
  const n = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new UsageError(`${flag}: expected a number in [0, 1], got '${text ?? ''}'`, AUTOMATION_USAGE);
  return n;
}

/** The level the flags name; partial needs both thresholds, the others take none. */
export function levelOf(values: {
  level?: string;
  'min-confidence'?: string;
  'min-margin'?: string;
}): Automation {
  const { level } = values;
  const thresholds = values['min-confidence'] !== undefined || values['min-margin'] !== undefined;
  if (level === 'partial') {
    return {
      level,
      minConfidence: unit(values['min-confidence'], '--min-confidence'),
      minMargin: unit(values['min-margin'], '--min-margin'),
    };
  }
  if (level === 'shadow' || level === 'assist' || level === 'full') {
    if (thresholds)
      throw new UsageError('--min-confidence/--min-margin go with --level partial only', AUTOMATION_USAGE);
    return { level };
  }
  throw new UsageError(
    `--level: expected shadow, assist, partial or full, got '${level ?? ''}'`,
    AUTOMATION_USAGE,
  );
}

function targetOf(values: { selector?: string; devices?: string; app?: string }): AutomationSet['target'] {
  const given = [values.selector, values.devices, values.app].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError('give exactly one of --selector, --devices, --app', AUTOMATION_USAGE);
  if (values.selector !== undefined) return { selector: values.selector };
  if (values.app !== undefined) return { app: values.app };
  const devices = (values.devices ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  if (devices.length === 0) throw new UsageError('--devices: expected a,b,…', AUTOMATION_USAGE);
  return { devices };
}

const levelText = (a: Automation) =>
  a.level === 'partial' ? `partial τ=${a.minConfidence} μ=${a.minMargin}` : a.level;
const targetText = (s: AutomationSetting) =>
  s.target.kind === 'selector'
    ? `selector ${s.target.selector}`
    : s.target.kind === 'devices'
      ? `devices ${s.target.ids.join(',')}`
      : `app ${s.target.appId}`;

/** `edgefleet automation <command>`. */
export async function automationCommand(command: string, argv: readonly string[], env: Env, io: CliIo) {
  const { values, positionals } = parseFlags(argv, OPTIONS, AUTOMATION_USAGE);
  noArguments(positionals, AUTOMATION_USAGE);
  if (command !== 'set' && command !== 'list')
    throw new UsageError(`unknown command '${command}'`, AUTOMATION_USAGE);
  if (!values.model) throw new UsageError(`${command}: --model is required`, AUTOMATION_USAGE);
  const params = { name: values.model };
  if (command === 'set') {
    const body: AutomationSet = { target: targetOf(values), level: levelOf(values) };
    const api = new CliApi(await resolveTarget(values, env), io);
    const result = await api.call('PUT /api/v1/models/{name}/automation', { params, body });
    if (values.json) return printJson(io, result);
    const { applied } = result;
    io.out(
      `Set ${values.model} to ${levelText(result.setting.level)} on ${targetText(result.setting)}\n` +
        (result.setting.target.kind === 'app'
          ? `  app plan ${applied.app ? 'republished' : 'not republished: it does not serve the model yet'}\n`
          : `  ${applied.devices} desired states republished, ${applied.skipped} devices skipped (not serving the model)` +
            `${applied.failed ? `, ${applied.failed} failed (set it again to retry)` : ''}\n`),
    );
    return;
  }
  const api = new CliApi(await resolveTarget(values, env), io);
  const list = await api.call('GET /api/v1/models/{name}/automation', { params });
  if (values.json) return printJson(io, list);
  if (list.settings.length === 0) {
    io.out(`${values.model}: no automation level set (devices and apps run it at full)\n`);
    return;
  }
  io.out(
    table(
      ['TARGET', 'LEVEL', 'SET BY', 'SET AT'],
      list.settings.map((s) => [targetText(s), levelText(s.level), s.actor, when(s.setAt)]),
    ),
  );
}
