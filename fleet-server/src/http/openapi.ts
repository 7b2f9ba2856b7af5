import { z } from '@hono/zod-openapi';

/** Error body every route answers with on failure (documented once, referenced by routes). */
export const errorBodySchema = z
  .object({
    error: z.string().openapi({ example: 'invalid_input' }),
    message: z.string().openapi({ example: 'body.version: expected a semver version' }),
    details: z.unknown().optional(),
  })
  .openapi('Error');

const ERROR_DESCRIPTIONS = {
  400: 'Invalid input; `details` names each field at fault',
  401: 'Missing or unknown credentials',
  403: 'Credentials that may not do this',
  404: 'Not found',
  409: 'Conflict (exists already, immutable)',
  413: 'Body too large',
  416: 'Range not satisfiable',
  422: 'Content that cannot be used',
  429: 'Rate limited; see Retry-After',
} as const;

type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

/** OpenAPI response entries for the given error statuses. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]) {
  const entries = statuses.map((status) => [
    status,
    { description: ERROR_DESCRIPTIONS[status], content: { 'application/json': { schema: errorBodySchema } } },
  ]);
  return Object.fromEntries(entries) as Record<
    S,
    { description: string; content: { 'application/json': { schema: typeof errorBodySchema } } }
  >;
}

/** A JSON response entry. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } } as const;
}

type SecurityRequirement = Record<string, string[]>;

/** Security requirement objects by credential kind. */
export const SECURITY: Record<'admin' | 'device' | 'deviceOrAdmin' | 'app', SecurityRequirement[]> = {
  admin: [{ adminToken: [] }],
  device: [{ deviceToken: [] }],
  deviceOrAdmin: [{ deviceToken: [] }, { adminToken: [] }],
  app: [{ publishableKey: [] }],
};
