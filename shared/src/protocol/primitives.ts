import { z } from '../zod';

/**
 * Charset of every id that appears in a topic or a path (fleet, device, app, client, model name):
 * ASCII letters, digits, `.`, `_` and `-`, starting with a letter or digit, 1 to 128 characters.
 * It excludes the MQTT wildcards `+` and `#`, the level separator `/`, NUL, `$` and whitespace, and
 * is safe in URLs, file names and log lines as is.
 */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Longest id accepted by {@link idSchema}. */
export const MAX_ID_LENGTH = 128;

/** An id of a fleet, device, app, browser client or model name; see {@link ID_PATTERN}. */
export const idSchema = z
  .string()
  .check(
    z.maxLength(MAX_ID_LENGTH),
    z.regex(
      ID_PATTERN,
      'expected an id of [A-Za-z0-9._-], starting with a letter or digit, at most 128 chars',
    ),
  );

/** Whether a string is a valid id (see {@link ID_PATTERN}). */
export const isValidId = (id: string): boolean => id.length <= MAX_ID_LENGTH && ID_PATTERN.test(id);

/** A model version string such as `3.0.0` or `3.0.0-rc.1+build.5`: 1 to 64 chars of `[A-Za-z0-9._+-]`. */
export const modelVersionSchema = z
  .string()
  .check(
    z.maxLength(64),
    z.regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, 'expected a version of [A-Za-z0-9._+-], at most 64 chars'),
  );

/** A lowercase hex SHA-256 digest (64 chars). */
export const sha256HexSchema = z
  .string()
  .check(z.regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex chars (sha256)'));

/** A lowercase hex hash of 8 to 128 chars (e.g. a ProfileSpec hash). */
export const hashHexSchema = z
  .string()
  .check(z.regex(/^[0-9a-f]{8,128}$/, 'expected 8 to 128 lowercase hex chars'));

/** A point in time as integer milliseconds since the Unix epoch (UTC). */
export const timestampMsSchema = z.int().check(z.gte(0), z.lte(8_640_000_000_000_000));

/** A non-negative safe integer counter. */
export const countSchema = z.int().check(z.gte(0));

/** A short machine token such as a backend name (`wasm`, `webgpu`, `cpu`): `[a-z0-9_.-]`, 1 to 32 chars. */
export const tokenSchema = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9_.-]{0,31}$/, 'expected a token of [a-z0-9_.-], at most 32 chars'));

/** Bounded free text (messages, descriptions). */
export const textSchema = (maxLength: number) => z.string().check(z.maxLength(maxLength));

/** A base64url string without padding. */
export const base64UrlSchema = (length: number) =>
  z.string().check(z.regex(new RegExp(`^[A-Za-z0-9_-]{${length}}$`), `expected ${length} base64url chars`));

const isHttpUrlOrAbsolutePath = (value: string): boolean => {
  if (value.startsWith('/')) return !value.startsWith('//');
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
};

/** An `http(s)://` URL, or an absolute path (`/artifacts/…`) resolved against the fleet server. */
export const urlSchema = z
  .string()
  .check(
    z.maxLength(2048),
    z.refine(isHttpUrlOrAbsolutePath, 'expected an http(s) URL or an absolute path starting with /'),
  );

/** Label keys: `[A-Za-z0-9._/-]`, 1 to 63 chars, starting with a letter or digit. */
export const labelKeySchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/,
      'expected a label key of [A-Za-z0-9._/-], at most 63 chars',
    ),
  );

/** Device labels used by rollout selectors (`site=berlin`, `line=3`): at most 32 pairs. */
export const labelsSchema = z
  .record(labelKeySchema, z.string().check(z.maxLength(128)))
  .check(z.refine((labels) => Object.keys(labels).length <= 32, 'expected at most 32 labels'));

/** A model version by name and version, without its manifest. */
export const modelVersionIdSchema = z.object({ name: idSchema, version: modelVersionSchema });
/** A model version by name and version, without its manifest. */
export type ModelVersionId = z.infer<typeof modelVersionIdSchema>;
