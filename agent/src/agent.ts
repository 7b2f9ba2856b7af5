import type { DeployError, EnrollResponse, RuntimeInfo } from '@edgefleet/shared';
import * as ort from 'onnxruntime-node';
import pino, { type Logger } from 'pino';
import { type AgentCapture, createCapture } from './capture';
import type { AgentConfig } from './config';
import { createDeployment } from './deploy';
import type { Deployer } from './deploy/deployer';
import { readEnrollment } from './enrollment';
import { OperatorFeedback } from './feedback';
import { createFleetLink } from './fleet';
import { startLocalApi } from './http';
import type { MqttLink } from './mqtt/link';
import type { ReconnectPolicy } from './mqtt/reconnect';
import type { TelemetrySender } from './mqtt/telemetry-sender';
import type { TelemetryStorage } from './outbox/storage';
import { ServingEngine } from './serving/engine';
import { createTelemetry } from './telemetry';
import { WatchedFolder } from './watch/folder';

/** A running agent. */
export interface RunningAgent {
  url: string;
  engine: ServingEngine;
  /** Operator feedback: kept predictions and labels counted into windows. */
  feedback: OperatorFeedback;
  deployer: Deployer;
  /** The telemetry outbox behind its guard: a full or corrupt disk never stops serving. */
  outbox: TelemetryStorage;
  link: MqttLink | null;
  sender: TelemetrySender | null;
  watcher: WatchedFolder | null;
  enrollment: EnrollResponse | undefined;
  /** The data capture: policy rules, daily budget, sample queue and its uploader. */
  capture: AgentCapture;
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
  const runtime: RuntimeInfo = {
    backend: 'cpu',
    threads: config.threads,
    runtimeVersion: `onnxruntime-node ${ort.env.versions.node}`,
  };
  const telemetry = createTelemetry({
    config,
    clientId: enrollment?.deviceId ?? 'unenrolled',
    enrolled: enrollment !== undefined,
    runtime,
    logger,
  });
  const engine = new ServingEngine(telemetry.windows, logger);
  const feedback = new OperatorFeedback(
    {
      dataDir: config.dataDir,
      ttlMs: config.feedbackTtlMs,
      maxPredictions: config.maxPredictions,
      reviewImageBytes: config.reviewImageBytes,
    },
    telemetry.windows,
    logger,
  );
  // `--max-predictions 0` turns the feedback path off: nothing is kept, every label is refused as unknown.
  if (config.maxPredictions > 0) engine.rememberPrediction = feedback.remember;
  const deployment = await createDeployment({ config, enrollment, engine, logger });
  const saved = deployment.deployer.state.telemetry;
  if (saved) telemetry.applySettings(saved);
  const fleet = enrollment
    ? createFleetLink({
        config,
        enrollment,
        deployment,
        telemetry,
        logger,
        ...(options.reconnect ? { reconnect: options.reconnect } : {}),
        ...(options.resendAfterMs !== undefined ? { resendAfterMs: options.resendAfterMs } : {}),
      })
    : null;
  const capture = createCapture({
    dataDir: config.dataDir,
    clientId: enrollment?.deviceId ?? 'unenrolled',
    policy: () => deployment.deployer.state.capture,
    queueMaxBytes: config.captureQueueBytes,
    ...(enrollment
      ? {
          upload: {
            apiUrl: enrollment.apiUrl,
            deviceToken: enrollment.deviceToken,
            bytesPerS: config.captureUploadBytesPerS,
            // Telemetry first: a sample goes only when every report is stored and acknowledged.
            canSend: () => telemetry.outbox.stats().pending === 0,
          },
        }
      : {}),
    logger,
  });
  engine.observeInference = capture.rules.observeInference;
  feedback.onDisagreement = capture.rules.observeDisagreement;
  telemetry.addSoftwareFigures(() => (capture.active() ? { capture: capture.counters() } : {}));
  telemetry.onWindowClosed(capture.notify);
  const watcher = config.watch
    ? new WatchedFolder(engine, {
        dir: config.watch,
        maxImagePixels: config.maxImagePixels,
        ...(config.out ? { outDir: config.out } : {}),
        feedback,
        logger,
      })
    : null;
  const status = () => ({
    deviceId: enrollment?.deviceId ?? null,
    enrolled: enrollment !== undefined,
    connected: fleet?.link.connected ?? false,
    appliedRev: deployment.deployer.state.appliedRev,
    running: deployment.deployer.running(),
    errors: deployment.errors(),
    serving: engine.counters,
    automation: engine.automation,
    feedback: feedback.counters,
    capture: capture.counters(),
    outbox: { epoch: telemetry.outbox.epoch, ...telemetry.outbox.stats() },
    storage: telemetry.outbox.storage(),
    recoveredAtStart: telemetry.recovered,
    watch: watcher
      ? { processed: watcher.processed, failed: watcher.failed, labels: watcher.labels?.counters ?? null }
      : null,
    process: telemetry.process(),
  });

  telemetry.start();
  capture.start();
  const api = await startLocalApi({ config, engine, feedback, status });
  await watcher?.start();
  await fleet?.start();
  logger.info(
    { url: api.url, deviceId: enrollment?.deviceId, running: deployment.deployer.running() },
    'agent started',
  );

  let closing: Promise<void> | null = null;
  return {
    url: api.url,
    engine,
    feedback,
    deployer: deployment.deployer,
    outbox: telemetry.outbox,
    link: fleet?.link ?? null,
    sender: fleet?.sender ?? null,
    watcher,
    enrollment,
    capture,
    flushWindow: telemetry.flushWindow,
    lastErrors: deployment.errors,
    reportedRev: deployment.appliedRev,
    close() {
      closing ??= (async () => {
        await watcher?.stop();
        await api.close();
        await engine.drainShadow();
        telemetry.stop();
        await capture.close();
        await fleet?.stop();
        await deployment.close();
        telemetry.close();
        feedback.close();
      })();
      return closing;
    },
  };
}
