import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hostileCases } from './hostile-cases';
import { formatPath, parseMessage } from './parse';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Segment = string | number;

/** Every node below the root with its path, depth first. */
const nodesOf = (value: Json, path: Segment[] = []): { path: Segment[]; value: Json }[] => {
  const children: [Segment, Json][] = Array.isArray(value)
    ? value.map((v, i): [Segment, Json] => [i, v])
    : value !== null && typeof value === 'object'
      ? Object.entries(value)
      : [];
  return children.flatMap(([key, child]) => [
    { path: [...path, key], value: child },
    ...nodesOf(child, [...path, key]),
  ]);
};

const withNode = (
  root: Json,
  path: Segment[],
  replace: (parent: Json & object, key: Segment) => void,
): Json => {
  const copy = structuredClone(root);
  let parent = copy as Json & object;
  for (const key of path.slice(0, -1)) parent = (parent as Record<Segment, Json>)[key] as Json & object;
  replace(parent, path[path.length - 1]!);
  return copy;
};

const isUnder = (path: string, prefixes: string[] = []): boolean =>
  prefixes.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`));

/** Whether an error path names the mutated field, or a field inside it, or the object that holds it. */
const related = (path: string, errorPath: string | undefined): boolean =>
  errorPath !== undefined && errorPath !== '' && (isUnder(path, [errorPath]) || isUnder(errorPath, [path]));

describe.each(hostileCases)('hostile payloads: $name', (c) => {
  const parse = (payload: string | Uint8Array) => parseMessage(c.schema, payload, { maxBytes: c.maxBytes });
  const sample = c.sample() as Json;
  const nodes = nodesOf(sample).filter((n) => !isUnder(formatPath(n.path), c.opaque));

  it('accepts the sample as string and as bytes', () => {
    const text = JSON.stringify(sample);
    expect(parse(text)).toEqual({ ok: true, value: sample });
    expect(parse(new TextEncoder().encode(text))).toEqual({ ok: true, value: sample });
  });

  it('names the field when any value has the wrong type', () => {
    for (const node of nodes) {
      const bad = withNode(sample, node.path, (parent, key) => {
        (parent as Record<Segment, Json>)[key] = [{ wrong: true }];
      });
      const result = parse(JSON.stringify(bad));
      expect(result.ok, formatPath(node.path)).toBe(false);
      if (!result.ok) {
        expect(result.error.kind).toBe('invalid');
        expect(related(formatPath(node.path), result.error.path), formatPath(node.path)).toBe(true);
      }
    }
  });

  it('names the field when a required value is missing', () => {
    for (const node of nodes) {
      const path = formatPath(node.path);
      const bad = withNode(sample, node.path, (parent, key) => {
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete (parent as Record<Segment, Json>)[key];
      });
      const result = parse(JSON.stringify(bad));
      const inArray = typeof node.path[node.path.length - 1] === 'number';
      if (c.optional.includes(path) || isUnder(path, c.optional) || inArray) continue;
      expect(result.ok, path).toBe(false);
      if (!result.ok) expect(related(path, result.error.path), `${path} vs ${result.error.path}`).toBe(true);
    }
  });

  it('rejects numbers that are not finite JSON numbers (1e309, -1e309)', () => {
    for (const node of nodes.filter((n) => typeof n.value === 'number')) {
      for (const literal of ['1e309', '-1e309']) {
        const marked = withNode(sample, node.path, (parent, key) => {
          (parent as Record<Segment, Json>)[key] = '__NUMBER__';
        });
        const result = parse(JSON.stringify(marked).replace('"__NUMBER__"', literal));
        expect(result.ok, formatPath(node.path)).toBe(false);
      }
    }
  });

  it('rejects negative and fractional counters', () => {
    for (const node of nodes.filter((n) => Number.isInteger(n.value) && (n.value as number) > 0)) {
      const path = formatPath(node.path);
      if (/^(v|.*\.v)$/.test(path)) continue;
      for (const value of [-1, 0.5]) {
        // Signed or real-valued by nature; DDSketch `key0` and `bins` encode runs of empty bins as -k.
        if (value === -1 && /(mean|std|scale|metrics|params|shadowSampleRate|percent|key0|bins)/.test(path))
          continue;
        if (value === 0.5 && /(mean|std|scale|metrics|params|shadowSampleRate|percent|key0)/.test(path))
          continue;
        const bad = withNode(sample, node.path, (parent, key) => {
          (parent as Record<Segment, Json>)[key] = value;
        });
        expect(parse(JSON.stringify(bad)).ok, `${path}=${value}`).toBe(false);
      }
    }
  });

  it('rejects negative real-valued measurements', () => {
    for (const path of c.nonNegative ?? []) {
      const node = nodes.find((n) => formatPath(n.path) === path);
      expect(node, path).toBeDefined();
      for (const value of [-1, -1e-9]) {
        const bad = withNode(sample, node!.path, (parent, key) => {
          (parent as Record<Segment, Json>)[key] = value;
        });
        const result = parse(JSON.stringify(bad));
        expect(result.ok, `${path}=${value}`).toBe(false);
        if (!result.ok) expect(result.error.path, path).toBe(path);
      }
    }
  });

  it('refuses payloads over the limit before parsing (10 MB string and bytes)', () => {
    const huge = JSON.stringify({ ...(sample as object), pad: 'x'.repeat(10_000_000) });
    expect(parse(huge)).toMatchObject({ ok: false, error: { kind: 'too_large' } });
    expect(parse(new TextEncoder().encode(huge))).toMatchObject({ ok: false, error: { kind: 'too_large' } });
    const multiByte = `"${'€'.repeat(Math.ceil(c.maxBytes / 3) + 1)}"`;
    expect(parse(multiByte)).toMatchObject({ ok: false, error: { kind: 'too_large' } });
  });

  it('rejects what is not JSON, or not UTF-8', () => {
    for (const text of ['', '{', '{"v":1,}', 'undefined', "{'v':1}", 'NaN', '\u0000']) {
      expect(parse(text)).toMatchObject({ ok: false, error: { kind: 'invalid_json' } });
    }
    expect(parse(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]))).toMatchObject({
      ok: false,
      error: { kind: 'invalid_json' },
    });
    for (const text of ['null', '[]', '42', '"text"', 'true', '{}']) {
      expect(parse(text)).toMatchObject({ ok: false, error: { kind: 'invalid' } });
    }
  });

  it('survives deep nesting', () => {
    const depth = Math.floor(c.maxBytes / 2) - 8;
    expect(parse(`${'['.repeat(depth)}${']'.repeat(depth)}`).ok).toBe(false);
    const deepField = `{"v":1,"x":${'{"a":'.repeat(depth / 4)}1${'}'.repeat(depth / 4)}}`;
    expect(parse(deepField).ok).toBe(false);
  });

  it('does not let __proto__ or constructor keys pollute anything', () => {
    const text = JSON.stringify(sample).replace(
      /^\{/,
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},',
    );
    const result = parse(text);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (result.ok) {
      expect(Object.getPrototypeOf(result.value)).toBe(Object.prototype);
      expect((result.value as Record<string, unknown>).polluted).toBeUndefined();
    }
    const nested = JSON.stringify(sample).replace(/\{"/g, '{"__proto__":{"admin":true},"');
    const nestedResult = parse(nested);
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
    if (nestedResult.ok) expect(JSON.stringify(nestedResult.value)).not.toContain('admin');
  });

  if (c.versioned) {
    it('answers another protocol version with unsupported_version', () => {
      for (const v of [0, 2, 99]) {
        const result = parse(JSON.stringify({ ...(sample as object), v }));
        expect(result).toMatchObject({ ok: false, error: { kind: 'unsupported_version', path: 'v' } });
      }
      expect(parse(JSON.stringify({ ...(sample as object), v: '1' }))).toMatchObject({
        ok: false,
        error: { kind: 'invalid', path: 'v' },
      });
    });
  }

  it('never throws on arbitrary or mutated input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.string()), (value) => {
        const result = parse(typeof value === 'string' ? value : JSON.stringify(value));
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.constantFrom(...nodes), fc.jsonValue(), (node, value) => {
        const mutated = withNode(sample, node.path, (parent, key) => {
          (parent as Record<Segment, Json>)[key] = value as Json;
        });
        const result = parse(JSON.stringify(mutated));
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });
});
