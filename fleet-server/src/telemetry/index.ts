import type { ServerContext } from '../context';
import type { FleetApp } from '../http/app';
import type { FleetLink } from '../mqtt/link';
import { DEFAULT_TELEMETRY_LIMITS, TelemetryGuards } from './guards';
import { TelemetryIngestor } from './ingest';
import { startMqttTelemetry } from './mqtt-ingest';
import { registerTelemetryRoutes } from './routes';
import { dbSpecResolver, type SpecResolver } from './specs';

export { type IngestOutcome, type IngestStats, type ReportSource, TelemetryIngestor } from './ingest';
export { startMqttTelemetry } from './mqtt-ingest';
export { registerTelemetryRoutes } from './routes';
export { dbSpecResolver, type SpecResolver, staticSpecResolver } from './specs';

/** The ingestion pipeline of one server: batching writer and the spec lookup it checks reports against. */
export interface Telemetry {
  ingestor: TelemetryIngestor;
  specs: SpecResolver;
  /** `POST /api/v1/telemetry`. */
  routes(app: FleetApp): void;
  /** Ingests reports from the MQTT link (acks on `…/ack`); `close()` stops it and flushes the writer. */
  listen(link: FleetLink): Promise<{ name: 'telemetry'; close(): Promise<void> }>;
}

/** Creates the telemetry pipeline on the server's database. */
export function createTelemetry(ctx: ServerContext): Telemetry {
  const specs = dbSpecResolver(ctx.db, { now: ctx.now });
  const { config } = ctx;
  const guards = new TelemetryGuards(
    {
      ...DEFAULT_TELEMETRY_LIMITS,
      maxInferencesPerS: config.telemetryMaxInferencesPerS,
      clientReportsPerS: config.telemetryClientReportsPerS,
      appReportsPerS: config.telemetryAppReportsPerS,
    },
    ctx.now,
  );
  const ingestor = new TelemetryIngestor({
    db: ctx.db,
    specs,
    logger: ctx.logger,
    now: ctx.now,
    guards,
    onStorageError: (err) => ctx.storage.noteError(err, 'telemetry'),
  });
  return {
    specs,
    ingestor,
    routes: (app) => registerTelemetryRoutes(app, ctx, { ingestor, specs }),
    async listen(link) {
      const stop = await startMqttTelemetry({ link, fleet: ctx.config.fleet, ingestor, logger: ctx.logger });
      return {
        name: 'telemetry',
        async close() {
          await stop();
          ingestor.close();
        },
      };
    },
  };
}
