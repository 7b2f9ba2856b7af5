import type { ServerContext } from '../context';
import { routesOnly, type ServerPart } from '../part';
import { registerAppRoutes } from './routes';

/** Web apps: registration, publishable keys and allowed origins (`/api/v1/apps`). */
export function createApps(ctx: ServerContext): ServerPart {
  return routesOnly('apps', (app) => registerAppRoutes(app, ctx));
}
