import {
  type DecisionRoute,
  type FeedbackAggregate,
  type LabelCount,
  Profile,
  type ProfileJSON,
  type ProfileSpec,
  specHash,
  WindowFeedback,
  type WindowRefusal,
} from '@edgefleet/shared';
import type { ModelSession } from '../runtime/model-session';

/** Role a profile measures. */
export type ProfileRole = 'active' | 'shadow';

/** A closed window of one model version and role, ready to become a report. */
export interface WindowDraft {
  window: { startMs: number; endMs: number };
  model: { name: string; version: string };
  role: ProfileRole;
  specHash: string;
  /** The spec of `profile`: the outbox keeps it so that it can merge old windows while offline. */
  spec: ProfileSpec;
  profile: ProfileJSON;
  inferences: number;
  /** Operator feedback and decision routes of the window (active classifiers only). */
  feedback?: FeedbackAggregate;
}

interface OpenWindow {
  session: ModelSession;
  role: ProfileRole;
  profile: Profile;
  /** Routes and labels (shared counting), for active classifiers only. */
  feedback?: WindowFeedback;
}

/** Observations that may wait for {@link TelemetryWindows.defer} before they run at once. */
export const MAX_DEFERRED_OBSERVATIONS = 4;

/**
 * The current window's profiles, one per model version and role. {@link TelemetryWindows.close} hands
 * out every profile that saw anything and starts a new window.
 */
export class TelemetryWindows {
  private open = new Map<string, OpenWindow>();
  private startMs: number;
  private deferred: (() => void)[] = [];
  private scheduled = false;
  /** Deferred observations that threw (a bug, never the caller's problem); they are skipped. */
  failedObservations = 0;
  /** Rises with every observation: a checkpoint is only written when it moved. */
  touched = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.startMs = now();
  }

  /**
   * Runs `observe` after the current macrotask, so statistics stay off the latency the caller sees.
   * Bounded: when {@link MAX_DEFERRED_OBSERVATIONS} wait (a caller that never yields), the oldest run now.
   * {@link close} runs every waiting observation first, so none lands in the wrong window.
   */
  defer(observe: () => void): void {
    if (this.deferred.length >= MAX_DEFERRED_OBSERVATIONS) this.runDeferred();
    this.deferred.push(observe);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.runScheduled);
    }
  }

  /** Runs every waiting observation now. */
  runDeferred(): void {
    const jobs = this.deferred;
    this.deferred = [];
    for (const job of jobs) {
      try {
        job();
      } catch {
        this.failedObservations++;
      }
    }
  }

  private readonly runScheduled = (): void => {
    this.scheduled = false;
    this.runDeferred();
  };

  /** The open profile for a session and role (created on first use). */
  profileFor(session: ModelSession, role: ProfileRole): Profile {
    this.touched++;
    const key = `${session.label}/${role}`;
    let w = this.open.get(key);
    if (!w) {
      w = { session, role, profile: new Profile(session.spec) };
      this.open.set(key, w);
    }
    return w.profile;
  }

  /**
   * Counts the decision route of one active inference and its top-1 confidence (the label-free calibration
   * bins); call with its other observations.
   */
  recordRoute(session: ModelSession, route: DecisionRoute, confidence?: number): void {
    this.profileFor(session, 'active');
    this.feedbackOf(this.open.get(`${session.label}/active`)!)?.countRoute(route, confidence);
  }

  /**
   * Adds one label to the open window of the version that made the prediction (`modelLabel`,
   * {@link ModelSession.label}). `window_full` (nothing counted) when that version served no inference in this
   * window yet, or the window already holds as many labels as inferences: the caller retries in a later window.
   */
  addLabel(label: LabelCount & { modelLabel: string }): { ok: true } | { ok: false; refusal: WindowRefusal } {
    this.runDeferred();
    const w = this.open.get(`${label.modelLabel}/active`);
    const feedback = w && this.feedbackOf(w);
    if (!w || !feedback) return { ok: false, refusal: 'window_full' };
    const counted = feedback.countLabel(label, w.profile.inferences);
    if (counted.ok) this.touched++;
    return counted;
  }

  private feedbackOf(w: OpenWindow): WindowFeedback | undefined {
    const classes = w.session.spec.classes;
    if (!classes || classes.length === 0) return undefined;
    w.feedback ??= new WindowFeedback(classes);
    return w.feedback;
  }

  /** When the open window started (ms). */
  get startedAtMs(): number {
    return this.startMs;
  }

  /** Drafts of the open window as it is now, without closing it (a checkpoint). */
  peek(): WindowDraft[] {
    this.runDeferred();
    return this.drafts(Math.max(this.now(), this.startMs));
  }

  /** Closes the window: drafts of every non-empty profile; a new window starts now. */
  close(): WindowDraft[] {
    this.runDeferred();
    const endMs = Math.max(this.now(), this.startMs);
    const drafts = this.drafts(endMs);
    this.open.clear();
    this.startMs = endMs;
    return drafts;
  }

  private drafts(endMs: number): WindowDraft[] {
    const drafts: WindowDraft[] = [];
    for (const w of this.open.values()) {
      const json = w.profile.toJSON();
      const inferences = w.profile.inferences;
      if (inferences === 0 && w.profile.errorCount === 0 && w.profile.shadow.compared === 0) continue;
      drafts.push({
        window: { startMs: this.startMs, endMs },
        model: { ...w.session.id },
        role: w.role,
        specHash: specHash(w.session.spec),
        spec: w.session.spec,
        profile: json,
        inferences,
        ...feedbackOf(w),
      });
    }
    return drafts;
  }
}

// The window's feedback aggregate when it counted a route or a label.
function feedbackOf(w: OpenWindow): { feedback?: FeedbackAggregate } {
  const feedback = w.feedback?.aggregate;
  return feedback ? { feedback } : {};
}
