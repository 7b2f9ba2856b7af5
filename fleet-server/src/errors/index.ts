/** Details that point at what was wrong: the field at fault and anything else useful to the caller. */
export type ErrorDetails = Record<string, unknown> | readonly Record<string, unknown>[];

/** Base of every error the server answers with; `status` and `code` are mapped to HTTP once, in http/errors. */
export abstract class FleetError extends Error {
  abstract readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 416 | 422 | 429 | 503 | 507;
  abstract readonly code: string;
  constructor(
    message: string,
    readonly details?: ErrorDetails,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A request field is missing, malformed or out of range. */
export class InvalidInput extends FleetError {
  readonly status = 400;
  readonly code = 'invalid_input';
}

/** No credentials, or credentials that match nothing. */
export class Unauthorized extends FleetError {
  readonly status = 401;
  readonly code = 'unauthorized';
}

/** Valid credentials that may not do this. */
export class Forbidden extends FleetError {
  readonly status = 403;
  readonly code = 'forbidden';
}

/** The named thing does not exist. */
export class NotFound extends FleetError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** The thing exists already or is in a state that forbids the change (e.g. an immutable version). */
export class Conflict extends FleetError {
  readonly status = 409;
  readonly code = 'conflict';
}

/** The body is larger than the configured limit. */
export class PayloadTooLarge extends FleetError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

/** A `Range` header that does not overlap the artifact. */
export class RangeNotSatisfiable extends FleetError {
  readonly status = 416;
  readonly code = 'range_not_satisfiable';
}

/** Well-formed input whose content cannot be used (e.g. bytes that are not a loadable ONNX model). */
export class UnprocessableContent extends FleetError {
  readonly status = 422;
  readonly code = 'unprocessable_content';
}

/** Absolute file paths (onnxruntime names the file it loaded): server internals, never shown to a caller. */
const ABSOLUTE_PATH = /(?:\b[A-Za-z]:)?(?:[\\/][\w.@+-]+){2,}[\\/]?/g;

/** A third-party error's message as a caller may see it: the server's file paths replaced by `<file>`. */
export function publicReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(ABSOLUTE_PATH, '<file>');
}

/** The caller's token bucket is empty; `retryAfterS` says when to try again. */
export class RateLimited extends FleetError {
  readonly status = 429;
  readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message, { retryAfterS });
  }
}

/** The server's own storage refused a write (disk full, quota, read-only, I/O error); retry once it has room. */
export class StorageUnavailable extends FleetError {
  readonly status = 503;
  readonly code: 'storage_full' | 'storage_failed';
  constructor(
    message: string,
    readonly kind: 'full' | 'readonly' | 'io',
    readonly retryAfterS = 30,
  ) {
    super(message, { field: 'storage', kind, retryAfterS });
    this.code = kind === 'full' ? 'storage_full' : 'storage_failed';
  }
}

/** A model job (baseline, golden check) went past its time or memory budget and was stopped. */
export class BudgetExceeded extends FleetError {
  readonly status = 422;
  constructor(
    readonly code: 'baseline_timeout' | 'baseline_out_of_memory',
    message: string,
    details: ErrorDetails,
  ) {
    super(message, details);
  }
}

/** Every slot for model jobs is taken; `retryAfterS` says when to try again. */
export class Busy extends FleetError {
  readonly status = 503;
  readonly code = 'baseline_busy';
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message, { retryAfterS });
  }
}

/** A FleetError raised on another thread (a model job), as it came back: its status, code and details. */
export class RemoteFleetError extends FleetError {
  constructor(
    readonly status: FleetError['status'],
    readonly code: string,
    message: string,
    details?: ErrorDetails,
  ) {
    super(message, details);
  }
}

/** A body whose content type this route does not take (e.g. a sample that is no image the server decodes). */
export class UnsupportedMediaType extends FleetError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

/** A day budget or cap ran out (e.g. a client's capture budget); `retryAfterS` says when the next day starts. */
export class BudgetExhausted extends FleetError {
  readonly status = 429;
  constructor(
    readonly code: 'capture_budget_exhausted',
    message: string,
    readonly retryAfterS: number,
    details: Record<string, unknown>,
  ) {
    super(message, { ...details, retryAfterS });
  }
}

/** The sample store's quota (`--sample-store-bytes`) is used up: 507 until retention or GC frees room. */
export class SampleStoreFull extends FleetError {
  readonly status = 507;
  readonly code = 'sample_store_full';
}

/** No capture policy reaches this client and model: captures are opt-in per target. */
export class CaptureDisabled extends FleetError {
  readonly status = 403;
  readonly code = 'capture_disabled';
}

/** A dataset export larger than `--max-export-bytes`: refused before a byte is sent. */
export class ExportTooLarge extends FleetError {
  readonly status = 413;
  readonly code = 'export_too_large';
}

/** A dataset whose stored samples are gone or damaged: its export would be incomplete, so none is sent. */
export class DatasetIncomplete extends FleetError {
  readonly status = 409;
  readonly code = 'dataset_incomplete';
}
