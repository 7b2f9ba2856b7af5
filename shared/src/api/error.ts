import { z } from 'zod';

/** One field at fault in a request: where (`body`, `query`, `param`), which field, what was wrong. */
export const fieldIssueSchema = z
  .object({
    location: z.string().optional(),
    field: z.string(),
    message: z.string(),
    code: z.string().optional(),
  })
  .meta({
    id: 'FieldIssue',
    example: { location: 'body', field: 'version', message: 'expected a version', code: 'invalid_format' },
  });
/** One field at fault in a request. */
export type FieldIssue = z.infer<typeof fieldIssueSchema>;

/**
 * What points at the fault: the fields at fault (validation), or an object naming the field and anything else
 * useful (`maxBytes`, `retryAfterS`, `rolloutId`, …).
 */
const detailValueSchema = z.union([
  z.string(),
  z.number(),
  z.boolean(),
  z.null(),
  z.array(z.union([z.string(), z.number()])),
]);
export const errorDetailsSchema = z
  .union([z.array(fieldIssueSchema), z.object({ field: z.string().optional() }).catchall(detailValueSchema)])
  .meta({ id: 'ErrorDetails', example: { field: 'body', maxBytes: 1048576 } });
/** What points at the fault. */
export type ErrorDetails = z.infer<typeof errorDetailsSchema>;

/** Every machine code an error answer carries, with its status and meaning. */
export const ERROR_CODES = {
  invalid_input: '400: a field is missing, malformed or out of range; `details` names each',
  unauthorized: '401: no credentials, or credentials that match nothing',
  forbidden: '403: valid credentials that may not do this',
  not_found: '404: the named thing does not exist',
  conflict: '409: exists already, or its state forbids the change',
  payload_too_large: '413: the body is over the limit (`details.maxBytes`)',
  unsupported_media_type: '415: a JSON route without Content-Type: application/json',
  range_not_satisfiable: '416: a Range that does not overlap the artifact',
  unprocessable_content: '422: well-formed content that cannot be used (e.g. not a loadable ONNX model)',
  rate_limited: '429: the token bucket is empty; see Retry-After',
  baseline_timeout:
    '422: a model job (baseline from a reference set, golden check) ran past --baseline-timeout-ms and was stopped',
  baseline_out_of_memory: '422: a model job needed more than --baseline-memory-mb and was stopped',
  baseline_busy: '503: --baseline-concurrency model jobs are running; retry after `details.retryAfterS`',
  storage_full:
    "503: the server's storage has no space left (SQLITE_FULL, ENOSPC, EDQUOT); nothing was stored, retry after Retry-After",
  storage_failed: "503: the server's storage failed otherwise (read-only, I/O error); nothing was stored",
  too_many_streams: '503: every `/api/v1/events` stream slot is taken; retry later',
  export_too_large:
    '413: a dataset export over --max-export-bytes (`details.sizeBytes`, `details.maxBytes`); nothing was sent',
  dataset_incomplete:
    '409: samples of the dataset are missing or damaged in the sample store (`details.missing`); nothing was sent',
  internal: '500: an unexpected server failure (logged with the request)',
} as const;
/** A machine code of an error answer. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** The body of every error answer: a machine code, a message for people and, where useful, details. */
export const errorBodySchema = z
  .object({
    error: z.string().meta({
      example: 'invalid_input',
      description: `machine code: ${Object.entries(ERROR_CODES)
        .map(([code, meaning]) => `\`${code}\` (${meaning})`)
        .join('; ')}`,
    }),
    message: z.string().meta({ example: 'body.version: expected a semver version' }),
    details: errorDetailsSchema.optional(),
  })
  .meta({
    id: 'Error',
    example: { error: 'not_found', message: 'no device st-9', details: { field: 'id' } },
  });
/** The body of every error answer. */
export type ErrorBody = z.infer<typeof errorBodySchema>;

export { fieldIssuesOf, parseErrorBody } from './error-body';
