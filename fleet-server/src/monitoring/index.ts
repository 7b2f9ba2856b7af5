export { type DeviceReportView, deviceReports, MAX_DEVICE_REPORTS } from './device-reports';
export { type FleetOverview, fleetOverview } from './overview';
export { driftOf, histogramQuantile, type PointDrift, pointOf, type TimeseriesPoint } from './point';
export { defaultStepMs, registerMonitoringRoutes } from './routes';
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
