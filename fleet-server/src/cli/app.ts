import { CliApi } from './api';
import { COMMON_FLAGS_HELP, noArguments, parseFlags } from './flags';
import { type CliIo, UsageError } from './io';
import { printJson, table } from './output';
import { resolveTarget } from './settings';

// `edgefleet app …`: web apps and their publishable keys.

export const APP_USAGE = `Usage: edgefleet app <command> [flags]

Commands:
  create   --name NAME [--origin https://shop.example.com]... [--id ID]   prints the publishable key
  list
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;

const APP_OPTIONS = {
  name: { type: 'string' },
  origin: { type: 'string', multiple: true },
  id: { type: 'string' },
} as const;

/** `edgefleet app <command>`. */
export async function appCommand(command: string, argv: readonly string[], env: Env, io: CliIo) {
  const { values, positionals } = parseFlags(argv, APP_OPTIONS, APP_USAGE);
  noArguments(positionals, APP_USAGE);
  if (command === 'create') {
    if (!values.name) throw new UsageError('create: --name is required', APP_USAGE);
    const api = new CliApi(await resolveTarget(values, env), io);
    const app = await api.call('POST /api/v1/apps', {
      body: {
        name: values.name,
        allowedOrigins: values.origin ?? [],
        ...(values.id ? { id: values.id } : {}),
      },
    });
    if (values.json) return printJson(io, app);
    io.out(`Created app ${app.id} (${app.name})\n  publishable key: ${app.publishableKey}\n`);
    io.out(`  origins: ${app.allowedOrigins.join(', ') || 'any'}\n`);
    return;
  }
  if (command === 'list') {
    const api = new CliApi(await resolveTarget(values, env), io);
    const { apps } = await api.call('GET /api/v1/apps', {});
    if (values.json) return printJson(io, { apps });
    io.out(
      table(
        ['ID', 'NAME', 'STATE', 'KEY', 'ORIGINS', 'PLAN REV'],
        apps.map((a) => [
          a.id,
          a.name,
          a.disabled ? 'disabled' : 'active',
          a.publishableKey,
          a.allowedOrigins.join(',') || 'any',
          a.planRev,
        ]),
      ),
    );
    return;
  }
  throw new UsageError(`unknown command '${command}'`, APP_USAGE);
}
