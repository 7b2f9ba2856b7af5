import { join } from 'node:path';
import { LABEL_REFUSAL_KIND, labelRefusalMessage } from '@edgefleet/shared';
import type { Logger } from 'pino';
import { AgentError } from '../errors';
import type { TelemetryWindows } from '../telemetry/windows';
import { type PredictionRecord, PredictionStore } from './store';

export type { PredictionRecord } from './store';

/** Most pending reviews one `GET /v1/review` lists. */
export const MAX_REVIEW_LIST = 500;

/** Counters of the feedback path (also in `/v1/status`). */
export interface FeedbackCounters {
  predictionsKept: number;
  /** Predictions that could not be kept (storage failure): their labels will be refused as unknown. */
  storeFailures: number;
  labelsCounted: number;
  refused: Record<string, number>;
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
  };
  private readonly store: PredictionStore;

  constructor(
    opts: { dataDir: string; ttlMs: number; maxPredictions: number; now?: () => number },
    private readonly windows: TelemetryWindows,
    private readonly logger: Logger,
  ) {
    this.store = new PredictionStore(join(opts.dataDir, 'predictions.db'), opts);
  }

  /** Keeps a prediction; never throws (serving never depends on it). */
  readonly remember = (record: PredictionRecord): void => {
    try {
      this.store.record(record);
      this.counters.predictionsKept++;
    } catch (err) {
      if (this.counters.storeFailures++ === 0)
        this.logger.error(
          { err: (err as Error).message },
          'prediction store failed; labels for them will be refused',
        );
    }
  };

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
    return { predictionId, counted: true };
  }

  /** Predictions routed to review without a label yet, newest first. */
  pendingReview(limit: number): PredictionRecord[] {
    return this.store.pendingReview(Math.max(1, Math.min(MAX_REVIEW_LIST, limit)));
  }

  private refuse(kind: ConstructorParameters<typeof AgentError>[0], message: string): AgentError {
    this.counters.refused[kind] = (this.counters.refused[kind] ?? 0) + 1;
    return new AgentError(kind, message);
  }

  close(): void {
    this.store.close();
  }
}
