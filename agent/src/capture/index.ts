import { join } from 'node:path';
import { type CaptureCounters, type CapturePolicy, emptyCaptureCounters } from '@edgefleet/shared/capture';
import type { Logger } from 'pino';
import { CaptureBudget } from './budget';
import { CaptureRules } from './policy';
import { SampleQueue } from './queue';
import { CaptureStore } from './store';
import { SampleUploader } from './uploader';

export { CaptureRules } from './policy';

/** Retention of queued samples when no policy says otherwise (a restart before any policy, or capture turned off). */
const DEFAULT_RETENTION_DAYS = 7;
/** How often queued samples are checked against the retention. */
const EXPIRE_EVERY_MS = 60_000;

/** What `createCapture` needs. */
export interface CaptureDeps {
  dataDir: string;
  clientId: string;
  /** The capture policy in force, or undefined: nothing is captured. */
  policy: () => CapturePolicy | undefined;
  /** Bound of the sample queue in bytes. */
  queueMaxBytes: number;
  /** Where samples go (enrolled devices); none: they wait in the queue (bounded, and dropped after retention). */
  upload?: {
    apiUrl: string;
    deviceToken: string;
    bytesPerS: number;
    /** Whether telemetry's outbox is drained: samples go only then. */
    canSend: () => boolean;
    fetchImpl?: typeof fetch;
  };
  logger: Logger;
  now?: () => number;
  random?: () => number;
}

/** The agent's data capture: policy rules, daily budget, durable sample queue and its low-priority uploader. */
export interface AgentCapture {
  rules: CaptureRules;
  queue: SampleQueue;
  /** The counters now (cumulative since start; the queue as it is). */
  counters(): CaptureCounters;
  /** Whether the capture ever ran in this process or has samples waiting (the counters are worth reporting). */
  active(): boolean;
  /** Something that may let an upload go happened (a telemetry window acknowledged). */
  notify(): void;
  start(): void;
  /** Stores what was chosen, stops uploading, closes `capture.db`. */
  close(): Promise<void>;
}

/**
 * Opens `capture.db` and wires the capture. A store that cannot be opened (a broken disk) turns capture off for
 * this run: serving never depends on it (counted as one store failure, logged).
 */
export function createCapture(deps: CaptureDeps): AgentCapture {
  const now = deps.now ?? Date.now;
  const counters = emptyCaptureCounters();
  let store: CaptureStore;
  try {
    store = new CaptureStore(join(deps.dataDir, 'capture.db'));
  } catch (err) {
    counters.dropped.storeFailed++;
    deps.logger.error({ err: (err as Error).message }, 'capture store failed to open; nothing is captured');
    return disabled(counters, deps);
  }
  const budget = new CaptureBudget(store, now);
  if (budget.problem) deps.logger.warn({ problem: budget.problem }, 'capture budget day restarted');
  const queue = new SampleQueue(store, counters, deps.queueMaxBytes, now);
  const uploader = deps.upload ? new SampleUploader(queue, counters, deps.upload, deps.logger) : null;
  const rules = new CaptureRules({
    clientId: deps.clientId,
    policy: deps.policy,
    budget,
    queue,
    counters,
    random: deps.random ?? Math.random,
    now,
    onQueued: () => uploader?.notify(),
    logger: deps.logger,
  });
  let retentionDays = DEFAULT_RETENTION_DAYS;
  const expire = () => {
    retentionDays = deps.policy()?.clientRetentionDays ?? retentionDays;
    queue.expire(retentionDays);
  };
  let timer: NodeJS.Timeout | null = null;
  return {
    rules,
    queue,
    counters: () => structuredClone(counters),
    active: () => deps.policy() !== undefined || queue.size.samples > 0 || counters.uploaded > 0,
    notify: () => uploader?.notify(),
    start() {
      expire();
      timer = setInterval(expire, EXPIRE_EVERY_MS);
      timer.unref();
      uploader?.start();
    },
    async close() {
      if (timer) clearInterval(timer);
      await rules.drain();
      await uploader?.stop();
      store.close();
    },
  };
}

function disabled(counters: CaptureCounters, deps: CaptureDeps): AgentCapture {
  const store = {
    readDay: () => undefined,
    writeDay: () => {
      throw new Error('capture store unavailable');
    },
    totals: () => ({ samples: 0, bytes: 0 }),
  } as unknown as CaptureStore;
  const queue = new SampleQueue(store, counters, 0, Date.now);
  const rules = new CaptureRules({
    clientId: deps.clientId,
    policy: () => undefined,
    budget: new CaptureBudget(store, Date.now),
    queue,
    counters,
    random: Math.random,
    now: Date.now,
    onQueued: () => undefined,
    logger: deps.logger,
  });
  return {
    rules,
    queue,
    counters: () => structuredClone(counters),
    active: () => true,
    notify: () => undefined,
    start: () => undefined,
    close: async () => undefined,
  };
}
