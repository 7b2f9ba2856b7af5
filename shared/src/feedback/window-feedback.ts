import type { DecisionRoute } from '../protocol/automation';
import {
  countLabel,
  countRoute,
  emptyFeedback,
  type FeedbackAggregate,
  type LabelObservation,
} from '../protocol/feedback';

/**
 * One operator label for a kept prediction, as a window counts it (indices into the version's classes; the
 * prediction's top-1 confidence, when known, goes into the calibration bins).
 */
export type LabelCount = LabelObservation;

/** Why a window did not count a label. */
export type WindowRefusal = 'window_full' | 'bad_index';

/**
 * The operator feedback of one open window of one model version: the decision route of each inference it
 * served and each label for one of the version's predictions, counted into the shared
 * {@link FeedbackAggregate}. Agent and browser both count through this, so a label means the same on both.
 * A window never holds more labels than inferences (the server refuses such a report): a label beyond that
 * is refused as `window_full` and the caller offers it to a later window.
 * @example
 * const f = new WindowFeedback(['0', '180']);
 * f.countRoute('review');
 * f.countLabel({ trueIndex: 1, predictedIndex: 0, route: 'review' }, 1); // ok
 * f.aggregate; // { counts: [[0, 0], [1, 0]], labels: { review: { labelled: 1, correct: 0 }, … }, … }
 */
export class WindowFeedback {
  private counted: FeedbackAggregate | undefined;
  private labels = 0;

  constructor(readonly classes: readonly string[]) {}

  /** Labels counted in this window. */
  get labelled(): number {
    return this.labels;
  }

  /** Counts the route of one inference of the window and, when known, its top-1 confidence (label-free). */
  countRoute(route: DecisionRoute, confidence?: number): void {
    this.counted ??= emptyFeedback(this.classes);
    countRoute(this.counted, route, confidence);
  }

  /**
   * Counts one label, or says why not: `window_full` when the window already holds `inferences` labels
   * (the version's inferences in this window so far), `bad_index` for an index outside the classes.
   */
  countLabel(label: LabelCount, inferences: number): { ok: true } | { ok: false; refusal: WindowRefusal } {
    const k = this.classes.length;
    const inRange = (i: number) => Number.isInteger(i) && i >= 0 && i < k;
    if (!inRange(label.trueIndex) || !inRange(label.predictedIndex))
      return { ok: false, refusal: 'bad_index' };
    if (this.labels >= inferences) return { ok: false, refusal: 'window_full' };
    this.counted ??= emptyFeedback(this.classes);
    countLabel(this.counted, label);
    this.labels++;
    return { ok: true };
  }

  /** A copy of the counts, or undefined when the window counted neither a route nor a label. */
  get aggregate(): FeedbackAggregate | undefined {
    return this.counted ? structuredClone(this.counted) : undefined;
  }
}
