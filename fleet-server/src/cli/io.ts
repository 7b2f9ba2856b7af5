// What every `edgefleet` admin command shares: where it writes, the exit codes, and how an error becomes
// one line on stderr and a code. Commands throw CliError; runCommand turns it into the exit code.

/** Where a command writes and reads; injectable for tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  fetch: typeof fetch;
  /** Whether stderr is a terminal (progress bars, prompts); false when not given. */
  errIsTty?: boolean;
  /** Where `login` reads a token when none is given; default process.stdin. */
  stdin?: NodeJS.ReadStream;
}

/** The process's own stdout, stderr, stdin and fetch. */
export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  fetch: (...args) => fetch(...args),
  errIsTty: process.stderr.isTTY === true,
  stdin: process.stdin,
};

/** Exit codes of every admin command (documented in `edgefleet help`). */
export const EXIT = {
  ok: 0,
  /** The server refused the request (400, 413, 422, 429 …). */
  refused: 1,
  /** Bad flags or arguments, or a local file that cannot be used. */
  usage: 2,
  /** The server cannot be reached, or no / a wrong admin token (401, 403). */
  unreachable: 3,
  /** The named thing does not exist (404). */
  notFound: 4,
  /** It exists already or its state forbids the change (409). */
  conflict: 5,
  /** The server failed (5xx) or answered something that is not our API. */
  serverError: 6,
} as const;

/** The exit codes as `edgefleet help` shows them. */
export const EXIT_CODES_HELP = `Exit codes:
  0  ok
  1  the server refused the request (invalid input, too large, unprocessable: 400, 413, 422, 429)
  2  usage error: bad flags or arguments, or a local file that cannot be read or used
  3  cannot reach the server, or no / a wrong admin token (401, 403)
  4  not found (404)
  5  conflict: exists already, or its state forbids the change (409)
  6  the server failed (5xx) or answered something that is not the EdgeFleet API
`;

/** An expected failure: one line for stderr and the exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    /** Extra lines (e.g. the server's error details), printed indented under the message. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad flags, arguments or local input: exit code 2. */
export class UsageError extends CliError {
  constructor(
    message: string,
    /** Printed after the message (a command's usage text). */
    readonly usage?: string,
  ) {
    super(message, EXIT.usage);
    this.name = 'UsageError';
  }
}

/**
 * Runs one command and maps what it throws to an exit code and a one-line message prefixed with `name`
 * (e.g. `edgefleet device show`). Unexpected errors print their message, and their stack only with
 * EDGEFLEET_DEBUG=1.
 */
export async function runCommand(
  name: string,
  io: CliIo,
  env: Readonly<Record<string, string | undefined>>,
  command: () => Promise<void>,
): Promise<number> {
  try {
    await command();
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CliError) {
      io.err(`${name}: ${error.message}\n`);
      if (error.detail) io.err(`${error.detail.replace(/^/gm, '  ')}\n`);
      if (error instanceof UsageError && error.usage) io.err(`\n${error.usage}`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.err(`${name}: unexpected error: ${message}\n`);
    if (env.EDGEFLEET_DEBUG === '1' && error instanceof Error && error.stack) io.err(`${error.stack}\n`);
    return EXIT.serverError;
  }
}
