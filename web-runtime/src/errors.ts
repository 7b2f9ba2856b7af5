import type { LabelRefusalKind } from '@edgefleet/shared';

/**
 * What went wrong, as a stable machine-readable kind (also the telemetry error counter name). `rt.feedback`
 * refuses with the agent's kinds ({@link LabelRefusalKind}): `unknown_prediction` (404 there),
 * `duplicate_label` (409), `label_expired` (410), `invalid_label` (422), `window_full` (429).
 */
export type RuntimeErrorKind =
  | LabelRefusalKind
  | 'no_model'
  | 'network'
  | 'unauthorized'
  | 'integrity'
  | 'signature_invalid'
  /** The version's golden pair was not reproduced (or is missing under policy `required`): never served. */
  | 'golden_mismatch'
  | 'storage'
  | 'backend_failed'
  | 'input_invalid'
  | 'inference_failed'
  | 'closed';

/**
 * The one error class of the runtime; `kind` says what failed, `message` what was expected and what came.
 * @example try { await rt.infer(x) } catch (e) { if (e instanceof RuntimeError && e.kind === 'input_invalid') … }
 */
export class RuntimeError extends Error {
  override readonly name = 'RuntimeError';
  constructor(
    readonly kind: RuntimeErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The error's kind if it is a RuntimeError, else `fallback`. */
export const kindOf = (error: unknown, fallback: RuntimeErrorKind): RuntimeErrorKind =>
  error instanceof RuntimeError ? error.kind : fallback;

/** A readable message from anything thrown. */
export const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
