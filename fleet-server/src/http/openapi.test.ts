import { API_ROUTES, routeKeyOf } from '@edgefleet/shared/api';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../testing/harness';

/** Routes outside the API: the document itself, its HTML page and the dashboard's files. */
const NOT_API = new Set(['GET /openapi.json', 'GET /docs', 'GET /', 'GET /*', 'HEAD /', 'HEAD /*']);

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, OperationLike>>;
  components: { schemas: Record<string, object> };
}
interface OperationLike {
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

let t: TestServer;
let doc: OpenApiDoc;

beforeAll(async () => {
  t = await startTestServer();
  const res = await fetch(`${t.url}/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as OpenApiDoc;
});
afterAll(() => t.dispose());

/** `METHOD /api/v1/devices/{id}` of every route hono would answer, middleware left out. */
function registeredRoutes(): string[] {
  const keys = t.server.app.routes
    .filter((route) => route.method !== 'ALL')
    .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`);
  return [...new Set(keys)];
}

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const result = await new Validator().validate(doc as unknown as Parameters<Validator['validate']>[0]);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('documents every route the server registered, and no route it did not', () => {
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, item]) =>
        Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
      ),
    );
    const registered = registeredRoutes().filter((key) => !NOT_API.has(key));
    expect(registered.length).toBeGreaterThan(40);
    expect(registered.filter((key) => !documented.has(key))).toEqual([]);
    expect([...documented].filter((key) => !registered.includes(key))).toEqual([]);
  });

  it('serves every route of the shared contract (the broker hooks only where they are mounted)', () => {
    const registered = new Set(registeredRoutes());
    const missing = API_ROUTES.map(routeKeyOf).filter((key) => !registered.has(key));
    expect(missing.sort()).toEqual(
      ['POST /api/v1/broker/auth', 'POST /api/v1/broker/acl', 'POST /api/v1/broker/superuser'].sort(),
    );
  });

  it('documents the broker hooks where they are mounted (a hook secret mounts them with the embedded broker)', async () => {
    const hooked = await startTestServer({ brokerHookSecret: 's'.repeat(32) });
    try {
      const hookedDoc = (await (await fetch(`${hooked.url}/openapi.json`)).json()) as OpenApiDoc;
      expect(
        (await new Validator().validate(hookedDoc as unknown as Parameters<Validator['validate']>[0])).valid,
      ).toBe(true);
      const documented = new Set(
        Object.entries(hookedDoc.paths).flatMap(([path, item]) =>
          Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
        ),
      );
      const registered = hooked.server.app.routes
        .filter((route) => route.method !== 'ALL')
        .map((route) => `${route.method} ${route.path.replace(/:(\w+)/g, '{$1}')}`)
        .filter((key) => !NOT_API.has(key));
      expect(registered.filter((key) => !documented.has(key))).toEqual([]);
      expect(registered).toContain('POST /api/v1/broker/acl');
    } finally {
      await hooked.dispose();
    }
  });

  it('names a schema for every JSON request and response body', () => {
    const anonymous: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const bodies: [string, object | undefined][] = [
          ['request', op.requestBody?.content['application/json']?.schema],
          ...Object.entries(op.responses).map(([status, r]): [string, object | undefined] => [
            status,
            r.content?.['application/json']?.schema,
          ]),
        ];
        for (const [where, schema] of bodies) {
          if (schema && !('$ref' in schema)) anonymous.push(`${method.toUpperCase()} ${path} ${where}`);
        }
      }
    }
    expect(anonymous).toEqual([]);
    for (const id of [
      'Device',
      'Rollout',
      'RolloutGates',
      'GateValue',
      'ProfileSpec',
      'ProfileJSON',
      'Error',
      'FleetEvent',
    ]) {
      expect(doc.components.schemas[id], id).toBeDefined();
    }
  });

  it('describes the richest resources by their fields, not as anything', () => {
    const rollout = doc.components.schemas.Rollout as { properties?: Record<string, object> };
    expect(Object.keys(rollout.properties ?? {})).toEqual(
      expect.arrayContaining(['stages', 'stage', 'evaluation', 'targets', 'audit', 'gates']),
    );
    const metrics = doc.components.schemas.VersionMetrics as { properties?: Record<string, object> };
    expect(Object.keys(metrics.properties ?? {})).toEqual(
      expect.arrayContaining(['drift', 'profile', 'latencyMs']),
    );
  });
});
