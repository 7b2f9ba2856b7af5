import { apiRoute } from '@edgefleet/shared/api';
import { requireAuth } from '../auth/middleware';
import type { ServerContext } from '../context';
import { InvalidInput } from '../errors';
import type { FleetApp } from '../http/app';
import { contractRoute, SECURITY } from '../http/openapi';
import { parseSelector } from '../labels/selector';
import {
  createEnrollmentToken,
  type EnrollmentTokenRow,
  enrollDevice,
  listEnrollmentTokens,
  revokeEnrollmentToken,
} from './enrollment';
import { deleteDevice, getDevice, listDevices, patchDevice, toDeviceView } from './registry';

const toTokenView = ({ tokenHash: _hash, ...rest }: EnrollmentTokenRow) => rest;

const tags = ['devices'];
const admin = SECURITY.admin;

const createTokenRoute = contractRoute(apiRoute('POST /api/v1/enrollment-tokens'), {
  tags,
  summary: 'Create an enrollment token (shown once)',
  security: admin,
  responses: { 201: 'Created; `token` is not shown again' },
  errors: [400, 401, 403, 413],
});
const listTokensRoute = contractRoute(apiRoute('GET /api/v1/enrollment-tokens'), {
  tags,
  summary: 'List enrollment tokens',
  security: admin,
  errors: [401, 403],
});
const revokeTokenRoute = contractRoute(apiRoute('DELETE /api/v1/enrollment-tokens/{id}'), {
  tags,
  summary: 'Revoke an enrollment token (enrolled devices keep working)',
  security: admin,
  responses: { 200: 'Revoked' },
  errors: [400, 401, 403, 404],
});
const enrollRoute = contractRoute(apiRoute('POST /api/v1/enroll'), {
  tags,
  summary: 'Trade an enrollment token for device credentials (no other auth)',
  responses: { 201: 'Enrolled; `deviceToken` is not shown again' },
  errors: [400, 401, 403, 409, 413],
});
const listDevicesRoute = contractRoute(apiRoute('GET /api/v1/devices'), {
  tags,
  summary: 'List devices, optionally by label selector (`site=a,line in (1,2),!canary`)',
  security: admin,
  errors: [400, 401, 403],
});
const getDeviceRoute = contractRoute(apiRoute('GET /api/v1/devices/{id}'), {
  tags,
  summary: 'One device',
  security: admin,
  errors: [400, 401, 403, 404],
});
const patchDeviceRoute = contractRoute(apiRoute('PATCH /api/v1/devices/{id}'), {
  tags,
  summary: 'Label, rename, disable or enable a device (labels: merge patch, null removes)',
  security: admin,
  responses: { 200: 'Updated' },
  errors: [400, 401, 403, 404, 413],
});
const deleteDeviceRoute = contractRoute(apiRoute('DELETE /api/v1/devices/{id}'), {
  tags,
  summary: 'Delete a device and its credentials',
  security: admin,
  responses: { 204: 'Deleted' },
  errors: [400, 401, 403, 404],
});
const selfRoute = contractRoute(apiRoute('GET /api/v1/device'), {
  tags,
  summary: 'The calling device itself (checks a device token)',
  security: SECURITY.device,
  errors: [401, 403],
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
