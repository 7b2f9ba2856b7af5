import type { ServerContext } from '../context';
import type { ServerPart } from '../part';
import { ModelJobs } from './jobs/runner';
import { registerReferenceRoutes } from './reference/routes';
import { registerModelRoutes } from './routes';
import { dbSpecResolver, type SpecResolver } from './specs';

export {
  type DbSpecResolverOptions,
  dbSpecResolver,
  type SpecResolver,
  staticSpecResolver,
  type VersionBaseline,
} from './specs';

/**
 * The model registry: versions with their manifests, lineage and baselines, and the reference sets behind them.
 * `specs` is the registry's read side for the other parts: the spec and baseline a version's reports are counted
 * and judged against (telemetry checks reports with it; rollouts, monitoring and alerts merge and compare).
 */
export interface Models extends ServerPart {
  name: 'models';
  specs: SpecResolver;
}

/**
 * Creates the registry part on the server's database. Models run (golden checks, baselines) in job processes within
 * the configured budget; `close()` kills the running ones.
 */
export function createModels(ctx: ServerContext): Models {
  const { baselineTimeoutMs, baselineMemoryMb, baselineConcurrency } = ctx.config;
  const jobs = new ModelJobs({
    timeoutMs: baselineTimeoutMs,
    memoryMb: baselineMemoryMb,
    concurrency: baselineConcurrency,
  });
  return {
    name: 'models',
    specs: dbSpecResolver(ctx.db, { now: ctx.now }),
    routes(app) {
      registerModelRoutes(app, ctx, jobs);
      registerReferenceRoutes(app, ctx, jobs);
    },
    close: async () => jobs.close(),
  };
}
