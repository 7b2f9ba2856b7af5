/** Deepest nesting {@link canonicalJson} accepts; deeper values (or cycles) are refused. */
export const MAX_CANONICAL_DEPTH = 256;

/** Thrown by {@link canonicalJson} for a value that is not plain JSON data; `path` names where. */
export class CanonicalJsonError extends TypeError {
  override readonly name = 'CanonicalJsonError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(path === '' ? message : `${path}: ${message}`);
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const isPlainObject = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

const join = (path: string, key: string | number): string => (path === '' ? String(key) : `${path}.${key}`);

const serialize = (value: unknown, path: string, depth: number): string => {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value))
        throw new CanonicalJsonError(`expected a finite number, got ${value}`, path);
      // ECMAScript's Number-to-string is the number format RFC 8785 prescribes; -0 becomes 0.
      return JSON.stringify(value);
    case 'string':
      if (LONE_SURROGATE.test(value))
        throw new CanonicalJsonError('expected well-formed UTF-16 (lone surrogate)', path);
      return JSON.stringify(value);
    case 'object':
      break;
    default:
      throw new CanonicalJsonError(`expected JSON data, got ${typeof value}`, path);
  }
  if (depth >= MAX_CANONICAL_DEPTH)
    throw new CanonicalJsonError(`nesting deeper than ${MAX_CANONICAL_DEPTH}`, path);
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (let i = 0; i < value.length; i++) items.push(serialize(value[i], join(path, i), depth + 1));
    return `[${items.join(',')}]`;
  }
  if (!isPlainObject(value)) throw new CanonicalJsonError('expected a plain object', path);
  // Default sort compares UTF-16 code units, as RFC 8785 requires.
  const keys = Object.keys(value).sort();
  const members: string[] = [];
  for (const key of keys) {
    const member = (value as Record<string, unknown>)[key];
    const memberPath = join(path, key);
    if (LONE_SURROGATE.test(key)) throw new CanonicalJsonError('expected a well-formed key', memberPath);
    members.push(`${JSON.stringify(key)}:${serialize(member, memberPath, depth + 1)}`);
  }
  return `{${members.join(',')}}`;
};

/**
 * Canonical JSON of plain data in the manner of RFC 8785 (JCS): object keys sorted by UTF-16 code units,
 * no whitespace, ECMAScript number and string serialisation. Throws {@link CanonicalJsonError} for what
 * JSON cannot carry exactly: `undefined`, non-finite numbers, functions, bigints, symbols, class
 * instances (Date, Map), lone surrogates, cycles or nesting beyond {@link MAX_CANONICAL_DEPTH}.
 * @example canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export const canonicalJson = (value: unknown): string => serialize(value, '', 0);
