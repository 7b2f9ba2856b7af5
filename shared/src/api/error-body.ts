import type { ErrorBody, ErrorDetails, FieldIssue } from './error';

// The error body's reader without zod: browser clients that import it carry no schema.

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Reads an error answer's JSON: `null` unless it has a string `error` and `message`. `details` is kept when it is
 * an object or an array, dropped otherwise.
 */
export function parseErrorBody(value: unknown): ErrorBody | null {
  if (!isRecord(value) || typeof value.error !== 'string' || typeof value.message !== 'string') return null;
  const body: ErrorBody = { error: value.error, message: value.message };
  if (isRecord(value.details) || Array.isArray(value.details)) body.details = value.details as ErrorDetails;
  return body;
}

/** The fields at fault that `details` names (validation errors); empty when none. */
export function fieldIssuesOf(details: ErrorDetails | undefined): FieldIssue[] {
  const items: unknown[] = Array.isArray(details) ? details : details ? [details] : [];
  return items.filter(
    (d): d is FieldIssue => isRecord(d) && typeof d.field === 'string' && typeof d.message === 'string',
  );
}
