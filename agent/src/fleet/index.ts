import {
  type DesiredState,
  desiredStateSchema,
  type EnrollResponse,
  MAX_DESIRED_BYTES,
  parseMessage,
  type Reported,
} from '@edgefleet/shared';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config';
import type { Deployment } from '../deploy';
import { AGENT_VERSION, capabilities } from '../enrollment';
import { MqttLink } from '../mqtt/link';
import { DEFAULT_RECONNECT, type ReconnectPolicy } from '../mqtt/reconnect';
import { TelemetrySender } from '../mqtt/telemetry-sender';
import type { AgentTelemetry } from '../telemetry';

/** What `createFleetLink` needs. */
export interface FleetLinkDeps {
  config: Pick<AgentConfig, 'mqttUrl' | 'maxInFlight' | 'reconnectMaxMs'>;
  enrollment: EnrollResponse;
  deployment: Deployment;
  telemetry: AgentTelemetry;
  logger: Logger;
  reconnect?: ReconnectPolicy;
  /** Resend a report whose ack has not come after this long (default 30 s). */
  resendAfterMs?: number;
}

/**
 * An enrolled device following its fleet: applies the desired states it is sent, reports the state it runs (a
 * hello on every connect), and sends the outbox's reports as windows close. MQTT is the transport (`mqtt/`: the
 * link, its reconnect policy and the in-flight window); what is said over it is decided here.
 */
export interface FleetLink {
  link: MqttLink;
  sender: TelemetrySender;
  start(): Promise<void>;
  /** Stops sending and disconnects (the retained presence says offline). */
  stop(): Promise<void>;
}

/** Creates the link of an enrolled device; nothing connects before `start`. */
export function createFleetLink(deps: FleetLinkDeps): FleetLink {
  const { config, enrollment, deployment, telemetry, logger } = deps;
  const { deployer } = deployment;
  const reported = (type: 'hello' | 'state'): Reported => {
    const base = {
      v: 1 as const,
      deviceId: enrollment.deviceId,
      epoch: telemetry.outbox.epoch,
      appliedRev: deployer.state.appliedRev,
      agentVersion: AGENT_VERSION,
      at: Date.now(),
      running: deployer.running(),
      storage: telemetry.storageHealth(),
    };
    return type === 'hello'
      ? { type, ...base, capabilities: capabilities() }
      : { type, ...base, errors: deployment.errors().slice(0, 32) };
  };
  // The storage status the server was last told (hello or state); compared at every window close.
  let reportedStorage: string | null = null;
  const publishReported = (type: 'hello' | 'state') => {
    const report = reported(type);
    reportedStorage = report.storage?.status ?? null;
    link
      .publish('reported', JSON.stringify(report), 1)
      .catch((err: Error) =>
        logger.debug({ err: err.message }, 'reported publish failed; the next hello carries the state'),
      );
  };
  // The desired telemetry settings hold from the start (saved with the state) and on every desired state, even
  // one whose rev was already applied: a restart never falls back to the defaults.
  const applyDesired = async (desired: DesiredState) => {
    telemetry.applySettings(desired.telemetry);
    sender.maxInFlight = desired.telemetry.maxInFlight;
    if (await deployment.apply(desired)) publishReported('state');
  };
  const link: MqttLink = new MqttLink({
    url: config.mqttUrl ?? enrollment.mqttUrl,
    fleet: enrollment.fleet,
    deviceId: enrollment.deviceId,
    token: enrollment.deviceToken,
    epoch: telemetry.outbox.epoch,
    logger,
    reconnect: deps.reconnect ?? { ...DEFAULT_RECONNECT, maxMs: config.reconnectMaxMs },
    onConnected: () => {
      publishReported('hello');
      if (deployment.unreportedRestoreErrors()) publishReported('state');
      sender.pump();
    },
    onDisconnected: () => sender.reset(),
    onMessage: (kind, payload) => {
      if (kind === 'ack') return sender.onAck(payload);
      const parsed = parseMessage(desiredStateSchema, payload, { maxBytes: MAX_DESIRED_BYTES });
      if (!parsed.ok || parsed.value.deviceId !== enrollment.deviceId) {
        logger.warn(
          { error: parsed.ok ? 'deviceId mismatch' : parsed.error },
          'ignored malformed desired state',
        );
        return;
      }
      applyDesired(parsed.value).catch((err) => logger.error({ err }, 'applying desired state failed'));
    },
  });
  const maxInFlight = deployer.state.telemetry?.maxInFlight ?? config.maxInFlight;
  const sender = new TelemetrySender(telemetry.outbox, link, logger, maxInFlight, deps.resendAfterMs);
  // The server learns at the next window close when the storage status differs from the one it was told — set
  // by the window's own append or by any write in between (the sender's markSent/ack hit a full disk first when
  // the machine is loaded, and a before/after comparison around the append then never saw the change).
  telemetry.onWindowClosed(() => {
    if (telemetry.storageHealth().status !== reportedStorage) publishReported('state');
    sender.pump();
  });
  return {
    link,
    sender,
    start: () => link.start(),
    async stop() {
      sender.stop();
      await link.stop();
    },
  };
}
