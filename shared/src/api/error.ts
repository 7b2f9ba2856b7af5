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

/** The body of every error answer: a machine code, a message for people and, where useful, details. */
export const errorBodySchema = z
  .object({
    error: z.string().meta({ example: 'invalid_input' }),
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
