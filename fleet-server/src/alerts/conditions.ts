import { DEPLOY_STEPS, type Profile } from '@edgefleet/shared';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { driftOf } from '../monitoring/point';
import { HOUR_MS, mergeRecentReports } from '../monitoring/timeseries';
import { mergedProfile } from '../monitoring/version-metrics';
import type { SpecResolver } from '../telemetry';
import type { AlertCondition } from './store';

/** Deploy steps that mean "could not apply the desired version" (`infer` is a serving error, not a deploy). */
const APPLY_STEPS = new Set<string>(DEPLOY_STEPS.filter((step) => step !== 'infer'));

interface StoredError {
  step?: string;
  message?: string;
  model?: { name?: string; version?: string };
  rev?: number;
  at?: number;
}

/** Enabled devices whose last reported state says a deploy step failed: one condition per device and version. */
export function applyFailedConditions(db: FleetDb): AlertCondition[] {
  const d = schema.devices;
  const rows = db
    .select({ id: d.id, errors: sql<string>`json_extract(${d.reportedState}, '$.errors')` })
    .from(d)
    .where(and(isNull(d.disabledAt), sql`json_array_length(${d.reportedState}, '$.errors') > 0`))
    .all();
  const conditions = new Map<string, AlertCondition>();
  for (const row of rows) {
    let errors: StoredError[];
    try {
      errors = JSON.parse(row.errors) as StoredError[];
    } catch {
      continue;
    }
    for (const error of errors) {
      if (!error.step || !APPLY_STEPS.has(error.step)) continue;
      const version =
        error.model?.name && error.model.version ? `${error.model.name}@${error.model.version}` : null;
      const key = `apply_failed:${row.id}:${version ?? 'unknown'}`;
      if (conditions.has(key)) continue;
      conditions.set(key, {
        kind: 'apply_failed',
        key,
        severity: 'warning',
        subject: {
          deviceId: row.id,
          ...(version ? { model: error.model?.name, version: error.model?.version } : {}),
        },
        message:
          `device ${row.id} failed to apply ${version ?? 'its desired state'} at ${error.step}: ${error.message ?? ''}`.trim(),
        details: {
          step: error.step,
          error: error.message ?? null,
          rev: error.rev ?? null,
          at: error.at ?? null,
        },
      });
    }
  }
  return [...conditions.values()];
}

/** What {@link silentConditions} needs besides the database. */
export interface SilenceInput {
  nowMs: number;
  silentMs: number;
  /** When each device's last report was stored (in memory, since this server started). */
  lastReportAt: ReadonlyMap<string, number>;
  /** Devices whose last report is unknown count from here (the server start). */
  sinceMs: number;
}

/**
 * Enabled devices not heard for longer than `silentMs`: offline (presence, or never connected) since then, or
 * online and running a model but without a stored report since then.
 */
export function silentConditions(db: FleetDb, input: SilenceInput): AlertCondition[] {
  const d = schema.devices;
  const cutoff = input.nowMs - input.silentMs;
  const offline = db
    .select({ id: d.id, lastSeenAt: d.lastSeenAt, createdAt: d.createdAt })
    .from(d)
    .where(
      and(
        isNull(d.disabledAt),
        eq(d.online, false),
        sql`coalesce(${d.lastSeenAt}, ${d.createdAt}) < ${cutoff}`,
      ),
    )
    .all();
  const conditions: AlertCondition[] = offline.map((row) => {
    const since = row.lastSeenAt ?? row.createdAt;
    return silent(row.id, since, input.nowMs, row.lastSeenAt === null ? 'never connected' : 'offline');
  });
  const running = db
    .select({ id: d.id, connectedAt: d.connectedAt })
    .from(d)
    .where(
      and(
        isNull(d.disabledAt),
        eq(d.online, true),
        sql`json_extract(${d.reportedState}, '$.running.active') is not null`,
      ),
    )
    .all();
  for (const row of running) {
    const since = Math.max(input.lastReportAt.get(row.id) ?? input.sinceMs, row.connectedAt ?? 0);
    if (since < cutoff) conditions.push(silent(row.id, since, input.nowMs, 'no report'));
  }
  return conditions;
}

function silent(deviceId: string, sinceMs: number, nowMs: number, why: string): AlertCondition {
  const minutes = Math.round((nowMs - sinceMs) / 60_000);
  return {
    kind: 'device_silent',
    key: `device_silent:${deviceId}`,
    severity: 'warning',
    subject: { deviceId },
    message: `device ${deviceId} silent for ${minutes} min (${why})`,
    details: { reason: why, sinceMs },
  };
}

/** What {@link driftConditions} needs besides the database. */
export interface DriftInput {
  nowMs: number;
  windowMs: number;
  psiThreshold: number;
  minInferences: number;
  rowBudget: number;
}

/** Drift conditions that hold, and the keys whose data was too thin to judge (open alerts stay open). */
export interface DriftOutcome {
  conditions: AlertCondition[];
  undecided: string[];
}

/**
 * The version's telemetry of the last `windowMs`: from the hourly aggregates (the hours the window touches, so up
 * to an hour more; one row per device and hour, cheap every tick) when the window is an hour or more, otherwise
 * from the raw reports within the row budget.
 */
function mergeWindow(
  db: FleetDb,
  specs: SpecResolver,
  modelName: string,
  version: string,
  role: 'active' | 'shadow',
  input: DriftInput,
): { profile: Profile | null; reports: number; truncated: boolean } {
  const range = { modelName, version, role, fromMs: input.nowMs - input.windowMs, toMs: input.nowMs + 1 };
  if (input.windowMs >= HOUR_MS) return { ...mergedProfile(db, specs, range), truncated: false };
  return mergeRecentReports(db, specs, { ...range, rowBudget: input.rowBudget });
}

/**
 * Per registered version and role: merges the telemetry of the last `windowMs` and raises when the highest
 * input or output PSI against the baseline reaches the threshold, with at least `minInferences` inferences.
 */
export function driftConditions(db: FleetDb, specs: SpecResolver, input: DriftInput): DriftOutcome {
  const v = schema.modelVersions;
  const versions = db.select({ name: v.modelName, version: v.version }).from(v).all();
  const outcome: DriftOutcome = { conditions: [], undecided: [] };
  for (const { name, version } of versions) {
    const baseline = specs.baselineOf(name, version)?.baseline;
    if (!baseline) continue;
    for (const role of ['active', 'shadow'] as const) {
      const key = `drift:${name}@${version}:${role}`;
      const merged = mergeWindow(db, specs, name, version, role, input);
      // Too little data (none included) proves nothing either way: an open alert stays as it is until a
      // window with enough inferences says the drift is gone.
      if (!merged.profile || merged.profile.inferences < input.minInferences) {
        outcome.undecided.push(key);
        continue;
      }
      const drift = driftOf(baseline, merged.profile);
      if (drift.maxPsi === null || drift.maxPsi < input.psiThreshold) continue;
      const worst = [
        ...Object.entries(drift.inputs).map(([f, d]) => [`input ${f}`, d.psi] as const),
        ...Object.entries(drift.outputs).map(([f, d]) => [`output ${f}`, d.psi] as const),
      ].sort((a, b) => (b[1] ?? -1) - (a[1] ?? -1))[0];
      outcome.conditions.push({
        kind: 'drift',
        key,
        severity: drift.maxPsi >= 2 * input.psiThreshold ? 'critical' : 'warning',
        subject: { model: name, version, role },
        message: `${name}@${version} (${role}) drifts: PSI ${drift.maxPsi.toFixed(3)} on ${worst?.[0] ?? '?'} ≥ ${input.psiThreshold}`,
        details: {
          maxPsi: drift.maxPsi,
          maxJs: drift.maxJs,
          inputs: drift.inputs,
          outputs: drift.outputs,
          inferences: merged.profile.inferences,
          reports: merged.reports,
          windowMs: input.windowMs,
          truncated: merged.truncated,
        },
      });
    }
  }
  return outcome;
}
