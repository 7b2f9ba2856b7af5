import { join } from 'node:path';
import type { RuntimeInfo, SoftwareMetrics, StorageHealth, TelemetryConfig } from '@edgefleet/shared';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config';
import { TelemetryStorage } from '../outbox/storage';
import { CHECKPOINT_MS, WindowCheckpoints } from './checkpoint';
import { SoftwareMonitor } from './software';
import { TelemetryWindows } from './windows';

/** What `createTelemetry` needs. */
export interface TelemetryDeps {
  config: Pick<AgentConfig, 'dataDir' | 'outboxMaxReports' | 'windowMs'>;
  clientId: string;
  enrolled: boolean;
  runtime: RuntimeInfo;
  logger: Logger;
}

/**
 * The agent's telemetry: the open window, the durable outbox it closes into every `windowMs`, the checkpoint that
 * brings back the open window of an unclean stop, and the process figures each window carries.
 */
export interface AgentTelemetry {
  windows: TelemetryWindows;
  /** The telemetry outbox behind its guard: a full or corrupt disk never stops serving. */
  outbox: TelemetryStorage;
  /** What the checkpoint of an unclean stop brought back at start. */
  recovered: { windows: number; inferences: number };
  /** Closes the open window into the outbox now; then the window listeners run. */
  flushWindow(): void;
  /** Listens to every closed window. */
  onWindowClosed(listener: () => void): void;
  /** The window length and outbox bound of a desired state (or of the saved one at start). */
  applySettings(settings: Pick<TelemetryConfig, 'windowMs' | 'outboxMaxReports'>): void;
  /** The outbox's health as the reported state carries it. */
  storageHealth(): StorageHealth;
  /** The process figures now. */
  process(): SoftwareMetrics;
  /** Adds figures of another part (the data capture) to the software metrics of every window from now on. */
  addSoftwareFigures(figures: () => Partial<Pick<SoftwareMetrics, 'capture'>>): void;
  /** Starts the window and checkpoint timers. */
  start(): void;
  /** Stops the timers and closes the open window into the outbox (before the link goes). */
  stop(): void;
  /** Closes the outbox (last, once nothing sends from it). */
  close(): void;
}

/** Opens the outbox and recovers the checkpoint of the window a previous process left open. */
export function createTelemetry({
  config,
  clientId,
  enrolled,
  runtime,
  logger,
}: TelemetryDeps): AgentTelemetry {
  const outbox = new TelemetryStorage({
    path: join(config.dataDir, 'telemetry.db'),
    dataDir: config.dataDir,
    clientId,
    maxReports: config.outboxMaxReports,
    enrolled,
    logger,
  });
  const windows = new TelemetryWindows();
  const software = new SoftwareMonitor();
  const checkpoints = new WindowCheckpoints(config.dataDir);
  const recovered = recoverCheckpoint(checkpoints, outbox, runtime, logger);
  const listeners: (() => void)[] = [];
  const extraFigures: (() => Partial<Pick<SoftwareMetrics, 'capture'>>)[] = [];
  const withExtras = (metrics: SoftwareMetrics): SoftwareMetrics => {
    for (const figures of extraFigures) Object.assign(metrics, figures());
    return metrics;
  };

  let checkpointed = windows.touched;
  const flushWindow = () => {
    const drafts = windows.close();
    // Process-wide, so the same in every report of the window; measured even when no report is due.
    const metrics = withExtras(software.window());
    for (const draft of drafts) outbox.append(draft, runtime, metrics);
    // Appended (or counted as unstored): the checkpoint of this window is done.
    checkpointed = windows.touched;
    checkpoints.clear();
    for (const listener of listeners) listener();
  };
  const saveCheckpoint = () => {
    if (windows.touched === checkpointed) return;
    checkpointed = windows.touched;
    checkpoints.save({ epoch: outbox.epoch, startMs: windows.startedAtMs, drafts: windows.peek() });
  };

  let windowMs = config.windowMs;
  let windowTimer: NodeJS.Timeout | null = null;
  let checkpointTimer: NodeJS.Timeout | null = null;
  const startWindowTimer = () => {
    if (windowTimer) clearInterval(windowTimer);
    windowTimer = setInterval(flushWindow, windowMs);
    windowTimer.unref();
  };
  const stopTimers = () => {
    if (windowTimer) clearInterval(windowTimer);
    if (checkpointTimer) clearInterval(checkpointTimer);
    windowTimer = checkpointTimer = null;
  };

  return {
    windows,
    outbox,
    recovered,
    flushWindow,
    onWindowClosed: (listener) => listeners.push(listener),
    applySettings(settings) {
      outbox.setMaxReports(settings.outboxMaxReports);
      if (settings.windowMs === windowMs) return;
      windowMs = settings.windowMs;
      if (windowTimer) startWindowTimer();
    },
    storageHealth() {
      const h = outbox.storage();
      return { ...h, quarantined: h.quarantined.length };
    },
    process: () => withExtras(software.current()),
    addSoftwareFigures: (figures) => extraFigures.push(figures),
    start() {
      checkpointTimer = setInterval(saveCheckpoint, CHECKPOINT_MS);
      checkpointTimer.unref();
      startWindowTimer();
    },
    stop() {
      stopTimers();
      flushWindow();
      software.stop();
    },
    close: () => outbox.close(),
  };
}

/** The open window of a process that stopped uncleanly (kill -9, power) goes in as its last window. */
function recoverCheckpoint(
  checkpoints: WindowCheckpoints,
  outbox: TelemetryStorage,
  runtime: RuntimeInfo,
  logger: Logger,
): { windows: number; inferences: number } {
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
  return recovered;
}
