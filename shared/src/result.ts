/** Why a payload or sketch could not be accepted. `path` names the field at fault. */
export interface ParseError {
  kind: 'too_large' | 'invalid_json' | 'invalid' | 'unsupported_version' | 'mismatch';
  message: string;
  path?: string;
}

/** A typed value or a clear error; parsers return this instead of throwing. */
export type Result<T, E = ParseError> = { ok: true; value: T } | { ok: false; error: E };

/** Wraps a value as a successful result. */
export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });

/** Wraps an error as a failed result. */
export const fail = <E = ParseError>(error: E): Result<never, E> => ({ ok: false, error });
