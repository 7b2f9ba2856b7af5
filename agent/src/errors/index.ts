import type { DeployStep } from '@edgefleet/shared';

/** Kinds of agent errors; each maps once to an HTTP status and an error counter. */
export type AgentErrorKind =
  | 'invalid_input'
  | 'too_large'
  | 'unsupported_media'
  | 'not_ready'
  | 'busy'
  | 'timeout'
  | 'unknown_prediction'
  | 'duplicate_label'
  | 'label_expired'
  | 'invalid_label'
  | 'window_full'
  /** The inference process died (crash, kill, hang) during the run; it is started again for the next. */
  | 'runtime_crashed'
  | 'internal';

type AgentErrorStatus = 400 | 404 | 409 | 410 | 413 | 415 | 422 | 429 | 503 | 504 | 500;

const STATUS: Record<AgentErrorKind, AgentErrorStatus> = {
  invalid_input: 400,
  too_large: 413,
  unsupported_media: 415,
  not_ready: 503,
  busy: 503,
  timeout: 504,
  unknown_prediction: 404,
  duplicate_label: 409,
  label_expired: 410,
  invalid_label: 422,
  window_full: 429,
  runtime_crashed: 503,
  internal: 500,
};

/** An error with a kind; the message says what was expected and what came. */
export class AgentError extends Error {
  constructor(
    readonly kind: AgentErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }

  /** HTTP status for this error. */
  get status(): AgentErrorStatus {
    return STATUS[this.kind];
  }
}

/** A failed step of deploying a model version: never served, reported with its step. */
export class DeployFailure extends Error {
  constructor(
    readonly step: DeployStep,
    message: string,
  ) {
    super(message);
    this.name = 'DeployFailure';
  }
}

/** Runs `fn`, turning any thrown error into a {@link DeployFailure} of `step` (kept if already one). */
export async function atStep<T>(step: DeployStep, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DeployFailure) throw err;
    throw new DeployFailure(step, err instanceof Error ? err.message : String(err));
  }
}
