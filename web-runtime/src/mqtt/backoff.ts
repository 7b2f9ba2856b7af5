/** Reconnect policy: exponential backoff with jitter, so a fleet of tabs does not reconnect in lockstep. */
export interface BackoffPolicy {
  /** Delay before the first retry (default 1 s). */
  initialMs: number;
  /** Ceiling (default 30 s). */
  maxMs: number;
  /** Growth per failed attempt (default 2). */
  factor: number;
  /** Share of the delay that is random, 0…1 (default 0.5: the delay is 50…100 % of the exponential one). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, factor: 2, jitter: 0.5 };

/**
 * Delay before reconnect attempt `attempt` (0 for the first retry after a drop).
 * @example reconnectDelayMs(3, DEFAULT_BACKOFF, Math.random) // 4 000…8 000 ms
 */
export function reconnectDelayMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  const exponential = Math.min(policy.maxMs, policy.initialMs * policy.factor ** Math.max(0, attempt));
  const jitter = Math.min(1, Math.max(0, policy.jitter));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(exponential * (1 - jitter + jitter * r));
}
