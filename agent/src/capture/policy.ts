import {
  type CaptureCounters,
  type CapturePolicy,
  type CaptureReason,
  captureReasons,
  MAX_SAMPLE_BYTES,
  type SampleMeta,
  sampleMetaSchema,
} from '@edgefleet/shared/capture';
import type { Logger } from 'pino';
import type { Disagreement } from '../feedback';
import type { ObservedInference } from '../serving/engine';
import type { CaptureBudget } from './budget';
import { sampleContent, tensorSampleContent } from './content';
import type { SampleQueue } from './queue';

/** Captures waiting for their content to be stored; beyond it a capture is dropped and counted as overflow. */
export const MAX_PENDING_CAPTURES = 16;

/** One capture chosen by a rule, before its content is stored. */
interface Chosen {
  reasons: CaptureReason[];
  /** An encoded image (PNG, JPEG), or a copy of a tensor input's raw bytes (`tensor`). */
  encoded: Uint8Array;
  tensor?: true;
  size?: { width: number; height: number };
  meta: Omit<SampleMeta, 'sha256' | 'contentType' | 'sizeBytes' | 'width' | 'height'>;
  /** The predicted class (per-class quotas count it). */
  predicted?: string;
}

/** What {@link CaptureRules} needs. */
export interface CaptureRulesDeps {
  clientId: string;
  /** The capture policy in force (the applied desired state's), or undefined: nothing is captured. */
  policy: () => CapturePolicy | undefined;
  budget: CaptureBudget;
  queue: SampleQueue;
  counters: CaptureCounters;
  /** A uniform draw in [0, 1) for the random ε-sample. */
  random: () => number;
  now: () => number;
  /** Hears each sample queued. */
  onQueued: () => void;
  logger: Logger;
}

/**
 * Applies the capture policy: on each active inference (after its answer, with the features telemetry computed)
 * the shared {@link captureReasons} decides, and on each operator label that differs from its prediction the
 * `disagreement` rule. A chosen sample is stored later, one at a time, off the inference path: an image downscaled
 * if the policy says so, a tensor input as its raw bytes; hashed, admitted by the daily budget (persisted), queued
 * (evicting older samples as {@link SampleQueue} allows).
 */
export class CaptureRules {
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(private readonly deps: CaptureRulesDeps) {}

  /** The engine's hook: decides in microseconds, stores later. */
  readonly observeInference = (inference: ObservedInference): void => {
    const policy = this.deps.policy();
    if (!policy) return;
    const { top, features = {}, input } = inference;
    const reasons = captureReasons(
      policy,
      { ...(top ? { top } : {}), features },
      inference.inputs,
      this.deps.random,
    );
    if (reasons.length === 0) return;
    // An image as it was sent; a tensor's raw bytes, copied now (the caller's tensor is only valid during the call).
    let content: Pick<Chosen, 'encoded' | 'size' | 'tensor'>;
    if (input.kind === 'tensor') {
      const { buffer, byteOffset, byteLength } = input.tensor.data;
      content = { encoded: Buffer.from(new Uint8Array(buffer, byteOffset, byteLength)), tensor: true };
    } else if (input.encoded) {
      content = { encoded: input.encoded, size: { width: input.image.width, height: input.image.height } };
    } else return;
    const kept: Record<string, number> = {};
    for (const spec of inference.inputs.slice(0, 64)) {
      const value = features[spec.name];
      if (value !== undefined && Number.isFinite(value)) kept[spec.name] = value;
    }
    this.schedule({
      reasons,
      ...content,
      ...(top ? { predicted: top.label } : {}),
      meta: {
        v: 1,
        clientId: this.deps.clientId,
        model: inference.model,
        capturedAt: inference.createdMs,
        reasons,
        ...(top ? { top: [{ label: top.label, confidence: top.confidence }] } : {}),
        ...(Object.keys(kept).length > 0 ? { features: kept } : {}),
        predictionId: inference.predictionId,
      },
    });
  };

  /** The feedback path's hook: an operator's label that differs from the prediction, while its image is kept. */
  readonly observeDisagreement = (d: Disagreement): void => {
    if (!this.deps.policy()?.disagreement) return;
    const image = d.image();
    if (!image) return;
    const predicted = d.record.classes[d.record.predictedIndex];
    this.schedule({
      reasons: ['disagreement'],
      encoded: image.bytes,
      ...(predicted !== undefined ? { predicted } : {}),
      meta: {
        v: 1,
        clientId: this.deps.clientId,
        model: d.record.model,
        capturedAt: this.deps.now(),
        reasons: ['disagreement'],
        ...(predicted !== undefined ? { top: [{ label: predicted, confidence: d.record.confidence }] } : {}),
        predictionId: d.record.predictionId,
        label: d.label,
      },
    });
  };

  /** Resolves once every chosen sample is stored or refused (tests, shutdown). */
  async drain(): Promise<void> {
    for (let chain = this.chain; ; chain = this.chain) {
      await chain;
      if (chain === this.chain) return;
    }
  }

  private schedule(chosen: Chosen): void {
    if (this.pending >= MAX_PENDING_CAPTURES) {
      this.deps.counters.dropped.overflow++;
      return;
    }
    this.pending++;
    // Already after the answer (the engine's deferred observations): stored in this turn of the event loop,
    // so it does not land on the next request; a downscale goes to sharp's thread pool.
    this.chain = this.chain
      .then(() => this.store(chosen))
      .catch((err: Error) => {
        this.deps.counters.dropped.storeFailed++;
        this.deps.logger.warn({ err: err.message }, 'sample capture failed');
      })
      .finally(() => {
        this.pending--;
      });
  }

  private async store(chosen: Chosen): Promise<void> {
    const { counters, queue, budget } = this.deps;
    const policy = this.deps.policy();
    if (!policy) return;
    const content = chosen.tensor
      ? tensorSampleContent(Buffer.from(chosen.encoded))
      : await sampleContent(chosen.encoded, chosen.size, policy.maxSidePx);
    const sizeBytes = content.bytes.length;
    // Already waiting (the same input again): no second sample, no budget spent.
    if (queue.has(content.sha256)) return;
    const randomOnly = chosen.reasons.length === 1 && chosen.reasons[0] === 'random';
    if (sizeBytes > MAX_SAMPLE_BYTES || !queue.roomFor(sizeBytes, randomOnly)) {
      counters.dropped.overflow++;
      return;
    }
    const refused = budget.admit(policy.budget, {
      sizeBytes,
      ...(chosen.predicted !== undefined ? { label: chosen.predicted } : {}),
    });
    if (refused) {
      counters.refused[refused]++;
      return;
    }
    const meta = sampleMetaSchema.parse({
      ...chosen.meta,
      sha256: content.sha256,
      contentType: content.contentType,
      sizeBytes,
      ...(content.width ? { width: content.width, height: content.height } : {}),
    });
    const outcome = queue.enqueue(
      {
        sha256: content.sha256,
        capturedMs: meta.capturedAt,
        sizeBytes,
        meta: JSON.stringify(meta),
        content: content.bytes,
      },
      randomOnly,
    );
    if (outcome !== 'queued') return;
    for (const reason of chosen.reasons) counters.captured[reason]++;
    this.deps.onQueued();
  }
}
