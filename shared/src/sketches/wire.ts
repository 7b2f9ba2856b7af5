import { fail, ok, type ParseError, type Result } from '../result';
import { z } from '../zod';

/** A finite JSON number (zod 4 already refuses NaN and ±Infinity). */
export const finiteNumber = z.number();

/** A non-negative integer count that stays exact in a double. */
export const countNumber = z.int().check(z.nonnegative(), z.lte(Number.MAX_SAFE_INTEGER));

/** Keys that must never become object properties when we build objects from wire data. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** A label or kind used as a category key: bounded length, not a prototype key. */
export const categoryKey = z.string().check(
  z.minLength(1),
  z.maxLength(128),
  z.refine((k) => !FORBIDDEN_KEYS.has(k), { message: 'reserved key' }),
);

/** Replaces a non-finite number with a JSON-safe one (saturating ±Infinity, NaN → 0). */
export function jsonSafe(x: number): number {
  if (Number.isFinite(x)) return x;
  if (Number.isNaN(x)) return 0;
  return x > 0 ? Number.MAX_VALUE : -Number.MAX_VALUE;
}

/** Validates `json` with `schema`, mapping the first issue to a `ParseError` naming the field; never throws. */
export function parseWire<T>(schema: z.ZodMiniType<T>, json: unknown, what: string): Result<T> {
  try {
    if (typeof json === 'object' && json !== null && !Array.isArray(json)) {
      const v = (json as { v?: unknown }).v;
      if (typeof v === 'number' && v !== 1) {
        return fail({
          kind: 'unsupported_version',
          message: `${what}: version ${v} is not supported (expected 1)`,
          path: 'v',
        });
      }
    }
    const parsed = schema.safeParse(json);
    if (parsed.success) return ok(parsed.data);
    const issue = parsed.error.issues[0];
    const path = issue ? issue.path.map(String).join('.') : '';
    return fail({
      kind: 'invalid',
      message: `${what}: ${path || '(root)'}: ${issue?.message ?? 'invalid'}`,
      path,
    });
  } catch (e) {
    return fail({
      kind: 'invalid',
      message: `${what}: unreadable input (${(e as Error)?.message ?? 'error'})`,
    });
  }
}

/** Builds an `invalid` error for a semantic check that the schema cannot express. */
export function invalid(what: string, path: string, message: string): Result<never> {
  const error: ParseError = { kind: 'invalid', message: `${what}: ${path}: ${message}`, path };
  return fail(error);
}
