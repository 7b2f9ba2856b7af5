import { resolve } from 'node:path';
import type { Config } from '../config';
import type { FleetApp } from '../http/app';
import { routesOnly, type ServerPart } from '../part';
import { DEFAULT_DASHBOARD_DIR, serveDashboard } from './static';

export {
  BUILD_COMMAND,
  DEFAULT_DASHBOARD_DIR,
  resolveStaticFile,
  SERVER_PATHS,
  serveDashboard,
} from './static';

/**
 * Mounts the dashboard at `/` as a catch-all middleware registered after every route: a matched route answers
 * before it runs, so it only sees unmatched paths (and the docs routes, which it passes on). As middleware it
 * leaves the per-route request metrics labelled by the real routes.
 */
export function registerDashboard(app: FleetApp, config: Pick<Config, 'dashboardDir'>): string {
  const dir = resolve(config.dashboardDir ?? DEFAULT_DASHBOARD_DIR);
  app.use('*', serveDashboard(dir));
  return dir;
}

/** The dashboard as a server part: mounted last, it only sees what no route matched. */
export function createDashboard(config: Pick<Config, 'dashboardDir'>): ServerPart {
  return routesOnly('dashboard', (app) => {
    registerDashboard(app, config);
  });
}
