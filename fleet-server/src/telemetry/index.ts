import type { ServerContext } from '../context';
import type { SpecResolver } from '../models';
import type { FleetLink } from '../mqtt/link';
import type { ServerPart } from '../part';
import { DEFAULT_TELEMETRY_LIMITS, TelemetryGuards } from './guards';
import { TelemetryIngestor } from './ingest';
import { registerIngestMetrics } from './metrics';
import { startMqttTelemetry } from './mqtt-ingest';
import { registerTelemetryRoutes } from './routes';
import { TierMaintenance } from './tiers';

export { type IngestOutcome, type IngestStats, type ReportSource, TelemetryIngestor } from './ingest';
export { startMqttTelemetry } from './mqtt-ingest';
export { registerTelemetryRoutes } from './routes';
export { TierMaintenance, type TierPassStats, type TierRetention } from './tiers';

/**
 * The ingestion pipeline of one server (the writes of telemetry; monitoring/ owns the reads): the batching writer
 * and `POST /api/v1/telemetry`. Reports are checked against the model registry's specs (`models/`).
 */
export interface Telemetry extends ServerPart {
  name: 'telemetry';
  ingestor: TelemetryIngestor;
  /** Daily roll-up and retention of the telemetry tiers (runs every `telemetryMaintenanceMs` once started). */
  tiers: TierMaintenance;
  /** Ingests reports from the MQTT link too (acks on `…/ack`); `close()` stops that and flushes the writer. */
  start(link: FleetLink): Promise<void>;
}

/** Creates the telemetry pipeline on the server's database; `specs` is the models part's lookup. */
export function createTelemetry(ctx: ServerContext, specs: SpecResolver): Telemetry {
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
    hourlyRetentionMs: config.hourlyRetentionMs,
  });
  const tiers = new TierMaintenance({
    db: ctx.db,
    specs,
    now: ctx.now,
    logger: ctx.logger,
    retention: {
      rawMs: config.rawRetentionMs,
      hourlyMs: config.hourlyRetentionMs,
      dailyMs: config.dailyRetentionMs,
    },
  });
  let maintenanceTimer: NodeJS.Timeout | null = null;
  registerIngestMetrics(ctx.metrics.registry, ingestor.stats);
  let stopMqtt: (() => Promise<void>) | null = null;
  return {
    name: 'telemetry',
    ingestor,
    tiers,
    routes: (app) => registerTelemetryRoutes(app, ctx, { ingestor, specs }),
    async start(link) {
      stopMqtt = await startMqttTelemetry({ link, fleet: ctx.config.fleet, ingestor, logger: ctx.logger });
      if (config.telemetryMaintenanceMs > 0) {
        maintenanceTimer = setInterval(() => {
          tiers.runPass().catch((err) => {
            ctx.logger.error({ err }, 'telemetry tier maintenance failed; retried next pass');
            ctx.storage.noteError(err, 'telemetry');
          });
        }, config.telemetryMaintenanceMs);
        maintenanceTimer.unref();
      }
    },
    async close() {
      if (maintenanceTimer) clearInterval(maintenanceTimer);
      await tiers.idle();
      await stopMqtt?.();
      ingestor.close();
    },
  };
}
