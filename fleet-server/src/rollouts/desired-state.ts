import type {
  AppModelPlan,
  AppPlan,
  AppPlanInput,
  Automation,
  DesiredState,
  DesiredStateInput,
  ModelRef,
  Policies,
  TelemetryConfig,
} from '@edgefleet/shared';
import type { CapturePolicy } from '@edgefleet/shared/capture';
import { eq } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { InvalidInput } from '../errors';
import { toModelRef } from '../models/registry';
import type { AppPlanChange, Assignment, Rollout } from './types';

/** Telemetry settings of a target that has none yet. */
export const DEFAULT_TELEMETRY: TelemetryConfig = {
  windowMs: 60_000,
  maxInFlight: 8,
  outboxMaxReports: 10_000,
};
/** Policies of a target that has none yet. */
export const DEFAULT_POLICIES: Policies = { golden: 'if_present', shadowSampleRate: 1 };

/** Model refs of a rollout's versions, read once per rollout (versions are immutable). */
export class ModelRefs {
  private readonly refs = new Map<string, ModelRef>();
  constructor(private readonly db: FleetDb) {}

  /** The ref of `name@version`; InvalidInput when the version is not registered. */
  of(name: string, version: string): ModelRef {
    const key = `${name}@${version}`;
    let ref = this.refs.get(key);
    if (!ref) {
      const row = this.db.select().from(schema.modelVersions).where(eq(schema.modelVersions.id, key)).get();
      if (!row) throw new InvalidInput(`no model version ${key}`, { field: 'version' });
      ref = toModelRef(row);
      this.refs.set(key, ref);
    }
    return ref;
  }
}

/**
 * A device's next desired state: the assignment's refs, keeping its telemetry settings, policies and automation
 * level (a rollout never lets the model decide more than the device was set to).
 */
export function desiredStateFor(
  refs: ModelRefs,
  modelName: string,
  assignment: Assignment,
  previous: DesiredState | null,
  telemetry: TelemetryConfig = DEFAULT_TELEMETRY,
): DesiredStateInput {
  const ref = (version: string | null) => (version === null ? null : refs.of(modelName, version));
  return {
    models: {
      active: ref(assignment.active),
      shadow: ref(assignment.shadow),
      standby: ref(assignment.standby),
    },
    telemetry: previous?.telemetry ?? telemetry,
    policies: previous?.policies ?? DEFAULT_POLICIES,
    ...(previous?.automation ? { automation: previous.automation } : {}),
  };
}

/**
 * The app's next plan with this rollout's model slot set (other slots kept), or null when the stored plan
 * already says the same: browsers bucket themselves against `salt` and `percent`. A slot with `current: null`
 * gives browsers outside the candidate's share no version of the model (first deployment, and after its rollback).
 * `stored` / `storedCapture`: the automation level and capture policy in force for the app (they win over the plan's).
 */
export function nextAppPlan(
  refs: ModelRefs,
  rollout: Rollout,
  change: AppPlanChange,
  previous: AppPlan | null,
  telemetry: TelemetryConfig = DEFAULT_TELEMETRY,
  stored?: Automation,
  storedCapture?: CapturePolicy | null,
): AppPlanInput | null {
  const { spec } = rollout;
  const slot: AppModelPlan = {
    name: spec.modelName,
    current: change.current === null ? null : refs.of(spec.modelName, change.current),
    ...(change.candidate
      ? {
          candidate: {
            rolloutId: spec.id,
            ref: refs.of(spec.modelName, change.candidate.version),
            strategy: spec.strategy,
            salt: spec.salt,
            percent: change.candidate.percent,
          },
        }
      : {}),
  };
  const old = previous?.models.find((m) => m.name === spec.modelName);
  // The level in force in the automation store wins (it may have been set before the app served the model).
  const automation = stored ?? old?.automation;
  if (automation) slot.automation = automation;
  // Likewise the capture policy in force (null: turned off there).
  const capture = storedCapture === undefined ? old?.capture : (storedCapture ?? undefined);
  if (capture) slot.capture = capture;
  // A first deployment that has not started has nothing to tell an app that never had the model.
  if (!old && change.current === null && change.candidate === null) return null;
  const same =
    old &&
    (old.current?.manifest.version ?? null) === change.current &&
    (old.candidate?.ref.manifest.version ?? null) === (change.candidate?.version ?? null) &&
    (old.candidate?.percent ?? null) === (change.candidate?.percent ?? null) &&
    (old.candidate?.rolloutId ?? spec.id) === spec.id &&
    JSON.stringify(old.automation ?? null) === JSON.stringify(automation ?? null) &&
    JSON.stringify(old.capture ?? null) === JSON.stringify(capture ?? null);
  if (same) return null;
  const others = previous?.models.filter((m) => m.name !== spec.modelName) ?? [];
  return {
    models: [...others, slot],
    telemetry: previous?.telemetry ?? telemetry,
    policies: previous?.policies ?? DEFAULT_POLICIES,
  };
}
