import type { ServerContext } from '../context';
import type { SpecResolver } from '../models';
import { routesOnly, type ServerPart } from '../part';
import { registerMonitoringRoutes } from './routes';

export { type DeviceReportView, deviceReports, MAX_DEVICE_REPORTS } from './device-reports';
export { type FleetOverview, fleetOverview } from './overview';
export { driftOf, histogramQuantile, type PointDrift, pointOf, type TimeseriesPoint } from './point';
export { defaultStepMs } from './routes';
export {
  type MergedRange,
  mergeRecentReports,
  pointCount,
  type Timeseries,
  type TimeseriesQuery,
  versionTimeseries,
} from './timeseries';
export {
  type LatencyQuantiles,
  type MergedProfile,
  mergedProfile,
  type VersionMetrics,
  type VersionQuery,
  versionMetrics,
} from './version-metrics';

/** Monitoring: the reads of stored telemetry (timeseries, version metrics, device reports, the fleet overview). */
export function createMonitoring(ctx: ServerContext, specs: SpecResolver): ServerPart {
  return routesOnly('monitoring', (app) => registerMonitoringRoutes(app, ctx, specs));
}
