import type { ServerContext } from '../context';
import { routesOnly, type ServerPart } from '../part';
import { registerDeviceRoutes } from './routes';

/** Devices: enrollment tokens, enrollment, the registry and labels (`/api/v1/devices`, `/api/v1/enroll`). */
export function createDevices(ctx: ServerContext): ServerPart {
  return routesOnly('devices', (app) => registerDeviceRoutes(app, ctx));
}
