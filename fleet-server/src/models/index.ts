import type { ServerContext } from '../context';
import type { ServerPart } from '../part';
import { ModelJobs } from './jobs/runner';
import { registerReferenceRoutes } from './reference/routes';
import { registerModelRoutes } from './routes';

/**
 * The model registry: versions with their manifests, lineage and baselines, and the reference sets behind them.
 * Models run (golden checks, baselines) in job processes within the configured budget.
 */
export function createModels(ctx: ServerContext): ServerPart {
  const { baselineTimeoutMs, baselineMemoryMb, baselineConcurrency } = ctx.config;
  const jobs = new ModelJobs({
    timeoutMs: baselineTimeoutMs,
    memoryMb: baselineMemoryMb,
    concurrency: baselineConcurrency,
  });
  return {
    name: 'models',
    routes(app) {
      registerModelRoutes(app, ctx, jobs);
      registerReferenceRoutes(app, ctx, jobs);
    },
    close: async () => jobs.close(),
  };
}
