import type { Device } from '@edgefleet/shared/api';
import { deployErrorsOf, runningModelsOf, versionLabel } from '@edgefleet/shared/api/client';
import { CliApi } from './api';
import { COMMON_FLAGS_HELP, onePositional, parseFlags, parsePositiveInt } from './flags';
import { type CliIo, UsageError } from './io';
import { keyValues, labelText, printable, printJson, table, when } from './output';
import { resolveTarget } from './settings';

// `edgefleet device …`: list, inspect, label, disable / enable and delete devices.

export const DEVICE_USAGE = `Usage: edgefleet device <command> [flags]

Commands:
  list     [--selector 'site=plant-a,line in (3,4)'] [--online | --offline] [--limit N] [--offset N]
  show     ID
  label    ID KEY=VALUE... [KEY-]... [--remove KEY]...   set labels; KEY- or --remove KEY removes one
  disable  ID          refuse its credentials until enabled again
  enable   ID
  delete   ID          delete the device and its credentials
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

const OPTIONS = {
  selector: { type: 'string' },
  online: { type: 'boolean' },
  offline: { type: 'boolean' },
  limit: { type: 'string' },
  offset: { type: 'string' },
  remove: { type: 'string', multiple: true },
} as const;

const running = (d: Device, role: 'active' | 'shadow' | 'standby') =>
  versionLabel(runningModelsOf(d.reportedState)?.[role]) ?? '-';
const state = (d: Device) => (d.disabled ? 'disabled' : d.online ? 'online' : 'offline');

const COMMANDS = new Set(['list', 'show', 'label', 'disable', 'enable', 'delete']);

/** `edgefleet device <command>`. */
export async function deviceCommand(command: string, argv: readonly string[], env: Env, io: CliIo) {
  if (!COMMANDS.has(command)) throw new UsageError(`unknown command '${command}'`, DEVICE_USAGE);
  const { values, positionals } = parseFlags(argv, OPTIONS, DEVICE_USAGE);
  if (command === 'list') {
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, DEVICE_USAGE);
    if (values.online && values.offline)
      throw new UsageError('give --online or --offline, not both', DEVICE_USAGE);
    const api = new CliApi(await resolveTarget(values, env), io);
    const { devices, total } = await api.call('GET /api/v1/devices', {
      query: {
        selector: values.selector,
        online: values.online ? 'true' : values.offline ? 'false' : undefined,
        limit: values.limit === undefined ? undefined : parsePositiveInt(values.limit, '--limit'),
        offset:
          values.offset === undefined || values.offset === '0'
            ? undefined
            : parsePositiveInt(values.offset, '--offset'),
      },
    });
    if (values.json) return printJson(io, { devices, total });
    io.out(
      table(
        ['ID', 'STATE', 'ACTIVE', 'LABELS', 'LAST SEEN'],
        devices.map((d) => [d.id, state(d), running(d, 'active'), labelText(d.labels), when(d.lastSeenAt)]),
      ),
    );
    if (total > devices.length) io.out(`(${devices.length} of ${total}; use --limit / --offset for more)\n`);
    return;
  }
  const id = onePositional(positionals.slice(0, 1), 'a device ID', DEVICE_USAGE);
  const api = new CliApi(await resolveTarget(values, env), io);
  const params = { id };
  let device: Device;
  if (command === 'show') {
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, DEVICE_USAGE);
    device = await api.call('GET /api/v1/devices/{id}', { params });
  } else if (command === 'label') {
    const labels = labelPatch(positionals.slice(1), values.remove ?? []);
    device = await api.call('PATCH /api/v1/devices/{id}', { params, body: { labels } });
  } else if (command === 'disable' || command === 'enable') {
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, DEVICE_USAGE);
    device = await api.call('PATCH /api/v1/devices/{id}', {
      params,
      body: { disabled: command === 'disable' },
    });
  } else if (command === 'delete') {
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`, DEVICE_USAGE);
    await api.call('DELETE /api/v1/devices/{id}', { params });
    if (values.json) return printJson(io, { deleted: id });
    return io.out(`Deleted device ${id}\n`);
  } else throw new UsageError(`unknown command '${command}'`, DEVICE_USAGE);
  if (values.json) return printJson(io, device);
  io.out(formatDevice(device));
}

/** `k=v` sets, `k-` and `--remove k` remove (null in the merge patch). */
export function labelPatch(
  pairs: readonly string[],
  removals: readonly string[],
): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at > 0) patch[pair.slice(0, at)] = pair.slice(at + 1);
    else if (pair.endsWith('-') && pair.length > 1) patch[pair.slice(0, -1)] = null;
    else throw new UsageError(`label: expected KEY=VALUE or KEY-, got '${pair}'`, DEVICE_USAGE);
  }
  for (const key of removals) patch[key] = null;
  if (Object.keys(patch).length === 0)
    throw new UsageError('label: expected KEY=VALUE or KEY- arguments', DEVICE_USAGE);
  return patch;
}

function formatDevice(d: Device): string {
  const lines = keyValues([
    ['id', d.id],
    ['name', d.name],
    ['state', state(d)],
    ['labels', labelText(d.labels) || '-'],
    ['active', running(d, 'active')],
    ['shadow', running(d, 'shadow')],
    ['standby', running(d, 'standby')],
    ['agent', d.reportedState?.agentVersion],
    ['rev', `applied ${d.appliedRev} / desired ${d.desiredRev}`],
    ['last seen', when(d.lastSeenAt)],
    ['created', when(d.createdAt)],
  ]);
  const errors = deployErrorsOf(d.reportedState).slice(-10);
  if (errors.length === 0) return lines;
  return `${lines}errors\n${errors.map((e) => `  ${when(e.at)} ${printable(e.step)}: ${printable(e.message)}\n`).join('')}`;
}
