import {
  enrollRequestSchema,
  enrollResponseSchema,
  idSchema,
  labelKeySchema,
  labelsSchema,
} from '@edgefleet/shared';
import { createRoute, z } from '@hono/zod-openapi';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { InvalidInput } from '../errors';
import { API_PREFIX, type FleetApp } from '../http/app';
import { errorResponses, jsonBody, jsonResponse, SECURITY } from '../http/openapi';
import { parseSelector } from '../labels/selector';
import {
  createEnrollmentToken,
  type EnrollmentTokenRow,
  enrollDevice,
  listEnrollmentTokens,
  revokeEnrollmentToken,
} from './enrollment';
import { deleteDevice, getDevice, listDevices, patchDevice, toDeviceView } from './registry';

const deviceSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    labels: z.record(z.string(), z.string()),
    createdAt: z.number().int(),
    disabled: z.boolean(),
    disabledAt: z.number().int().nullable(),
    online: z.boolean(),
    epoch: z.number().int(),
    lastSeenAt: z.number().int().nullable(),
    connectedAt: z.number().int().nullable(),
    reportedState: z.record(z.string(), z.unknown()).nullable(),
    reportedAt: z.number().int().nullable(),
    appliedRev: z.number().int(),
    desiredRev: z.number().int(),
  })
  .openapi('Device');

const enrollmentTokenSchema = z
  .object({
    id: z.string(),
    labels: z.record(z.string(), z.string()),
    maxUses: z.number().int().nullable(),
    uses: z.number().int(),
    expiresAt: z.number().int().nullable(),
    createdAt: z.number().int(),
    revokedAt: z.number().int().nullable(),
  })
  .openapi('EnrollmentToken');

const toTokenView = ({ tokenHash: _hash, ...rest }: EnrollmentTokenRow) => rest;

const idParam = z.object({ id: idSchema });
const devicesPath = `${API_PREFIX}/devices`;
const tokensPath = `${API_PREFIX}/enrollment-tokens`;

const createTokenRoute = createRoute({
  method: 'post',
  path: tokensPath,
  tags: ['devices'],
  summary: 'Create an enrollment token (shown once)',
  security: [...SECURITY.admin],
  request: {
    body: jsonBody(
      z.object({
        labels: labelsSchema.default({}),
        maxUses: z.int().min(1).max(1_000_000).optional(),
        expiresInS: z
          .int()
          .min(1)
          .max(10 * 365 * 86_400)
          .optional(),
      }),
    ),
  },
  responses: {
    201: jsonResponse(
      enrollmentTokenSchema.extend({ token: z.string() }),
      'Created; `token` is not shown again',
    ),
    ...errorResponses(400, 401, 403, 413),
  },
});
const listTokensRoute = createRoute({
  method: 'get',
  path: tokensPath,
  tags: ['devices'],
  summary: 'List enrollment tokens',
  security: [...SECURITY.admin],
  responses: {
    200: jsonResponse(z.object({ tokens: z.array(enrollmentTokenSchema) }), 'Tokens'),
    ...errorResponses(401, 403),
  },
});
const revokeTokenRoute = createRoute({
  method: 'delete',
  path: `${tokensPath}/{id}`,
  tags: ['devices'],
  summary: 'Revoke an enrollment token (enrolled devices keep working)',
  security: [...SECURITY.admin],
  request: { params: idParam },
  responses: { 200: jsonResponse(enrollmentTokenSchema, 'Revoked'), ...errorResponses(400, 401, 403, 404) },
});
const enrollRoute = createRoute({
  method: 'post',
  path: `${API_PREFIX}/enroll`,
  tags: ['devices'],
  summary: 'Trade an enrollment token for device credentials (no other auth)',
  request: { body: jsonBody(enrollRequestSchema) },
  responses: {
    201: jsonResponse(enrollResponseSchema, 'Enrolled; `deviceToken` is not shown again'),
    ...errorResponses(400, 401, 403, 409, 413),
  },
});
const listDevicesRoute = createRoute({
  method: 'get',
  path: devicesPath,
  tags: ['devices'],
  summary: 'List devices, optionally by label selector (`site=a,line in (1,2),!canary`)',
  security: [...SECURITY.admin],
  request: {
    query: z.object({
      selector: z.string().max(4096).default(''),
      online: z.enum(['true', 'false']).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
      offset: z.coerce.number().int().min(0).default(0),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ devices: z.array(deviceSchema), total: z.number().int() }), 'Devices'),
    ...errorResponses(400, 401, 403),
  },
});
const getDeviceRoute = createRoute({
  method: 'get',
  path: `${devicesPath}/{id}`,
  tags: ['devices'],
  summary: 'One device',
  security: [...SECURITY.admin],
  request: { params: idParam },
  responses: { 200: jsonResponse(deviceSchema, 'The device'), ...errorResponses(400, 401, 403, 404) },
});
const patchDeviceRoute = createRoute({
  method: 'patch',
  path: `${devicesPath}/{id}`,
  tags: ['devices'],
  summary: 'Label, rename, disable or enable a device (labels: merge patch, null removes)',
  security: [...SECURITY.admin],
  request: {
    params: idParam,
    body: jsonBody(
      z.strictObject({
        name: z.string().max(128).nullable().optional(),
        labels: z.record(labelKeySchema, z.string().max(128).nullable()).optional(),
        disabled: z.boolean().optional(),
      }),
    ),
  },
  responses: { 200: jsonResponse(deviceSchema, 'Updated'), ...errorResponses(400, 401, 403, 404, 413) },
});
const deleteDeviceRoute = createRoute({
  method: 'delete',
  path: `${devicesPath}/{id}`,
  tags: ['devices'],
  summary: 'Delete a device and its credentials',
  security: [...SECURITY.admin],
  request: { params: idParam },
  responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 403, 404) },
});
const selfRoute = createRoute({
  method: 'get',
  path: `${API_PREFIX}/device`,
  tags: ['devices'],
  summary: 'The calling device itself (checks a device token)',
  security: [...SECURITY.device],
  responses: { 200: jsonResponse(deviceSchema, 'The device'), ...errorResponses(401, 403) },
});

/** Enrollment tokens, enrollment, and device administration. */
export function registerDeviceRoutes(app: FleetApp, ctx: ServerContext): void {
  const admin = requireAuth(ctx, 'admin');
  app.openapi({ ...createTokenRoute, middleware: [admin] }, (c) => {
    const { row, token } = createEnrollmentToken(ctx, c.req.valid('json'));
    return c.json({ ...toTokenView(row), token }, 201);
  });
  app.openapi({ ...listTokensRoute, middleware: [admin] }, (c) =>
    c.json({ tokens: listEnrollmentTokens(ctx).map(toTokenView) }, 200),
  );
  app.openapi({ ...revokeTokenRoute, middleware: [admin] }, (c) =>
    c.json(toTokenView(revokeEnrollmentToken(ctx, c.req.valid('param').id)), 200),
  );
  app.openapi(enrollRoute, (c) => c.json(enrollDevice(ctx, c.req.valid('json')), 201));
  app.openapi({ ...listDevicesRoute, middleware: [admin] }, (c) => {
    const query = c.req.valid('query');
    const selector = parseSelector(query.selector);
    if (!selector.ok) throw new InvalidInput(selector.error.message, { field: 'selector' });
    const online = query.online === undefined ? undefined : query.online === 'true';
    const { devices, total } = listDevices(ctx, { ...query, selector: selector.value, online });
    return c.json({ devices: devices.map(toDeviceView), total }, 200);
  });
  app.openapi({ ...getDeviceRoute, middleware: [admin] }, (c) =>
    c.json(toDeviceView(getDevice(ctx, c.req.valid('param').id)), 200),
  );
  app.openapi({ ...patchDeviceRoute, middleware: [admin] }, (c) =>
    c.json(toDeviceView(patchDevice(ctx, c.req.valid('param').id, c.req.valid('json'))), 200),
  );
  app.openapi({ ...deleteDeviceRoute, middleware: [admin] }, (c) => {
    deleteDevice(ctx, c.req.valid('param').id);
    return c.body(null, 204);
  });
  app.openapi({ ...selfRoute, middleware: [requireAuth(ctx, 'device')] }, (c) => {
    const principal = c.get('principal');
    const deviceId = principal.kind === 'device' ? principal.deviceId : '';
    return c.json(toDeviceView(getDevice(ctx, deviceId)), 200);
  });
}
