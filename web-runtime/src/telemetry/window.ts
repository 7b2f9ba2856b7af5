import {
  type ClassifierFeatures,
  classifierFeatures,
  type DecisionRoute,
  imageFeatures,
  type LabelCount,
  type PreprocessingSpec,
  Profile,
  type ProfileSpec,
  type RuntimeInfo,
  type SoftwareMetrics,
  type TelemetryReport,
  WindowFeedback,
  type WindowRefusal,
} from '@edgefleet/shared';
import type { OverflowCounts } from './outbox';

/** One inference as the window sees it: the input (or its features, computed earlier) and the output. */
export interface Observation {
  input?: { data: Float32Array; dims: number[]; image: boolean };
  /** Input features from {@link TelemetryWindow.inputFeatures}, when computed while the model ran. */
  features?: Record<string, number>;
  /** The first output's classifier features ({@link classifierTop}); undefined counts a null output. */
  top: ClassifierFeatures | undefined;
  /** Who decided (counted into the window's feedback aggregate when the spec names classes). */
  route?: DecisionRoute;
  preprocessMs: number;
  inferMs: number;
  totalMs: number;
}

/** Classifier features of a model's first output (top-1, confidence, margin); undefined when unreadable. */
export function classifierTop(output: {
  data: Float32Array;
  dims: number[];
}): ClassifierFeatures | undefined {
  const scores = classifierFeatures(output.data, output.dims, { item: 0 });
  return scores.ok ? scores.value : undefined;
}

/**
 * The current telemetry window of one model version: the shared `Profile` fed with the shared feature
 * extractors (image features of the input tensor, classifier features of the first output), and, for a spec
 * with classes, the shared feedback counting (decision routes and operator labels).
 */
export class TelemetryWindow {
  private profile: Profile;
  private feedback: WindowFeedback | undefined;
  private startMs: number;
  /** Observations taken off the answer's path ({@link observeSoon}), counted before anything reads the window. */
  private pending: Observation[] = [];

  constructor(
    readonly spec: ProfileSpec,
    readonly model: { name: string; version: string },
    private readonly range: { min: number; max: number },
    private readonly now: () => number = Date.now,
  ) {
    this.profile = new Profile(spec);
    this.feedback = this.newFeedback();
    this.startMs = now();
  }

  /** The classes of the version (from its profile spec), when it is a classifier. */
  get classes(): readonly string[] | undefined {
    return this.spec.classes?.length ? this.spec.classes : undefined;
  }

  private newFeedback(): WindowFeedback | undefined {
    return this.classes ? new WindowFeedback(this.classes) : undefined;
  }

  get inferences(): number {
    this.settle();
    return this.profile.inferences;
  }

  /** Nothing observed since the window opened (closing it makes no report). */
  get isEmpty(): boolean {
    this.settle();
    return this.profile.inferences === 0 && this.profile.errorCount === 0;
  }

  /** The input features the profile counts (image statistics of an image tensor; none otherwise). Pure. */
  inputFeatures(input: { data: Float32Array; dims: number[]; image: boolean }): Record<string, number> {
    if (!input.image || input.dims.length !== 4) return {};
    const features = imageFeatures(input.data, input.dims, 'NCHW', { range: this.range });
    return features.ok ? features.value : {};
  }

  /**
   * Counts an observation in a later task (its input features cost about as much as a small model's run), so
   * the answer goes out first and, in a loop of calls, the work overlaps the Worker's next run. Whatever reads
   * the window counts pending observations first.
   */
  observeSoon(o: Observation): void {
    if (this.pending.push(o) === 1) setTimeout(() => this.settle(), 0);
  }

  /** Counts the pending observations now. */
  settle(): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    this.pending = [];
    for (const o of pending) this.observe(o);
  }

  observe(o: Observation): void {
    const p = this.profile;
    p.observeInputs(o.features ?? (o.input ? this.inputFeatures(o.input) : {}));
    if (o.top) {
      p.observeOutputs({ confidence: o.top.confidence, margin: o.top.margin });
      p.observeClass(o.top.top1);
    } else p.observeOutputs(null);
    if (o.route) this.feedback?.countRoute(o.route, o.top?.confidence);
    p.observeLatency('preprocess', o.preprocessMs);
    p.observeLatency('infer', o.inferMs);
    p.observeLatency('total', o.totalMs);
  }

  recordError(kind: string): void {
    this.profile.recordError(kind);
  }

  /** Counts one operator label (see `WindowFeedback.countLabel`): never more labels than inferences. */
  countLabel(label: LabelCount): { ok: true } | { ok: false; refusal: WindowRefusal } {
    this.settle();
    return this.feedback
      ? this.feedback.countLabel(label, this.profile.inferences)
      : { ok: false, refusal: 'bad_index' };
  }

  /**
   * Closes the window: the report (without seq) if anything was observed, and a fresh window from now.
   */
  close(
    ids: { clientId: string; epoch: number; seq: number },
    runtime: RuntimeInfo,
    overflow: OverflowCounts,
    software?: SoftwareMetrics,
  ): TelemetryReport | undefined {
    this.settle();
    const p = this.profile;
    const endMs = Math.max(this.now(), this.startMs);
    const empty = p.inferences === 0 && p.errorCount === 0;
    const feedback = this.feedback?.aggregate;
    const report: TelemetryReport | undefined = empty
      ? undefined
      : {
          v: 1,
          ...ids,
          window: { startMs: this.startMs, endMs },
          model: this.model,
          role: 'active',
          specHash: p.specHash,
          profile: p.toJSON() as TelemetryReport['profile'],
          runtime,
          ...(software ? { software } : {}),
          overflow,
          ...(feedback ? { feedback } : {}),
        };
    this.profile = new Profile(this.spec);
    this.feedback = this.newFeedback();
    this.startMs = endMs;
    return report;
  }
}

/**
 * Value range of the preprocessed tensor under a preprocessing spec: pixels 0..255 through
 * `(p * scale - mean) / std`, widest over channels; `[0, 1]` for tensors given as they are.
 */
export function tensorRange(spec: PreprocessingSpec): { min: number; max: number } {
  if (spec.kind !== 'image') return { min: 0, max: 1 };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  spec.mean.forEach((mean, c) => {
    const std = spec.std[c] ?? 1;
    const lo = (0 - mean) / std;
    const hi = (255 * spec.scale - mean) / std;
    min = Math.min(min, lo, hi);
    max = Math.max(max, lo, hi);
  });
  return min < max ? { min, max } : { min: 0, max: 1 };
}
