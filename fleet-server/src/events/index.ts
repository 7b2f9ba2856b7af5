import type { ServerContext } from '../context';
import type { ServerPart } from '../part';
import { EventBus, TelemetryCoalescer } from './bus';
import { registerEventRoutes } from './routes';
import { EventStreams } from './stream';

export { EventBus, type FleetEvent, type FleetEventListener, TelemetryCoalescer } from './bus';
export { EventStreams, formatSseEvent } from './stream';

/** The live-update side of a server: the bus everyone publishes to and the SSE streams that read it. */
export interface FleetEvents extends ServerPart {
  name: 'events';
  bus: EventBus;
  telemetry: TelemetryCoalescer;
  streams: EventStreams;
  /** Ends every stream cleanly and stops the timers. */
  close(): Promise<void>;
}

/** Creates the bus, the per-version telemetry coalescer (1 event/s/version) and the stream registry. */
export function createEvents(ctx: ServerContext): FleetEvents {
  const bus = new EventBus((err) => ctx.logger.error({ err }, 'event listener failed'));
  const telemetry = new TelemetryCoalescer(bus);
  const streams = new EventStreams(bus, { maxStreams: ctx.config.maxEventStreams });
  // A revoked admin token stops reading the fleet at once, not when its client reconnects.
  const stopRevocations = ctx.revocations.on((revoked) => {
    if (revoked.kind !== 'admin') return;
    const closed = streams.closeOwnedBy(revoked.tokenId);
    if (closed > 0)
      ctx.logger.info({ adminTokenId: revoked.tokenId, streams: closed }, 'event streams ended');
  });
  return {
    name: 'events',
    bus,
    telemetry,
    streams,
    routes: (app) => registerEventRoutes(app, ctx, streams),
    async close() {
      stopRevocations();
      telemetry.close();
      streams.closeAll();
    },
  };
}
