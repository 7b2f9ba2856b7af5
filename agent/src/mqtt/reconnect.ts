/** Exponential backoff with jitter for reconnects. */
export interface ReconnectPolicy {
  /** First delay (ms). */
  baseMs: number;
  /** Cap (ms). */
  maxMs: number;
}

export const DEFAULT_RECONNECT: ReconnectPolicy = { baseMs: 500, maxMs: 60_000 };

/**
 * Delay before reconnect attempt `attempt` (0-based): "full jitter" over `[d/2, d]` with
 * `d = min(maxMs, baseMs · 2^attempt)`, so a fleet that lost its broker does not return in lockstep.
 */
export function reconnectDelayMs(
  policy: ReconnectPolicy,
  attempt: number,
  random: () => number = Math.random,
): number {
  const d = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(d / 2 + (random() * d) / 2);
}
