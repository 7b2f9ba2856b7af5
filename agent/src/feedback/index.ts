import { join } from 'node:path';
import { LABEL_REFUSAL_KIND, labelRefusalMessage } from '@edgefleet/shared';
import type { Logger } from 'pino';
import { AgentError } from '../errors';
import type { TelemetryWindows } from '../telemetry/windows';
import { type ReviewImage, ReviewImageStore } from './review-images';
import { type PredictionRecord, PredictionStore } from './store';

export type { ReviewImage } from './review-images';
export type { PredictionRecord } from './store';

/** A prediction to keep, with the encoded image it was made on (kept only when it goes to review). */
export type KeptPrediction = PredictionRecord & { image?: Uint8Array };

/** Most pending reviews one `GET /v1/review` lists. */
export const MAX_REVIEW_LIST = 500;

/** An operator's label that differs from the prediction, heard before the prediction's review image is deleted. */
export interface Disagreement {
  record: PredictionRecord;
  label: string;
  /** The prediction's kept review image, while it is still kept (read it during the call). */
  image: () => ReviewImage | undefined;
}

/** Counters of the feedback path (also in `/v1/status`). */
export interface FeedbackCounters {
  predictionsKept: number;
  /** Predictions that could not be kept (storage failure): their labels will be refused as unknown. */
  storeFailures: number;
  labelsCounted: number;
  refused: Record<string, number>;
  /** The images of predictions routed to review (`--review-image-bytes`). */
  reviewImages: {
    kept: number;
    /** Evicted to stay within the byte budget before anyone labelled them. */
    evicted: number;
    /** Not kept: larger than the whole budget, or not a PNG/JPEG. */
    skipped: number;
    /** Not kept because storage failed (e.g. a full disk); serving went on. */
    storeFailures: number;
    sizeBytes: number;
    maxBytes: number;
  };
}

/** Options of {@link OperatorFeedback}. */
export interface FeedbackOptions {
  dataDir: string;
  ttlMs: number;
  maxPredictions: number;
  /** Byte budget of kept review images; 0 or absent keeps none. */
  reviewImageBytes?: number;
  now?: () => number;
}

/**
 * Operator feedback on the agent: keeps each classifier prediction for late labels and counts each label
 * once into the open window of the version that made the prediction (see {@link TelemetryWindows.addLabel}).
 */
export class OperatorFeedback {
  readonly counters: FeedbackCounters = {
    predictionsKept: 0,
    storeFailures: 0,
    labelsCounted: 0,
    refused: {},
    reviewImages: { kept: 0, evicted: 0, skipped: 0, storeFailures: 0, sizeBytes: 0, maxBytes: 0 },
  };
  private readonly store: PredictionStore;
  private readonly images: ReviewImageStore | null = null;
  /** Hears each counted label that differs from its prediction (the agent's data capture); never breaks a label. */
  onDisagreement: ((d: Disagreement) => void) | null = null;

  constructor(
    opts: FeedbackOptions,
    private readonly windows: TelemetryWindows,
    private readonly logger: Logger,
  ) {
    this.store = new PredictionStore(join(opts.dataDir, 'predictions.db'), opts);
    const maxBytes = opts.reviewImageBytes ?? 0;
    this.counters.reviewImages.maxBytes = maxBytes;
    if (maxBytes > 0) {
      try {
        this.images = new ReviewImageStore(join(opts.dataDir, 'review-images.db'), {
          maxBytes,
          ttlMs: opts.ttlMs,
          ...(opts.now ? { now: opts.now } : {}),
        });
        this.counters.reviewImages.sizeBytes = this.images.sizeBytes;
      } catch (err) {
        // Review without images still works: the operator sees the suggestion and the classes.
        this.counters.reviewImages.storeFailures++;
        this.logger.error(
          { err: (err as Error).message },
          'review image store failed to open; no images kept',
        );
      }
    }
  }

  /** Keeps a prediction (and its image when it goes to review); never throws (serving never depends on it). */
  readonly remember = (record: KeptPrediction): void => {
    const { image, ...prediction } = record;
    try {
      this.store.record(prediction);
      this.counters.predictionsKept++;
    } catch (err) {
      if (this.counters.storeFailures++ === 0)
        this.logger.error(
          { err: (err as Error).message },
          'prediction store failed; labels for them will be refused',
        );
      return;
    }
    if (image && record.route === 'review' && this.images) this.keepImage(record, image);
  };

  private keepImage(record: PredictionRecord, image: Uint8Array): void {
    const counters = this.counters.reviewImages;
    const images = this.images!;
    try {
      const evictedBefore = images.evicted;
      const outcome = images.put(record.predictionId, record.createdMs, image);
      if (outcome === 'kept') counters.kept++;
      else counters.skipped++;
      counters.evicted += images.evicted - evictedBefore;
      counters.sizeBytes = images.sizeBytes;
    } catch (err) {
      if (counters.storeFailures++ === 0)
        this.logger.error(
          { err: (err as Error).message },
          'review image store failed; those reviews show no image',
        );
    }
  }

  /** The kept image of a prediction awaiting review; undefined once labelled, evicted, expired or never kept. */
  reviewImage(predictionId: string): ReviewImage | undefined {
    try {
      return this.images?.get(predictionId);
    } catch {
      this.counters.reviewImages.storeFailures++;
      return undefined;
    }
  }

  /** Whether a prediction awaiting review has its image kept. */
  hasReviewImage(predictionId: string): boolean {
    try {
      return this.images?.has(predictionId) ?? false;
    } catch {
      return false;
    }
  }

  /** Counts one label, or throws an {@link AgentError} saying why not (404, 409, 410, 422, 429). */
  submit(predictionId: string, label: string): { predictionId: string; counted: true } {
    // Predictions are kept with the window's deferred observations: a label right after its answer finds it.
    this.windows.runDeferred();
    const claimed = this.store.claim(predictionId, label);
    if (!claimed.ok) throw this.refuse(LABEL_REFUSAL_KIND[claimed.refusal], claimed.message);
    const { record, trueIndex } = claimed;
    const counted = this.windows.addLabel({
      modelLabel: `${record.model.name}@${record.model.version}`,
      trueIndex,
      predictedIndex: record.predictedIndex,
      route: record.route,
      confidence: record.confidence,
    });
    if (!counted.ok) {
      this.store.unclaim(predictionId);
      if (counted.refusal === 'bad_index')
        throw new AgentError('internal', `prediction ${predictionId} names a class its window does not have`);
      throw this.refuse('window_full', labelRefusalMessage.window_full(record.model));
    }
    this.counters.labelsCounted++;
    if (this.onDisagreement && record.classes[record.predictedIndex] !== label) {
      try {
        this.onDisagreement({ record, label, image: () => this.reviewImage(predictionId) });
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'disagreement capture failed');
      }
    }
    this.forgetImage(predictionId);
    return { predictionId, counted: true };
  }

  /** Predictions routed to review without a label yet, newest first. */
  pendingReview(limit: number): PredictionRecord[] {
    // The station page lists every few seconds: expired images leave the disk even when no new ones come.
    try {
      this.images?.expire();
      if (this.images) this.counters.reviewImages.sizeBytes = this.images.sizeBytes;
    } catch {
      this.counters.reviewImages.storeFailures++;
    }
    return this.store.pendingReview(Math.max(1, Math.min(MAX_REVIEW_LIST, limit)));
  }

  /** A labelled prediction's image is of no more use: it never stays on the device longer than needed. */
  private forgetImage(predictionId: string): void {
    try {
      this.images?.delete(predictionId);
      if (this.images) this.counters.reviewImages.sizeBytes = this.images.sizeBytes;
    } catch {
      this.counters.reviewImages.storeFailures++;
    }
  }

  private refuse(kind: ConstructorParameters<typeof AgentError>[0], message: string): AgentError {
    this.counters.refused[kind] = (this.counters.refused[kind] ?? 0) + 1;
    return new AgentError(kind, message);
  }

  close(): void {
    this.store.close();
    this.images?.close();
  }
}
