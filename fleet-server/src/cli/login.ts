import { CliApi } from './api';
import { COMMON_FLAGS_HELP, parseFlags } from './flags';
import { type CliIo, UsageError } from './io';
import { printJson } from './output';
import { configPath, DEFAULT_URL, normalizeUrl, removeSavedLogin, saveLogin } from './settings';

// `edgefleet login` / `logout`: check an admin token against the server and keep it in the config file.

export const LOGIN_USAGE = `Usage: edgefleet login [--url URL] [--token TOKEN]
       edgefleet logout

login checks the admin token with an admin-only request and saves { url, token } with mode 0600 to
$EDGEFLEET_CONFIG, else $XDG_CONFIG_HOME/edgefleet/config.json, else ~/.config/edgefleet/config.json.
Without --token (or EDGEFLEET_ADMIN_TOKEN) the token is read from stdin when it is not a terminal
(echo $TOKEN | edgefleet login), or asked for without echo on a terminal.
${COMMON_FLAGS_HELP}`;

type Env = Readonly<Record<string, string | undefined>>;
const MAX_TOKEN_CHARS = 4096;

/** `edgefleet login`. */
export async function loginCommand(argv: readonly string[], env: Env, io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(argv, {}, LOGIN_USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, LOGIN_USAGE);
  const url =
    values.url !== undefined
      ? normalizeUrl(values.url, '--url')
      : env.EDGEFLEET_URL
        ? normalizeUrl(env.EDGEFLEET_URL, 'EDGEFLEET_URL')
        : DEFAULT_URL;
  const token = (values.token ?? (env.EDGEFLEET_ADMIN_TOKEN || undefined) ?? (await readToken(io))).trim();
  if (token === '' || token.length > MAX_TOKEN_CHARS || /\s/.test(token)) {
    throw new UsageError('expected one admin token (no spaces, at most 4096 chars)');
  }
  // Any admin-only GET proves the token; the model list is small.
  await new CliApi({ url, token }, io).call('GET /api/v1/models', {});
  const path = configPath(env);
  await saveLogin(path, { url, token });
  if (values.json) printJson(io, { url, config: path });
  else io.out(`Logged in to ${url}; token saved to ${path}\n`);
}

/** `edgefleet logout`: removes the saved login. */
export async function logoutCommand(argv: readonly string[], env: Env, io: CliIo): Promise<void> {
  const { values, positionals } = parseFlags(argv, {}, LOGIN_USAGE);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`, LOGIN_USAGE);
  const path = configPath(env);
  const removed = await removeSavedLogin(path);
  if (values.json) printJson(io, { removed, config: path });
  else io.out(removed ? `Logged out; removed ${path}\n` : `Not logged in (no ${path})\n`);
}

/** The token from a pipe, or typed at a terminal without echo. */
async function readToken(io: CliIo): Promise<string> {
  const stdin = io.stdin ?? process.stdin;
  if (stdin.isTTY) return promptHidden(stdin, io);
  let text = '';
  for await (const chunk of stdin) {
    text += String(chunk);
    if (text.length > MAX_TOKEN_CHARS + 2) throw new UsageError('stdin: more than one token');
  }
  if (text.trim() === '') throw new UsageError('no token: pass --token, or pipe it on stdin');
  return text;
}

/** Reads one line from a terminal in raw mode, echoing nothing; Ctrl-C or Ctrl-D aborts. */
function promptHidden(stdin: NodeJS.ReadStream, io: CliIo): Promise<string> {
  io.err('Admin token: ');
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      io.err('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003' || char === '\u0004') return finish(new UsageError('aborted'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else if (typed.length <= MAX_TOKEN_CHARS) typed += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
