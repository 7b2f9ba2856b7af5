import { CliApi } from './api';
import {
  COMMON_FLAGS_HELP,
  noArguments,
  onePositional,
  parseDuration,
  parseFlags,
  parseLabelPairs,
  parsePositiveInt,
} from './flags';
import { type CliIo, UsageError } from './io';
import { keyValues, labelText, printJson, table, when } from './output';
import { resolveTarget } from './settings';

// `edgefleet enroll-token …`: the one-time credentials devices enroll with.

export const ENROLL_TOKEN_USAGE = `Usage: edgefleet enroll-token <command> [flags]

Commands:
  create   [--label KEY=VALUE]... [--device-label KEY]... [--expires 24h] [--max-uses 1]   prints the token once
           (--device-label: a label key the device may set itself; defaults: 24h, 1 use; at most 30 days)
  list
  revoke   ID     devices enrolled with it keep working
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

const TOKEN_OPTIONS = {
  label: { type: 'string', multiple: true },
  'device-label': { type: 'string', multiple: true },
  expires: { type: 'string' },
  'max-uses': { type: 'string' },
} as const;

/** `edgefleet enroll-token <command>`. */
export async function enrollTokenCommand(command: string, argv: readonly string[], env: Env, io: CliIo) {
  const { values, positionals } = parseFlags(argv, TOKEN_OPTIONS, ENROLL_TOKEN_USAGE);
  if (command === 'create') {
    noArguments(positionals, ENROLL_TOKEN_USAGE);
    const body = {
      labels: parseLabelPairs(values.label ?? [], '--label'),
      ...(values['device-label'] ? { deviceLabelKeys: values['device-label'] } : {}),
      ...(values.expires ? { expiresInS: Math.ceil(parseDuration(values.expires, '--expires') / 1000) } : {}),
      ...(values['max-uses'] ? { maxUses: parsePositiveInt(values['max-uses'], '--max-uses') } : {}),
    };
    const api = new CliApi(await resolveTarget(values, env), io);
    const created = await api.call('POST /api/v1/enrollment-tokens', { body });
    if (values.json) return printJson(io, created);
    io.out(`Enrollment token (shown once, keep it now):\n  ${created.token}\n`);
    io.out(
      keyValues(
        [
          ['id', created.id],
          ['labels', labelText(created.labels) || '-'],
          ['device may set', created.deviceLabelKeys.join(', ') || '-'],
          ['max uses', created.maxUses ?? 'unlimited'],
          ['expires', created.expiresAt === null ? 'never' : when(created.expiresAt)],
        ],
        '  ',
      ),
    );
    return;
  }
  if (command === 'list') {
    noArguments(positionals, ENROLL_TOKEN_USAGE);
    const api = new CliApi(await resolveTarget(values, env), io);
    const { tokens } = await api.call('GET /api/v1/enrollment-tokens', {});
    if (values.json) return printJson(io, { tokens });
    io.out(
      table(
        ['ID', 'STATE', 'USES', 'LABELS', 'EXPIRES', 'CREATED'],
        tokens.map((t) => [
          t.id,
          t.revokedAt !== null
            ? 'revoked'
            : t.expiresAt !== null && t.expiresAt < Date.now()
              ? 'expired'
              : 'active',
          `${t.uses}/${t.maxUses ?? '∞'}`,
          labelText(t.labels) || '-',
          t.expiresAt === null ? 'never' : when(t.expiresAt),
          when(t.createdAt),
        ]),
      ),
    );
    return;
  }
  if (command === 'revoke') {
    const id = onePositional(positionals, 'an enrollment token ID', ENROLL_TOKEN_USAGE);
    const api = new CliApi(await resolveTarget(values, env), io);
    const revoked = await api.call('DELETE /api/v1/enrollment-tokens/{id}', { params: { id } });
    if (values.json) return printJson(io, revoked);
    io.out(`Revoked enrollment token ${revoked.id}\n`);
    return;
  }
  throw new UsageError(`unknown command '${command}'`, ENROLL_TOKEN_USAGE);
}
