import * as core from 'zod/v4/core';
import { fail, ok, type ParseError, type Result } from '../result';
import { z } from '../zod';
import { DEFAULT_MAX_MESSAGE_BYTES } from './limits';

/** Options of {@link parseMessage} and {@link serializeMessage}. */
export interface MessageOptions {
  /** Largest payload accepted, in UTF-8 bytes; defaults to {@link DEFAULT_MAX_MESSAGE_BYTES}. */
  maxBytes?: number;
}

const MAX_MESSAGE_CHARS = 300;
const decoder = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

const truncate = (text: string): string =>
  text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;

/** UTF-8 length of a string without encoding it (lone surrogates count as U+FFFD, 3 bytes). */
const utf8Length = (text: string): number => {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
};

/** Formats a zod issue path as `models.active.manifest.sha256` or `errors.0.step` (as sketches/ and profile/ do). */
export const formatPath = (path: readonly PropertyKey[]): string => truncate(path.map(String).join('.'));

/** The first zod issue as a ParseError of kind `invalid`, its path naming the field at fault. */
export const toParseError = (error: core.$ZodError): ParseError => {
  const [first] = error.issues;
  if (first === undefined) return { kind: 'invalid', message: 'invalid value' };
  const path = formatPath(first.path);
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more issues)` : '';
  const where = path === '' ? '' : `${path}: `;
  return { kind: 'invalid', message: truncate(`${where}${first.message}${more}`), path };
};

/** The protocol version a schema pins with a literal `v` field, if it has one. */
const declaredVersion = (schema: core.$ZodType): unknown => {
  if (schema instanceof core.$ZodObject) {
    const v = schema._zod.def.shape.v;
    const values = v instanceof core.$ZodLiteral ? v._zod.def.values : [];
    return values.length === 1 ? values[0] : undefined;
  }
  if (schema instanceof core.$ZodUnion) {
    const versions = new Set((schema._zod.def.options as core.$ZodType[]).map(declaredVersion));
    return versions.size === 1 ? [...versions][0] : undefined;
  }
  return undefined;
};

const checkSize = (payload: string | Uint8Array, maxBytes: number): Result<string> => {
  if (typeof payload === 'string') {
    // A UTF-16 code unit is at least one UTF-8 byte and at most three.
    if (payload.length > maxBytes || (payload.length * 3 > maxBytes && utf8Length(payload) > maxBytes)) {
      return fail({ kind: 'too_large', message: `payload exceeds ${maxBytes} bytes` });
    }
    return ok(payload);
  }
  if (!(payload instanceof Uint8Array))
    return fail({ kind: 'invalid_json', message: 'expected a string or bytes' });
  if (payload.byteLength > maxBytes) {
    return fail({
      kind: 'too_large',
      message: `payload of ${payload.byteLength} bytes exceeds ${maxBytes} bytes`,
    });
  }
  try {
    return ok(decoder.decode(payload));
  } catch {
    return fail({ kind: 'invalid_json', message: 'payload is not valid UTF-8' });
  }
};

/** A `__proto__` key is written literally or with `\\u` escapes; only then is the slower reviver needed. */
const mayHaveProtoKey = (text: string): boolean => text.includes('__proto__') || text.includes('\\u');

/** JSON.parse keeps `"__proto__"` as an own property; drop it so no later `Object.assign` can set a prototype. */
const dropProtoKeys = (key: string, value: unknown): unknown => (key === '__proto__' ? undefined : value);

/** Validates an already-parsed JSON value against a message schema: version first, then shape. */
export const validateMessage = <S extends core.$ZodType>(
  schema: S,
  json: unknown,
): Result<core.output<S>> => {
  const version = declaredVersion(schema);
  if (version !== undefined && typeof json === 'object' && json !== null && !Array.isArray(json)) {
    const v = (json as { v?: unknown }).v;
    if (typeof v === 'number' && v !== version) {
      return fail({
        kind: 'unsupported_version',
        message: truncate(`expected protocol version ${String(version)}, got ${v}`),
        path: 'v',
      });
    }
  }
  const parsed = z.safeParse(schema, json);
  return parsed.success ? ok(parsed.data) : fail(toParseError(parsed.error));
};

/**
 * Parses and validates a JSON payload (MQTT message or HTTP body) against `schema`; never throws.
 * Errors: `too_large` (over `maxBytes` UTF-8 bytes, checked before parsing), `invalid_json`,
 * `unsupported_version` (a `v` other than the schema's), `invalid` (with `path` naming the field).
 * @example const r = parseMessage(desiredStateSchema, payload, { maxBytes: MAX_DESIRED_BYTES });
 */
export const parseMessage = <S extends core.$ZodType>(
  schema: S,
  payload: string | Uint8Array,
  options: MessageOptions = {},
): Result<core.output<S>> => {
  try {
    const text = checkSize(payload, options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES);
    if (!text.ok) return text;
    let json: unknown;
    try {
      json = JSON.parse(text.value, mayHaveProtoKey(text.value) ? dropProtoKeys : undefined);
    } catch (error) {
      const reason = error instanceof Error ? error.message : 'unparseable';
      return fail({ kind: 'invalid_json', message: truncate(`payload is not JSON: ${reason}`) });
    }
    return validateMessage(schema, json);
  } catch (error) {
    // Last line of defence (e.g. stack exhaustion inside a validator): a hostile payload is never a crash.
    const reason = error instanceof Error ? error.message : String(error);
    return fail({ kind: 'invalid', message: truncate(`payload could not be validated: ${reason}`) });
  }
};

/**
 * Validates a message against `schema` and serialises it to the JSON string that goes on the wire, refusing
 * one larger than `maxBytes` (so an oversized report is caught by its sender, not dropped by the receiver).
 */
export const serializeMessage = <S extends core.$ZodType>(
  schema: S,
  message: core.input<S>,
  options: MessageOptions = {},
): Result<string> => {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const checked = z.safeParse(schema, message);
  if (!checked.success) return fail(toParseError(checked.error));
  const text = JSON.stringify(checked.data);
  const size = encoder.encode(text).byteLength;
  if (size > maxBytes)
    return fail({ kind: 'too_large', message: `message of ${size} bytes exceeds ${maxBytes} bytes` });
  return ok(text);
};
