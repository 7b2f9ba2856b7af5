import type { ServerContext } from '../context';
import { routesOnly, type ServerPart } from '../part';
import { registerReferenceRoutes } from './reference/routes';
import { registerModelRoutes } from './routes';

/** The model registry: versions with their manifests, lineage and baselines, and the reference sets behind them. */
export function createModels(ctx: ServerContext): ServerPart {
  return routesOnly('models', (app) => {
    registerModelRoutes(app, ctx);
    registerReferenceRoutes(app, ctx);
  });
}
