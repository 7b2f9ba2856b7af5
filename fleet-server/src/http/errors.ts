import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { z } from 'zod';
import {
  BudgetExhausted,
  Busy,
  type ErrorDetails,
  FleetError,
  InvalidInput,
  RateLimited,
  StorageUnavailable,
} from '../errors';
import type { Logger } from '../logging';

/** The body of every error answer. */
export interface ErrorBody {
  error: string;
  message: string;
  details?: ErrorDetails;
}

type Issue = z.ZodError['issues'][number];

/**
 * A union that no option matched names the option the input came closest to: the one whose first issue
 * is deepest (`baseline.profile.inputs` rather than "expected fromReference"), its paths prefixed.
 */
function closestUnionIssues(issue: Issue): Issue[] {
  const branches = (issue as { errors?: Issue[][] }).errors;
  if (issue.code !== 'invalid_union' || !branches || branches.length === 0) return [issue];
  const depth = (issues: Issue[]) => Math.max(...issues.map((i) => i.path.length));
  const best = branches.reduce((a, b) => (depth(b) > depth(a) ? b : a));
  return best.flatMap((inner) =>
    closestUnionIssues({ ...inner, path: [...issue.path, ...inner.path] } as Issue),
  );
}

/** Turns a zod failure on one request part into an InvalidInput naming each field at fault. */
export function invalidInputFrom(target: string, error: z.ZodError): InvalidInput {
  const location = target === 'json' ? 'body' : target;
  const details = error.issues.flatMap(closestUnionIssues).map((issue) => ({
    location,
    field: issue.path.map(String).join('.') || location,
    message: issue.message,
    code: issue.code,
  }));
  const first = details[0];
  const message = first ? `${location}.${first.field}: ${first.message}` : `invalid ${location}`;
  return new InvalidInput(message.replace(`${location}.${location}:`, `${location}:`), details);
}

/** Maps every thrown error to its JSON answer, once for the whole app. */
export function errorResponse(err: unknown, c: Context, logger: Logger): Response {
  if (err instanceof FleetError) {
    const body: ErrorBody = { error: err.code, message: err.message };
    if (err.details !== undefined) body.details = err.details;
    const headers: Record<string, string> = {};
    if (
      err instanceof RateLimited ||
      err instanceof StorageUnavailable ||
      err instanceof Busy ||
      err instanceof BudgetExhausted
    )
      headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterS)));
    if (err.status === 401) headers['www-authenticate'] = 'Bearer realm="edgefleet"';
    return c.json(body, err.status, headers);
  }
  if (err instanceof HTTPException) {
    // Raised inside hono and @hono/zod-openapi: malformed JSON (400) and an undeclared Content-Type (415).
    if (err.status === 415) {
      const got = c.req.header('content-type') ?? 'none';
      return c.json(
        {
          error: 'unsupported_media_type',
          message: `expected Content-Type: application/json, got ${got}`,
          details: { field: 'content-type' },
        },
        415,
      );
    }
    const code = err.status === 400 ? 'invalid_input' : 'http_error';
    const details = err.message.includes('JSON') ? { details: { field: 'body' } } : {};
    return c.json({ error: code, message: err.message, ...details }, err.status);
  }
  logger.error({ err, method: c.req.method, path: c.req.path }, 'unhandled error');
  return c.json({ error: 'internal', message: 'internal server error' }, 500);
}
