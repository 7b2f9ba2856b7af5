import {
  LABEL_REFUSAL_KIND,
  type LabelCount,
  labelRefusalMessage,
  type ModelVersionId,
  type WindowRefusal,
} from '@edgefleet/shared';
import { RuntimeError } from '../errors';
import type { PredictionClaims } from './predictions';

/** Longest prediction id and label `feedback` takes (as the agent's `POST /v1/feedback`). */
export const MAX_PREDICTION_ID_CHARS = 64;
export const MAX_LABEL_CHARS = 128;

/** The open telemetry window of one model version, as a label is counted into it. */
export interface LabelWindow {
  readonly model: ModelVersionId;
  countLabel(label: LabelCount): { ok: true } | { ok: false; refusal: WindowRefusal };
}

/** What `rt.feedback` resolves with. */
export interface FeedbackResult {
  predictionId: string;
  counted: true;
}

/** Counters of the label path (in `rt.status().feedback`). */
export interface FeedbackCounters {
  labelsCounted: number;
  /** Refused labels by error kind. */
  refused: Record<string, number>;
}

/**
 * Operator labels in the browser: each is checked against its kept prediction (shared rules), claimed once in
 * IndexedDB, and counted once into the open window of the version that made the prediction (the shared
 * window counting). A label the window cannot take (`window_full`) is given back, so it may be sent again.
 */
export class FeedbackIntake {
  readonly counters: FeedbackCounters = { labelsCounted: 0, refused: {} };

  constructor(
    private readonly claims: PredictionClaims,
    /** The open window of `model`'s version on this page, if it has one. */
    private readonly windowOf: (model: ModelVersionId) => LabelWindow | undefined,
  ) {}

  /** Counts one label or rejects with a {@link RuntimeError} whose kind says why not. */
  async submit(predictionId: unknown, label: unknown): Promise<FeedbackResult> {
    if (
      typeof predictionId !== 'string' ||
      predictionId.length === 0 ||
      predictionId.length > MAX_PREDICTION_ID_CHARS
    )
      throw this.refuse(
        'input_invalid',
        `expected predictionId to be a string of 1 to ${MAX_PREDICTION_ID_CHARS} chars, got ${describe(predictionId)}`,
      );
    if (typeof label !== 'string' || label.length === 0 || label.length > MAX_LABEL_CHARS)
      throw this.refuse(
        'input_invalid',
        `expected label to be a string of 1 to ${MAX_LABEL_CHARS} chars, got ${describe(label)}`,
      );
    await this.claims.settled();
    let claimed: Awaited<ReturnType<PredictionClaims['claim']>>;
    try {
      claimed = await this.claims.claim(predictionId, label);
    } catch (error) {
      throw this.refuse('storage', `could not read the kept prediction: ${String(error)}`);
    }
    if (!claimed.ok) throw this.refuse(LABEL_REFUSAL_KIND[claimed.refusal], claimed.message);
    const { record, trueIndex } = claimed;
    const window = this.windowOf(record.model);
    const counted = window
      ? window.countLabel({
          trueIndex,
          predictedIndex: record.predictedIndex,
          route: record.route,
          confidence: record.confidence,
        })
      : ({ ok: false, refusal: 'window_full' } as const);
    if (!counted.ok) {
      // Given back so that it can come again; a failed give-back leaves it claimed: lost, never counted twice.
      await this.claims.unclaim(predictionId).catch(() => undefined);
      const message =
        counted.refusal === 'bad_index'
          ? `prediction ${predictionId} names a class its window does not have`
          : window
            ? labelRefusalMessage.window_full(record.model)
            : `no open window of ${record.model.name}@${record.model.version} on this page (it serves another version now, or telemetry is off): a label counts only into a window of the version that made the prediction`;
      throw this.refuse(counted.refusal === 'bad_index' ? 'invalid_label' : 'window_full', message);
    }
    this.counters.labelsCounted++;
    return { predictionId, counted: true };
  }

  private refuse(kind: RuntimeError['kind'], message: string): RuntimeError {
    this.counters.refused[kind] = (this.counters.refused[kind] ?? 0) + 1;
    return new RuntimeError(kind, message);
  }
}

const describe = (value: unknown): string =>
  typeof value === 'string' ? `${value.length} chars` : value === null ? 'null' : typeof value;
