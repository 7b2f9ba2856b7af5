import { DEPLOY_STEPS } from '@edgefleet/shared';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
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
