import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  type DeployError,
  type DesiredState,
  desiredStateSchema,
  type EnrollResponse,
  importKeyRing,
  MAX_DESIRED_BYTES,
  parseMessage,
  type Reported,
  type RuntimeInfo,
  type StorageHealth,
  type TelemetryConfig,
} from '@edgefleet/shared';
import { serve } from '@hono/node-server';
import * as ort from 'onnxruntime-node';
import pino, { type Logger } from 'pino';
import type { AgentConfig } from './config';
import { Deployer } from './deploy/deployer';
import { AGENT_VERSION, capabilities, readEnrollment } from './enrollment';
import { createApi } from './http/app';
import { DecodeBudget } from './image/decode';
import { MqttLink } from './mqtt/link';
import { DEFAULT_RECONNECT, type ReconnectPolicy } from './mqtt/reconnect';
import { TelemetrySender } from './mqtt/telemetry-sender';
import { TelemetryStorage } from './outbox/storage';
import { ServingEngine } from './serving/engine';
import { ModelStore } from './store/model-store';
import { CHECKPOINT_MS, WindowCheckpoints } from './telemetry/checkpoint';
import { SoftwareMonitor } from './telemetry/software';
import { TelemetryWindows } from './telemetry/windows';
import { WatchedFolder } from './watch/folder';

/** A running agent. */
export interface RunningAgent {
  url: string;
  engine: ServingEngine;
  deployer: Deployer;
  /** The telemetry outbox behind its guard: a full or corrupt disk never stops serving. */
  outbox: TelemetryStorage;
  link: MqttLink | null;
  sender: TelemetrySender | null;
  watcher: WatchedFolder | null;
  enrollment: EnrollResponse | undefined;
  /** Closes the current window into the outbox now (and tries to send it). */
  flushWindow(): void;
  /** Errors of the last desired state applied (or of the restore). */
  lastErrors(): DeployError[];
  /** Rev of the last desired state fully applied and reported (0 before any). */
  reportedRev(): number;
  /** Clean shutdown: stop intake, finish in-flight inferences, flush the window, disconnect. */
  close(): Promise<void>;
}

/** Options for embedding and tests. */
export interface StartAgentOptions {
  logger?: Logger;
  reconnect?: ReconnectPolicy;
  /** Resend a report whose ack has not come after this long (default 30 s). */
  resendAfterMs?: number;
}

/** Starts the agent: restores the last good models, serves, follows the fleet when enrolled. */
export async function startAgent(
  config: AgentConfig,
  options: StartAgentOptions = {},
): Promise<RunningAgent> {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const enrollment = readEnrollment(config.dataDir);
  const store = new ModelStore(config.dataDir);
  await store.init();
  const clientId = enrollment?.deviceId ?? 'unenrolled';
  const outbox = new TelemetryStorage({
    path: join(config.dataDir, 'telemetry.db'),
    dataDir: config.dataDir,
    clientId,
    maxReports: config.outboxMaxReports,
    enrolled: enrollment !== undefined,
    logger,
  });
  const windows = new TelemetryWindows();
  const engine = new ServingEngine(windows, logger);
  const keys = enrollment ? await importKeyRing(enrollment.signingKeys) : undefined;
  if (keys && !keys.ok) throw new Error(`enrollment signing keys: ${keys.error.message}`);
  const deployer = new Deployer({
    store,
    engine,
    statePath: join(config.dataDir, 'state.json'),
    sessionOptions: {
      intraOpNumThreads: config.threads,
      interOpNumThreads: config.interOpThreads,
      graphOptimizationLevel: config.graphOptimization,
    },
    keepVersions: config.keepVersions,
    retry: { attempts: config.applyRetries, baseMs: config.applyRetryMs },
    logger,
    ...(enrollment && keys?.ok
      ? {
          fetchContext: {
            apiUrl: enrollment.apiUrl,
            deviceToken: enrollment.deviceToken,
            keys: keys.value,
            store,
          },
        }
      : {}),
  });
  let errors = await deployer.restore();
  // What restore found (a quarantined model, a fallback) is reported once connected and kept in the report of
  // the desired state that repairs it, so the fleet sees it even though the repair succeeds.
  let restoreErrors = errors;
  const runtime: RuntimeInfo = {
    backend: 'cpu',
    threads: config.threads,
    runtimeVersion: `onnxruntime-node ${ort.env.versions.node}`,
  };
  const software = new SoftwareMonitor();

  // The open window of a process that stopped uncleanly (kill -9, power) goes in as its last window.
  const checkpoints = new WindowCheckpoints(config.dataDir);
  const recovered = { windows: 0, inferences: 0 };
  const left = checkpoints.load();
  if (left.problem)
    logger.warn({ problem: left.problem }, 'window checkpoint unreadable; its window is lost');
  if (left.checkpoint && !outbox.windowClosed(left.checkpoint.epoch, left.checkpoint.startMs)) {
    for (const draft of left.checkpoint.drafts) {
      if (outbox.append(draft, runtime)) {
        recovered.windows++;
        recovered.inferences += draft.inferences;
      }
    }
    logger.warn(recovered, 'unclean stop: the last checkpoint of the open window was recovered');
  }
  checkpoints.clear();

  let link: MqttLink | null = null;
  let sender: TelemetrySender | null = null;
  const storageHealth = (): StorageHealth => {
    const h = outbox.storage();
    return { ...h, quarantined: h.quarantined.length };
  };
  const reported = (type: 'hello' | 'state'): Reported => {
    const base = {
      v: 1 as const,
      deviceId: clientId,
      epoch: outbox.epoch,
      appliedRev: deployer.state.appliedRev,
      agentVersion: AGENT_VERSION,
      at: Date.now(),
      running: deployer.running(),
      storage: storageHealth(),
    };
    return type === 'hello'
      ? { type, ...base, capabilities: capabilities() }
      : { type, ...base, errors: errors.slice(0, 32) };
  };
  const publishReported = (type: 'hello' | 'state') => {
    link
      ?.publish('reported', JSON.stringify(reported(type)), 1)
      .catch((err: Error) =>
        logger.debug({ err: err.message }, 'reported publish failed; the next hello carries the state'),
      );
  };
  let windowMs = config.windowMs;
  let windowTimer: NodeJS.Timeout | null = null;
  let maxInFlight = config.maxInFlight;
  let reportedRev = 0;
  // The desired telemetry settings hold from the start (saved with the state) and on every desired state, even
  // one whose rev was already applied: a restart never falls back to the defaults.
  const applyTelemetry = (t: TelemetryConfig) => {
    maxInFlight = t.maxInFlight;
    if (sender) sender.maxInFlight = t.maxInFlight;
    outbox.setMaxReports(t.outboxMaxReports);
    if (t.windowMs !== windowMs) {
      windowMs = t.windowMs;
      if (windowTimer) restartWindowTimer();
    }
  };
  if (deployer.state.telemetry) applyTelemetry(deployer.state.telemetry);
  const onDesired = async (desired: DesiredState) => {
    applyTelemetry(desired.telemetry);
    const outcome = await deployer.apply(desired);
    if (!outcome) return;
    errors = [...outcome.errors, ...restoreErrors];
    restoreErrors = [];
    if (outcome.applied) reportedRev = outcome.rev;
    publishReported('state');
  };
  if (enrollment) {
    link = new MqttLink({
      url: config.mqttUrl ?? enrollment.mqttUrl,
      fleet: enrollment.fleet,
      deviceId: enrollment.deviceId,
      token: enrollment.deviceToken,
      epoch: outbox.epoch,
      logger,
      reconnect: options.reconnect ?? { ...DEFAULT_RECONNECT, maxMs: config.reconnectMaxMs },
      onConnected: () => {
        publishReported('hello');
        if (restoreErrors.length > 0) publishReported('state');
        sender?.pump();
      },
      onDisconnected: () => sender?.reset(),
      onMessage: (kind, payload) => {
        if (kind === 'ack') return sender?.onAck(payload);
        const parsed = parseMessage(desiredStateSchema, payload, { maxBytes: MAX_DESIRED_BYTES });
        if (!parsed.ok || parsed.value.deviceId !== enrollment.deviceId) {
          logger.warn(
            { error: parsed.ok ? 'deviceId mismatch' : parsed.error },
            'ignored malformed desired state',
          );
          return;
        }
        onDesired(parsed.value).catch((err) => logger.error({ err }, 'applying desired state failed'));
      },
    });
    sender = new TelemetrySender(outbox, link, logger, maxInFlight, options.resendAfterMs);
  }

  const flushWindow = () => {
    const drafts = windows.close();
    // Process-wide, so the same in every report of the window; measured even when no report is due.
    const metrics = software.window();
    const before = outbox.storage().status;
    for (const draft of drafts) outbox.append(draft, runtime, metrics);
    // Appended (or counted as unstored): the checkpoint of this window is done.
    checkpointed = windows.touched;
    checkpoints.clear();
    // The server learns at once when windows start (or stop) being lost to a full or broken disk.
    if (outbox.storage().status !== before) publishReported('state');
    sender?.pump();
  };
  let checkpointed = windows.touched;
  const checkpointTimer = setInterval(() => {
    if (windows.touched === checkpointed) return;
    checkpointed = windows.touched;
    checkpoints.save({ epoch: outbox.epoch, startMs: windows.startedAtMs, drafts: windows.peek() });
  }, CHECKPOINT_MS);
  checkpointTimer.unref();
  const restartWindowTimer = () => {
    if (windowTimer) clearInterval(windowTimer);
    windowTimer = setInterval(flushWindow, windowMs);
    windowTimer.unref();
  };
  restartWindowTimer();

  const decodeBudget = new DecodeBudget(config.maxDecodeBytes ?? 2 * 4 * config.maxImagePixels);
  const app = createApi({
    allowedHosts: config.apiAllowedHosts,
    engine,
    maxBodyBytes: config.maxBodyBytes,
    maxImagePixels: config.maxImagePixels,
    decodeBudget,
    status: () => ({
      deviceId: enrollment?.deviceId ?? null,
      enrolled: enrollment !== undefined,
      connected: link?.connected ?? false,
      appliedRev: deployer.state.appliedRev,
      running: deployer.running(),
      errors,
      serving: engine.counters,
      outbox: { epoch: outbox.epoch, ...outbox.stats() },
      storage: outbox.storage(),
      recoveredAtStart: recovered,
      decode: {
        inFlightBytes: decodeBudget.inFlightBytes,
        maxBytes: decodeBudget.maxBytes,
        maxImagePixels: config.maxImagePixels,
        refused: decodeBudget.refused,
      },
      watch: watcher ? { processed: watcher.processed, failed: watcher.failed } : null,
      process: software.current(),
    }),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.httpHost, port: config.httpPort }, () =>
      resolve(s as Server),
    );
  });
  const url = `http://${config.httpHost}:${(server.address() as AddressInfo).port}`;
  const watcher = config.watch
    ? new WatchedFolder(engine, {
        dir: config.watch,
        maxImagePixels: config.maxImagePixels,
        ...(config.out ? { outDir: config.out } : {}),
        logger,
      })
    : null;
  await watcher?.start();
  await link?.start();
  logger.info({ url, deviceId: enrollment?.deviceId, running: deployer.running() }, 'agent started');

  let closing: Promise<void> | null = null;
  return {
    url,
    engine,
    deployer,
    outbox,
    link,
    sender,
    watcher,
    enrollment,
    flushWindow,
    lastErrors: () => errors,
    reportedRev: () => reportedRev,
    close() {
      closing ??= (async () => {
        await watcher?.stop();
        // Stop accepting; requests in flight finish (close waits for them).
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        (server as Server & { closeIdleConnections?: () => void }).closeIdleConnections?.();
        await closed;
        await engine.drainShadow();
        if (windowTimer) clearInterval(windowTimer);
        clearInterval(checkpointTimer);
        flushWindow();
        software.stop();
        sender?.stop();
        await link?.stop();
        await deployer.close();
        outbox.close();
      })();
      return closing;
    },
  };
}
