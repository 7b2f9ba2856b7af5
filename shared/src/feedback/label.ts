import type { DecisionRoute } from '../protocol/automation';
import type { ModelVersionId } from '../protocol/primitives';

/** Default time a prediction accepts a label after it was made: 24 h. */
export const DEFAULT_FEEDBACK_TTL_MS = 24 * 60 * 60 * 1000;

/** One prediction kept for a later operator label (agent: SQLite; browser: IndexedDB). */
export interface KeptPrediction {
  predictionId: string;
  createdMs: number;
  model: ModelVersionId;
  classes: readonly string[];
  /** Index of the model's top-1 class in `classes`. */
  predictedIndex: number;
  confidence: number;
  route: DecisionRoute;
  reason: string;
}

/** Why a label was not counted. */
export type LabelRefusal = 'unknown' | 'duplicate' | 'expired' | 'bad_label' | 'window_full';

/**
 * The error kind of each refusal, the same on the agent (with its HTTP status) and in the browser:
 * 404 `unknown_prediction`, 409 `duplicate_label`, 410 `label_expired`, 422 `invalid_label`, 429 `window_full`.
 */
export const LABEL_REFUSAL_KIND = {
  unknown: 'unknown_prediction',
  duplicate: 'duplicate_label',
  expired: 'label_expired',
  bad_label: 'invalid_label',
  window_full: 'window_full',
} as const satisfies Record<LabelRefusal, string>;

/** The error kind a refused label is reported with. */
export type LabelRefusalKind = (typeof LABEL_REFUSAL_KIND)[LabelRefusal];

/** A label judged against its prediction: its class index, or why it is refused. */
export type LabelJudgement =
  | { ok: true; trueIndex: number }
  | { ok: false; refusal: 'expired' | 'bad_label'; message: string };

/**
 * Judges a label against the kept prediction it names, before it is claimed: `expired` later than `ttlMs`
 * after the prediction, `bad_label` when it is not one of the version's classes. Whether it was labelled
 * before (`duplicate`) is the store's to say, atomically with the claim.
 */
export function judgeLabel(
  p: KeptPrediction,
  label: string,
  opts: { nowMs: number; ttlMs: number },
): LabelJudgement {
  const ageMs = opts.nowMs - p.createdMs;
  if (ageMs > opts.ttlMs)
    return {
      ok: false,
      refusal: 'expired',
      message: `expected a label within ${opts.ttlMs} ms of the prediction, came ${ageMs} ms after it`,
    };
  const trueIndex = p.classes.indexOf(label);
  if (trueIndex < 0)
    return {
      ok: false,
      refusal: 'bad_label',
      message: `expected a label among the classes of ${p.model.name}@${p.model.version} (${p.classes.map((c) => JSON.stringify(c)).join(', ')}), got ${JSON.stringify(label)}`,
    };
  return { ok: true, trueIndex };
}

/** The messages of the refusals {@link judgeLabel} leaves to the store and the window. */
export const labelRefusalMessage = {
  /** `why`: where predictions are made and how long they are kept, e.g. "not made on this device, or …". */
  unknown: (predictionId: string, why: string) =>
    `unknown predictionId ${JSON.stringify(predictionId)}: ${why}`,
  duplicate: (predictionId: string) => `prediction ${predictionId} already has a label`,
  window_full: (model: ModelVersionId) =>
    `the current window of ${model.name}@${model.version} already counts as many labels as it served inferences; send it again after the next window`,
};
