import type { ServerContext } from '../context';
import { TelemetryIngestor } from './ingest';
import { dbSpecResolver, type SpecResolver } from './specs';

export { type IngestOutcome, type IngestStats, type ReportSource, TelemetryIngestor } from './ingest';
export { startMqttTelemetry } from './mqtt-ingest';
export {
  type MergedProfile,
  mergedProfile,
  type VersionMetrics,
  type VersionQuery,
  versionMetrics,
} from './query';
export { registerTelemetryRoutes } from './routes';
export { dbSpecResolver, type SpecResolver, staticSpecResolver } from './specs';

/** The ingestion pipeline of one server: batching writer and the spec lookup it checks reports against. */
export interface Telemetry {
  ingestor: TelemetryIngestor;
  specs: SpecResolver;
}

/** Creates the telemetry pipeline on the server's database. */
export function createTelemetry(ctx: ServerContext): Telemetry {
  const specs = dbSpecResolver(ctx.db, { now: ctx.now });
  return { specs, ingestor: new TelemetryIngestor({ db: ctx.db, specs, logger: ctx.logger, now: ctx.now }) };
}
