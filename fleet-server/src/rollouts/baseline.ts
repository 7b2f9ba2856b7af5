import type { ModelVersionId } from '@edgefleet/shared';
import { and, eq } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { InvalidInput } from '../errors';
import type { RolloutRequest } from './service';
import { resolveDeviceTargets } from './store';
import type { RolloutTarget } from './types';

// Which version a rollout replaces: the one named, what the targets run now, or none (a first deployment).

/** The model each device target is told (or else reports) to run as active, if any. */
function activeModelsOf(db: FleetDb, target: RolloutTarget): { id: string; name: string; version: string }[] {
  const ids = new Set(resolveDeviceTargets(db, target));
  const rows = db
    .select({
      id: schema.devices.id,
      desired: schema.devices.desiredState,
      reported: schema.devices.reportedState,
    })
    .from(schema.devices)
    .all();
  const models: { id: string; name: string; version: string }[] = [];
  for (const row of rows) {
    if (!ids.has(row.id)) continue;
    const desired = row.desired as { models?: { active?: { manifest?: ModelVersionId } | null } } | null;
    const running = (row.reported as { running?: { active?: ModelVersionId | null } } | null)?.running;
    // What it was told wins (a withdrawn model is gone even while the device has not reported yet).
    const active = desired?.models ? (desired.models.active?.manifest ?? null) : (running?.active ?? null);
    if (active?.name && active.version)
      models.push({ id: row.id, name: active.name, version: active.version });
  }
  return models;
}

/** The version most targets are told (or else report) to run, for a rollout that names no baseline. */
function currentVersionOf(db: FleetDb, modelName: string, target: RolloutTarget): string | null {
  if (target.kind === 'app') {
    const row = db
      .select({ plan: schema.apps.plan })
      .from(schema.apps)
      .where(eq(schema.apps.id, target.appId))
      .get();
    const plan = row?.plan as {
      models?: { name: string; current: { manifest: { version: string } } | null }[];
    } | null;
    return plan?.models?.find((m) => m.name === modelName)?.current?.manifest.version ?? null;
  }
  const counts = new Map<string, number>();
  for (const { name, version } of activeModelsOf(db, target)) {
    if (name === modelName) counts.set(version, (counts.get(version) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/** Device targets that run a model other than `modelName`. */
function otherModelsOf(
  db: FleetDb,
  modelName: string,
  target: RolloutTarget,
): { id: string; model: string }[] {
  if (target.kind === 'app') return [];
  return activeModelsOf(db, target)
    .filter((m) => m.name !== modelName)
    .map((m) => ({ id: m.id, model: `${m.name}@${m.version}` }));
}

/** InvalidInput unless `model@version` is registered (and, for the candidate, not deprecated). */
export function requireVersion(db: FleetDb, model: string, version: string, field: string): void {
  const v = schema.modelVersions;
  const row = db
    .select({ deprecatedAt: v.deprecatedAt })
    .from(v)
    .where(and(eq(v.modelName, model), eq(v.version, version)))
    .get();
  if (!row) throw new InvalidInput(`${field}: no model version ${model}@${version}`, { field });
  if (row.deprecatedAt !== null && field === 'candidate') {
    throw new InvalidInput(`candidate: ${model}@${version} is deprecated`, { field });
  }
}

/**
 * The version a rollout replaces: the one named, else what most targets run; null for a first deployment (none
 * named and no target runs the model, or `baseline: null` asserting that).
 */
export function baselineOf(db: FleetDb, request: RolloutRequest, target: RolloutTarget): string | null {
  const running =
    request.baseline === undefined || request.baseline === null
      ? currentVersionOf(db, request.model, target)
      : null;
  if (request.baseline === null && running !== null) {
    throw new InvalidInput(
      `baseline: null says a first deployment, but targets run ${request.model}@${running}; name it or omit baseline`,
      { field: 'baseline' },
    );
  }
  const baseline = request.baseline ?? running;
  if (baseline === null) return null;
  requireVersion(db, request.model, baseline, 'baseline');
  if (baseline === request.candidate) {
    throw new InvalidInput(`candidate and baseline are both ${baseline}`, { field: 'candidate' });
  }
  return baseline;
}

/** Gates measured against the baseline version: without one they could never be judged. */
const RELATIVE_GATES = [
  'latencyP95Ratio',
  'latencyP99Ratio',
  'minShadowAgreement',
  'maxAccuracyDrop',
  'maxAgreementDrop',
  'maxReviewShareRise',
] as const;

/**
 * A first deployment has nothing to compare with or fall back to: shadow and blue-green need a version beside the
 * candidate, and gates relative to the baseline version would wait forever, so all are refused here. Devices
 * serve one model, so device targets that already run another model are refused too (the rollout would replace it).
 */
export function checkFirstDeployment(db: FleetDb, request: RolloutRequest, target: RolloutTarget): void {
  if (request.strategy === 'shadow' || request.strategy === 'blue-green') {
    throw new InvalidInput(
      `strategy: ${request.strategy} runs the candidate beside the version it replaces, and no target runs ${request.model} yet; use canary or all-at-once for a first deployment, or name a baseline`,
      { field: 'strategy' },
    );
  }
  const relative = RELATIVE_GATES.filter((gate) => request.gates[gate] !== undefined);
  if (relative.length > 0) {
    throw new InvalidInput(
      `gates: ${relative.join(', ')} compare with the baseline version, and a first deployment of ${request.model} has none; use absolute gates (latencyP95Ms, maxErrorRate, maxPsi, …)`,
      { field: `gates.${relative[0]}` },
    );
  }
  const others = otherModelsOf(db, request.model, target);
  if (others.length > 0) {
    throw new InvalidInput(
      `target: ${others.length} device(s) serve another model (${others
        .slice(0, 5)
        .map((o) => `${o.id}: ${o.model}`)
        .join(', ')}); a device serves one model`,
      { field: 'target', devices: others.slice(0, 10).map((o) => o.id) },
    );
  }
}
