import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorBodySchema, parseErrorBody } from './error';
import type { ApiRoute } from './route';
import { API_ROUTES, routeKeyOf } from './routes';

/** Every schema the routes reach: request parts and success bodies. */
function routeSchemas(): z.ZodType[] {
  return API_ROUTES.flatMap((route) => [
    ...(['params', 'query', 'body'] as const).flatMap((part) => {
      const schema = (route as { [k: string]: unknown })[part];
      return schema instanceof z.ZodType ? [schema] : [];
    }),
    ...Object.values(route.responses).filter((s): s is z.ZodType => s instanceof z.ZodType),
  ]);
}

/** Schemas with an OpenAPI id, as zod's global registry holds them. */
function namedSchemas(): [string, z.ZodType][] {
  const idmap = (z.globalRegistry as unknown as { _idmap: Map<string, z.ZodType> })._idmap;
  return [...idmap.entries()];
}

describe('the API contract', () => {
  it('names each route once by method and path', () => {
    const keys = API_ROUTES.map(routeKeyOf);
    expect(new Set(keys).size).toBe(keys.length);
    for (const route of API_ROUTES) expect(route.path).toMatch(/^\/[a-z0-9/{}._-]*$/i);
  });

  it('gives every JSON request body and response body an id and an example', () => {
    const missing: string[] = [];
    for (const route of API_ROUTES as readonly ApiRoute[]) {
      const bodies = [
        ...(route.rawResponse ? [] : Object.values(route.responses)),
        ...(route.body ? [route.body] : []),
      ].filter((s): s is z.ZodType => s instanceof z.ZodType);
      for (const schema of bodies) {
        const meta = z.globalRegistry.get(schema);
        if (!meta?.id || meta.example === undefined) missing.push(`${routeKeyOf(route)}: ${meta?.id ?? '?'}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('has examples that its own schemas accept', () => {
    const named = namedSchemas();
    expect(named.length).toBeGreaterThan(40);
    const failures: string[] = [];
    for (const [id, schema] of named) {
      const example = z.globalRegistry.get(schema)?.example;
      if (example === undefined) continue;
      const parsed = schema.safeParse(example);
      if (!parsed.success)
        failures.push(`${id}: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.message}`);
    }
    expect(failures).toEqual([]);
  });

  it('uses no unknown where a route answers JSON', () => {
    const found: string[] = [];
    const visit = (schema: z.ZodType, path: string, seen: Set<z.ZodType>): void => {
      if (seen.has(schema)) return;
      seen.add(schema);
      const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod
        .def;
      // A value a reader checks itself (e.g. a moments tuple) may be unknown to zod if its metadata names the type.
      const documented = z.globalRegistry.get(schema)?.type !== undefined;
      if ((def.type === 'unknown' || def.type === 'any') && !documented) found.push(path);
      for (const [key, value] of Object.entries(def)) {
        const children: [string, unknown][] =
          value instanceof z.ZodType
            ? [[key, value]]
            : Array.isArray(value)
              ? value.map((v, i) => [`${key}[${i}]`, v])
              : key === 'shape' && value && typeof value === 'object'
                ? Object.entries(value)
                : [];
        for (const [name, child] of children) {
          if (child instanceof z.ZodType) visit(child, `${path}.${name}`, seen);
        }
      }
    };
    for (const route of API_ROUTES) {
      for (const [status, schema] of Object.entries(route.responses)) {
        if (schema instanceof z.ZodType) visit(schema, `${routeKeyOf(route)} ${status}`, new Set());
      }
    }
    expect(found).toEqual([]);
    expect(routeSchemas().length).toBeGreaterThan(API_ROUTES.length);
  });
});

describe('parseErrorBody', () => {
  it('reads every body the error schema accepts as it is, and nothing without a string error and message', () => {
    const body = fc.record(
      {
        error: fc.oneof(fc.string(), fc.integer()),
        message: fc.oneof(fc.string(), fc.constant(null)),
        details: fc.oneof(
          fc.constant(undefined),
          fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string(), fc.integer(), fc.boolean())),
          fc.array(fc.record({ field: fc.string(), message: fc.string() })),
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(body, fc.jsonValue()), (value) => {
        const parsed = parseErrorBody(value);
        const checked = errorBodySchema.safeParse(value);
        if (checked.success) expect(parsed).toEqual(checked.data);
        if (parsed === null) expect(checked.success).toBe(false);
        const shaped = typeof value === 'object' && value !== null && !Array.isArray(value);
        const strings = shaped && typeof value.error === 'string' && typeof value.message === 'string';
        expect(parsed !== null).toBe(strings);
      }),
    );
  });

  it('keeps a field list and drops details that are neither object nor array', () => {
    const details = [{ field: 'version', message: 'expected a version' }];
    expect(parseErrorBody({ error: 'invalid_input', message: 'm', details })).toEqual({
      error: 'invalid_input',
      message: 'm',
      details,
    });
    expect(parseErrorBody({ error: 'x', message: 'm', details: 'text' })).toEqual({
      error: 'x',
      message: 'm',
    });
    expect(parseErrorBody('<html>502</html>')).toBeNull();
  });
});
