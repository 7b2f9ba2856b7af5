// Waiting on what processes report, with failure messages that say what was last seen and what they printed.

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `read` every 200 ms until `check` holds and returns that value. On timeout the error names `what`,
 * the last value read and `context()` (e.g. the output tails of the processes involved).
 */
export async function until<T>(
  what: string,
  read: () => Promise<T> | T,
  check: (value: T) => boolean,
  options: { timeoutMs?: number; context?: () => string } = {},
): Promise<T> {
  const end = Date.now() + (options.timeoutMs ?? 30_000);
  let last: T | undefined;
  let error: unknown;
  for (;;) {
    try {
      last = await read();
      error = undefined;
      if (check(last)) return last;
    } catch (err) {
      error = err;
    }
    if (Date.now() > end) {
      const seen = error
        ? `error ${(error as Error).message}`
        : `last ${JSON.stringify(last)?.slice(0, 2000)}`;
      throw new Error(`timed out waiting for ${what}; ${seen}\n${options.context?.() ?? ''}`);
    }
    await sleep(200);
  }
}
