import { Profile } from '@edgefleet/shared';
import type { DeviceReport } from '@edgefleet/shared/api';
import { and, desc, eq } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { NotFound } from '../errors';
import type { SpecResolver } from '../models';
import { latencyQuantiles } from './version-metrics';

/** Most reports one request returns. */
export const MAX_DEVICE_REPORTS = 200;

/** One stored window report of a device, newest first in the list (the API's view). */
export type DeviceReportView = DeviceReport;

/** The last `limit` reports of a device, newest window first; NotFound for an unknown device. */
export function deviceReports(
  db: FleetDb,
  specs: SpecResolver,
  deviceId: string,
  limit: number,
): DeviceReportView[] {
  const d = schema.devices;
  if (!db.select({ id: d.id }).from(d).where(eq(d.id, deviceId)).get()) {
    throw new NotFound(`no device ${deviceId}`, { field: 'id' });
  }
  const r = schema.telemetryReports;
  const rows = db
    .select()
    .from(r)
    .where(and(eq(r.scope, 'dev'), eq(r.sourceId, deviceId)))
    .orderBy(desc(r.windowEndMs), desc(r.id))
    .limit(limit)
    .all();
  return rows.map((row) => ({
    id: row.id,
    modelName: row.modelName,
    modelVersion: row.modelVersion,
    role: row.role,
    windowStartMs: row.windowStartMs,
    windowEndMs: row.windowEndMs,
    inferences: row.inferences,
    errors: row.errors,
    latencyMs: row.status === 'merged' ? latencyOfReport(specs, row) : null,
    software: row.software ?? null,
    runtime: row.runtime,
    receivedAt: row.receivedAt,
    status: row.status,
  }));
}

function latencyOfReport(
  specs: SpecResolver,
  row: { modelName: string; modelVersion: string; profile: string },
): DeviceReportView['latencyMs'] {
  const found = specs.baselineOf(row.modelName, row.modelVersion);
  if (!found) return null;
  let json: unknown;
  try {
    json = JSON.parse(row.profile);
  } catch {
    return null;
  }
  const profile = Profile.fromJSON(json, found.spec);
  if (!profile.ok) return null;
  for (const stage of ['total', 'infer'] as const) {
    const q = latencyQuantiles(profile.value, stage);
    if (q.count > 0) return { p50: q.p50, p95: q.p95, p99: q.p99 };
  }
  return null;
}
