// Concept drift on the labelled error stream: the share of operator labels that disagree with the model's answer,
// per hour, through the same self-starting CUSUM as the change alerts (ChangeDetector's error-rate stream, each
// batch scored against every earlier batch pooled). Labels are scarce, so hours are pooled into one batch until
// it holds `minLabels`: a batch is never scored on a handful of labels, and fewer batches than hours only lowers
// the false-alarm rate the design states per hour. concept-drift-simulation.ts shows both error rates.

import { ChangeDetector } from './change-streams';
import { type CusumDesign, designCusum } from './cusum';

/** Hours per day: the design's windows per day (a batch spans one hour or more, so this is the upper bound). */
export const CONCEPT_DRIFT_WINDOWS_PER_DAY = 24;

/** Options of {@link ConceptDriftDetector}. */
export interface ConceptDriftOptions {
  /** Expected false alerts per day of one stream (a version, or a version in one slice). */
  falseAlarmsPerDay: number;
  /** Fewest labels a batch pools before it is scored. Default 100. */
  minLabels?: number;
  /** Batches that only build the reference before the first score. Default 6. */
  warmupBatches?: number;
}

/** One batch of labels as the detector saw it. */
interface Batch {
  t: number;
  labelled: number;
  wrong: number;
}

/** Where a concept-drift stream stands. */
export interface ConceptDriftView {
  alarm: boolean;
  /** The alert holds: the CUSUM alarmed and is not back at 0 yet. */
  open: boolean;
  cusum: number;
  /** Start of the first batch of the current excursion (the estimated start of the change); null at rest. */
  sinceMs: number | null;
  /** Error rate of the labels before `sinceMs` and from it on (null without labels there). */
  before: { labelled: number; wrong: number; rate: number | null };
  after: { labelled: number; wrong: number; rate: number | null };
  batches: number;
}

const rate = (wrong: number, labelled: number) => (labelled === 0 ? null : wrong / labelled);

/**
 * A Bernoulli CUSUM over the labelled error stream of one version (or one slice of it). Feed it hours in time
 * order with their labels and wrong labels.
 * @example const d = new ConceptDriftDetector({ falseAlarmsPerDay: 0.01 }); d.observeHour(t, 120, 9); d.view();
 */
export class ConceptDriftDetector {
  readonly design: CusumDesign;
  private readonly detector: ChangeDetector;
  private readonly minLabels: number;
  private pending: Batch | null = null;
  private readonly batches: Batch[] = [];

  constructor(options: ConceptDriftOptions) {
    this.design = designCusum({
      windowsPerDay: CONCEPT_DRIFT_WINDOWS_PER_DAY,
      falseAlarmsPerDay: options.falseAlarmsPerDay,
      streams: 1,
    });
    this.minLabels = options.minLabels ?? 100;
    this.detector = new ChangeDetector({
      design: this.design,
      minCount: 1,
      warmupWindows: options.warmupBatches ?? 6,
    });
  }

  /** Alerts raised so far (an alert opens at an alarm and closes when the CUSUM is back at 0). */
  get raised(): number {
    return this.detector.raised;
  }

  /** Adds one hour's labels (`wrong` of `labelled` disagree with the model); scores a batch once it is full. */
  observeHour(t: number, labelled: number, wrong: number): void {
    if (!(Number.isInteger(labelled) && Number.isInteger(wrong) && wrong >= 0 && wrong <= labelled))
      throw new RangeError(
        `observeHour: expected integers 0 <= wrong <= labelled, got ${wrong} of ${labelled}`,
      );
    if (labelled === 0) return;
    const b = this.pending ?? { t, labelled: 0, wrong: 0 };
    b.labelled += labelled;
    b.wrong += wrong;
    this.pending = b;
    if (b.labelled < this.minLabels) return;
    this.pending = null;
    this.batches.push(b);
    this.detector.observe({
      t: b.t,
      inferences: b.labelled,
      errors: b.wrong,
      latency: null,
      distributions: new Map(),
    });
  }

  /** Where the stream stands after the last full batch. */
  view(): ConceptDriftView {
    const s = this.detector.views()[0];
    const sinceMs = s?.sinceMs ?? null;
    const before = { labelled: 0, wrong: 0 };
    const after = { labelled: 0, wrong: 0 };
    for (const b of this.batches) {
      const side = sinceMs !== null && b.t >= sinceMs ? after : before;
      side.labelled += b.labelled;
      side.wrong += b.wrong;
    }
    return {
      alarm: s?.alarm ?? false,
      open: this.detector.open,
      cusum: s?.cusum ?? 0,
      sinceMs,
      before: { ...before, rate: rate(before.wrong, before.labelled) },
      after: { ...after, rate: rate(after.wrong, after.labelled) },
      batches: this.batches.length,
    };
  }
}
