import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { noArguments, parseFlags } from './flags';
import { type CliIo, UsageError } from './io';
import { printJson } from './output';

// `edgefleet admin-token create --data-dir …`: whoever can write the data dir can mint an admin token, without a
// running server or an old token (a lost bootstrap token, a first start that failed).

export const ADMIN_TOKEN_USAGE = `Usage: edgefleet admin-token create --data-dir DIR [--label TEXT] [--admin-token-file PATH]

Mints a new admin token straight into the fleet database of DIR (works while the server runs). The token is
printed once, or written to --admin-token-file (0600) with only its path printed.
`;

type Env = Readonly<Record<string, string | undefined>>;

const OPTIONS = {
  'data-dir': { type: 'string' },
  label: { type: 'string' },
  'admin-token-file': { type: 'string' },
} as const;

/** `edgefleet admin-token <command>`. */
export async function adminTokenCommand(command: string, argv: readonly string[], env: Env, io: CliIo) {
  const { values, positionals } = parseFlags(argv, OPTIONS, ADMIN_TOKEN_USAGE);
  if (command !== 'create') throw new UsageError(`unknown command '${command}'`, ADMIN_TOKEN_USAGE);
  noArguments(positionals, ADMIN_TOKEN_USAGE);
  const dataDirFlag = values['data-dir'] ?? env.EDGEFLEET_DATA_DIR;
  if (!dataDirFlag) throw new UsageError('--data-dir is required', ADMIN_TOKEN_USAGE);
  const dataDir = resolve(dataDirFlag);
  if (!existsSync(join(dataDir, 'fleet.db'))) {
    throw new UsageError(`no fleet database in ${dataDir} (start the server on it first)`, ADMIN_TOKEN_USAGE);
  }
  const { openDatabase } = await import('../db');
  const { mintAdminToken, writeSecretFile } = await import('../fleet/bootstrap');
  const file = values['admin-token-file'];
  const database = openDatabase(dataDir);
  try {
    const label = (values.label ?? 'cli').slice(0, 100);
    const { id, token } = mintAdminToken(
      database.db,
      label,
      Date.now(),
      file ? (secret) => writeSecretFile(file, secret) : undefined,
    );
    if (values.json) return printJson(io, file ? { id, label, file } : { id, label, token });
    if (file) io.out(`Admin token ${id} written to ${file} (0600)\n`);
    else io.out(`Admin token ${id} (shown once, keep it now):\n  ${token}\n`);
  } finally {
    database.close();
  }
}
