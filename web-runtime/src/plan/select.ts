import { type AppPlan, type Automation, DEFAULT_AUTOMATION, inStage, type ModelRef } from '@edgefleet/shared';
import type { CapturePolicy } from '@edgefleet/shared/capture';

/** The version a client runs for one model of the app plan, and why. */
export interface Selection {
  ref: ModelRef;
  /** `current`, or `candidate` when the client's bucket is inside the rollout stage. */
  role: 'current' | 'candidate';
  rolloutId?: string;
  /** How much the model decides alone in this app (the plan's slot; absent there: `full`). */
  automation: Automation;
  /** What this app's browsers capture of the model's inputs (the plan's slot); absent: nothing. */
  capture?: CapturePolicy;
}

/**
 * Picks the model ref of `model` for `clientId`: the candidate when `bucketOf(clientId, salt)` falls inside the
 * rollout's percent (shadow candidates are never served), else the current version; undefined when the plan has
 * no such model, or no version of it for this client (`current: null` outside a first deployment's share).
 * @example selectModel(plan, 'defect', 'web-1f…')?.ref.manifest.version
 */
export function selectModel(plan: AppPlan, model: string, clientId: string): Selection | undefined {
  const slot = plan.models.find((m) => m.name === model);
  if (!slot) return undefined;
  const candidate = slot.candidate;
  const automation = slot.automation ?? DEFAULT_AUTOMATION;
  const capture = slot.capture ? { capture: slot.capture } : {};
  if (candidate && candidate.strategy !== 'shadow' && inStage(clientId, candidate.salt, candidate.percent)) {
    return { ref: candidate.ref, role: 'candidate', rolloutId: candidate.rolloutId, automation, ...capture };
  }
  return slot.current ? { ref: slot.current, role: 'current', automation, ...capture } : undefined;
}
