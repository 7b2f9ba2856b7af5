import {
  type CaptureCounters,
  type CapturePolicy,
  type CaptureReason,
  captureReasons,
  type SampleMeta,
} from '@edgefleet/shared/capture';
import type { FeatureSpec } from '@edgefleet/shared/profile';
import type { InferInput } from '../inference/input';
import type { Store } from '../storage/db';
import { encodeSnapshot, type Snapshot, snapshotInput } from './encode';
import { type BrowserCaptureCounters, emptyCounters, SampleStore } from './store';
import type { UploadVerdict } from './upload';
import { Uploader } from './uploader';

/** One inference as capture sees it (called synchronously from `infer`, before the caller gets the answer). */
export interface InferenceSeen {
  input: InferInput;
  model: { name: string; version: string };
  predictionId: string;
  top?: { label: string; confidence: number; margin: number };
  /** Input feature values (those the profile measures), computed on demand. */
  features: () => Readonly<Record<string, number>>;
  /** The version's baseline input features (their edges bound the baseline range). */
  inputs: readonly FeatureSpec[];
}

/** Queue bounds and upload pacing (`RuntimeOptions.capture`). */
export interface CaptureOptions {
  /** Most samples waiting in IndexedDB (default 200); more are dropped and counted. */
  maxQueuedSamples?: number;
  /** Most bytes waiting in IndexedDB (default 20 MB). */
  maxQueuedBytes?: number;
  /** First retry delay after a failed upload (default 5 s), doubling up to `maxRetryMs` (default 5 min). */
  retryMs?: number;
  maxRetryMs?: number;
  /** Pause after each upload per kB sent (default 1 ms/kB: about 1 MB/s at most). */
  paceMsPerKb?: number;
  /** Inputs kept in memory for a later disagreeing label (default 16). */
  keepInputs?: number;
}

/**
 * Capture state in `rt.status().capture`: the counters every client reports in telemetry (`captureCountersSchema`;
 * cumulative since this browser's storage was created) and the browser's own (refusals by HTTP status,
 * disagreement labels whose input was gone).
 */
export type CaptureStatus = BrowserCaptureCounters;

export interface CaptureDeps {
  db: Store;
  server: string;
  key: string;
  clientId: string;
  telemetryPending: () => Promise<boolean>;
  /**
   * The sample schema's size bound (`MAX_SAMPLE_BYTES`), handed in by the runtime: the chunk imports no module
   * the base bundle has (the server checks the rest of the metadata: a 422 is dropped and counted).
   */
  maxSampleBytes: number;
  options?: CaptureOptions;
  now?: () => number;
  random?: () => number;
}

const DAY_MS = 86_400_000;
/** Captures waiting to be encoded at once; more are dropped (`dropped.backlog`), so memory stays bounded. */
const MAX_ENCODING = 16;

interface Kept {
  snapshot: Snapshot;
  seen: Omit<InferenceSeen, 'input' | 'inputs' | 'features'> & { features: Readonly<Record<string, number>> };
  capturedAt: number;
}

/**
 * Follows a model's capture policy: picks inferences by the shared `captureReasons`, copies and encodes their
 * input, queues them in IndexedDB under the shared daily budget, and uploads them behind telemetry.
 */
export class Capture {
  private policy: CapturePolicy | undefined;
  private readonly store: SampleStore;
  private readonly uploader: Uploader;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly bound: { maxSamples: number; maxBytes: number };
  private readonly keepInputs: number;
  /** Recent inputs by prediction id (insertion order = age), for disagreement. */
  private readonly recent = new Map<string, Kept>();
  /** Captures being encoded (bounded by MAX_ENCODING). */
  private readonly encoding = new Set<Promise<void>>();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** The counters as last written (telemetry reads them synchronously when a window closes). */
  private last: BrowserCaptureCounters = emptyCounters();

  constructor(private readonly deps: CaptureDeps) {
    const o = deps.options ?? {};
    this.store = new SampleStore(deps.db);
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.bound = { maxSamples: o.maxQueuedSamples ?? 200, maxBytes: o.maxQueuedBytes ?? 20_000_000 };
    this.keepInputs = o.keepInputs ?? 16;
    this.uploader = new Uploader({
      store: this.store,
      server: deps.server,
      key: deps.key,
      telemetryPending: deps.telemetryPending,
      retryMs: o.retryMs ?? 5_000,
      maxRetryMs: o.maxRetryMs ?? 300_000,
      paceMsPerKb: o.paceMsPerKb ?? 1,
      onVerdict: (entry, verdict) => this.settle(entry.sha256, verdict),
    });
    addEventListener('online', this.onOnline);
    // The counters an earlier page left (and the queue it left) are what the first window reports.
    void this.count(() => undefined).catch(() => undefined);
  }

  /** Sets (or, undefined, withdraws) the policy; queued samples keep uploading either way. */
  setPolicy(policy: CapturePolicy | undefined): void {
    this.policy = policy;
    if (!policy?.disagreement) this.recent.clear();
    void this.expire().then(() => this.uploader.kick());
  }

  /** Decides whether to capture one inference; copies its input synchronously when it does. Never throws. */
  seen(inference: InferenceSeen): void {
    const policy = this.policy;
    if (!policy || this.closed) return;
    const { input, inputs, features: featuresOf, ...rest } = inference;
    let features = policy.outOfRange ? featuresOf() : undefined;
    const reasons = captureReasons(policy, { ...rest, features: features ?? {} }, inputs, this.random);
    const keep = policy.disagreement === true && rest.top !== undefined;
    if (reasons.length === 0 && !keep) return;
    if (reasons.length > 0 && this.encoding.size >= MAX_ENCODING) {
      void this.count((c) => {
        c.dropped.overflow += 1;
      });
      if (!keep) return;
    }
    let snapshot: Snapshot;
    try {
      snapshot = snapshotInput(input, policy.maxSidePx);
    } catch {
      void this.count((c) => {
        c.dropped.storeFailed += 1;
      });
      return;
    }
    features ??= featuresOf();
    const seen = { ...rest, features };
    const kept: Kept = { snapshot, seen, capturedAt: this.now() };
    if (keep) {
      this.recent.set(rest.predictionId, kept);
      for (const id of this.recent.keys()) {
        if (this.recent.size <= this.keepInputs) break;
        this.recent.delete(id);
      }
    }
    if (reasons.length > 0 && this.encoding.size < MAX_ENCODING) this.enqueue(kept, reasons);
  }

  /** An operator's label was counted for `predictionId`: a disagreement captures the input kept for it. */
  labelled(predictionId: string, label: string): void {
    const policy = this.policy;
    if (!policy?.disagreement || this.closed) return;
    const kept = this.recent.get(predictionId);
    this.recent.delete(predictionId);
    if (!kept) {
      void this.count((c) => {
        c.disagreementInputGone += 1;
      });
      return;
    }
    if (kept.seen.top && kept.seen.top.label !== label) this.enqueue(kept, ['disagreement'], label);
  }

  async status(): Promise<CaptureStatus> {
    await Promise.all(this.encoding);
    // Read as one serial task: an upload's delete and its count (one task too) are both seen or neither.
    let status: CaptureStatus | undefined;
    await this.serial(async () => {
      status = { ...(await this.store.counters()), queue: await this.store.depth() };
    });
    return status!;
  }

  /** The shared counters as last written (for the telemetry window closing now; no I/O). */
  counters(): CaptureCounters {
    const { rejectedByStatus: _r, disagreementInputGone: _d, ...shared } = this.last;
    return structuredClone(shared);
  }

  /** Resolves when every capture so far is queued (or dropped) and the current upload pass has ended. */
  async settled(): Promise<void> {
    await Promise.all(this.encoding);
    await this.chain;
    await this.uploader.settled();
  }

  /** Starts an upload pass now (e.g. after telemetry went out). */
  kick(): void {
    this.uploader.kick();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.uploader.close();
    removeEventListener('online', this.onOnline);
    // What was captured before close is queued (and uploaded by the next page).
    await Promise.all(this.encoding);
    await this.chain.catch(() => undefined);
  }

  private readonly onOnline = (): void => this.uploader.kick();

  private enqueue(kept: Kept, reasons: CaptureReason[], label?: string): void {
    const policy = this.policy;
    if (!policy) return;
    const done = this.queue(policy, kept, reasons, label).finally(() => this.encoding.delete(done));
    this.encoding.add(done);
  }

  private async queue(
    policy: CapturePolicy,
    kept: Kept,
    reasons: CaptureReason[],
    label?: string,
  ): Promise<void> {
    const encoded = await encodeSnapshot(kept.snapshot).catch(() => undefined);
    const { seen } = kept;
    const meta: SampleMeta | undefined = encoded && {
      v: 1,
      clientId: this.deps.clientId,
      sha256: encoded.sha256,
      contentType: encoded.contentType,
      sizeBytes: encoded.content.byteLength,
      ...(encoded.width ? { width: encoded.width, height: encoded.height } : {}),
      model: seen.model,
      capturedAt: kept.capturedAt,
      reasons,
      ...(seen.top ? { top: [{ label: seen.top.label, confidence: seen.top.confidence }] } : {}),
      features: finiteFeatures(seen.features),
      predictionId: seen.predictionId,
      ...(label !== undefined ? { label } : {}),
    };
    if (!encoded || !meta || encoded.content.byteLength > this.deps.maxSampleBytes) {
      await this.count((c) => {
        // Not encodable (a storage-side failure, as the agent counts a failed decode), or over the size bound.
        if (encoded && meta) c.dropped.overflow += 1;
        else c.dropped.storeFailed += 1;
      });
      return;
    }
    await this.serial(async () => {
      const entry = { sha256: encoded.sha256, meta, content: encoded.content, queuedAt: this.now() };
      const outcome = await this.store
        .add(entry, policy.budget, this.bound, this.now(), this.uploader.current)
        .catch(() => ({ kind: 'storage' as const }));
      await this.count((c) => {
        const kind = outcome.kind;
        if (kind === 'added') {
          for (const reason of reasons) c.captured[reason] += 1;
          c.dropped.evicted += outcome.evicted;
        } else if (kind === 'full') c.dropped.overflow += 1;
        else if (kind === 'storage') c.dropped.storeFailed += 1;
        else if (kind !== 'duplicate') c.refused[kind] += 1;
        // A duplicate (the same content still queued) is kept once and costs nothing: not counted, as on the agent.
      }, false);
    });
    this.uploader.kick();
  }

  /** Drops samples older than the policy's retention (counted). */
  private expire(): Promise<void> {
    const days = this.policy?.clientRetentionDays;
    if (!days) return Promise.resolve();
    return this.serial(async () => {
      const dropped = await this.store.delete({ queuedBefore: this.now() - days * DAY_MS });
      if (dropped > 0)
        await this.count((c) => {
          c.dropped.retention += dropped;
        }, false);
    });
  }

  private async settle(sha256: string, verdict: UploadVerdict): Promise<void> {
    if (verdict.kind === 'retry') return;
    // One serial task: a status read never sees the sample gone but not yet counted.
    await this.serial(async () => {
      await this.store.delete({ sha256 });
      await this.count((c) => {
        if (verdict.kind === 'delivered' && verdict.status === 200) c.duplicates += 1;
        else if (verdict.kind === 'delivered') c.uploaded += 1;
        else {
          c.dropped.rejected += 1;
          c.rejectedByStatus[verdict.status] = (c.rejectedByStatus[verdict.status] ?? 0) + 1;
        }
      }, false);
    });
    // Retention also runs between uploads, so a long-lived page drops what waited too long.
    await this.expire();
  }

  /** Runs `task` after every earlier store task (one writer per tab keeps counters exact). */
  private serial(task: () => Promise<void>): Promise<void> {
    const next = this.chain.then(task);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Updates the persisted counters (serialised, unless already inside a serial task). */
  private count(update: (c: BrowserCaptureCounters) => void, serialise = true): Promise<void> {
    const write = async () => {
      const counters = await this.store.counters();
      update(counters);
      counters.queue = await this.store.depth();
      await this.store.setCounters(counters);
      this.last = counters;
    };
    return serialise ? this.serial(write) : write();
  }
}

/** The finite feature values, at most 64 (the sample schema's bound). */
function finiteFeatures(features: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(features).slice(0, 64))
    if (Number.isFinite(value)) out[name] = value;
  return out;
}
