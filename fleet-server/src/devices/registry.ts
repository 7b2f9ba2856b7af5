import { asc, eq } from 'drizzle-orm';
import type { ServerContext } from '../context';
import { schema } from '../db';
import { InvalidInput, NotFound } from '../errors';
import { matchesSelector, type Selector } from '../labels/selector';
import type { Labels } from './schema';

/** Most labels a device carries (as shared's labelsSchema allows). */
export const MAX_LABELS = 32;

export type DeviceRow = typeof schema.devices.$inferSelect;

/** A device as the admin API shows it (never its token hash). */
export function toDeviceView(row: DeviceRow) {
  return {
    id: row.id,
    name: row.name,
    labels: row.labels,
    createdAt: row.createdAt,
    disabled: row.disabledAt !== null,
    disabledAt: row.disabledAt,
    online: row.online,
    epoch: row.epoch,
    lastSeenAt: row.lastSeenAt,
    connectedAt: row.connectedAt,
    reportedState: row.reportedState,
    reportedAt: row.reportedAt,
    appliedRev: row.appliedRev,
    desiredRev: row.desiredRev,
    clockOffsetMs: clockOffsetOf(row),
  };
}

/** Device clock − server clock at the last hello or state message (ms); null before one came. */
function clockOffsetOf(row: DeviceRow): number | null {
  const reported = row.reportedState as { type?: string; at?: unknown } | null;
  if (!reported || (reported.type !== 'hello' && reported.type !== 'state')) return null;
  if (typeof reported.at !== 'number' || row.reportedAt === null) return null;
  return reported.at - row.reportedAt;
}

/** Filters of the device list. */
export interface DeviceQuery {
  selector: Selector;
  online?: boolean | undefined;
  limit: number;
  offset: number;
}

/**
 * Devices matching a label selector, by id. Labels are JSON, so the selector is applied in process;
 * fine for tens of thousands of devices, a label table would be the next step beyond.
 */
export function listDevices(ctx: ServerContext, query: DeviceQuery): { devices: DeviceRow[]; total: number } {
  const where = query.online === undefined ? undefined : eq(schema.devices.online, query.online);
  const rows = ctx.db.select().from(schema.devices).where(where).orderBy(asc(schema.devices.id)).all();
  const matching = rows.filter((row) => matchesSelector(query.selector, row.labels));
  return { devices: matching.slice(query.offset, query.offset + query.limit), total: matching.length };
}

/** One device, or NotFound. */
export function getDevice(ctx: ServerContext, id: string): DeviceRow {
  const row = ctx.db.select().from(schema.devices).where(eq(schema.devices.id, id)).get();
  if (!row) throw new NotFound(`no device ${id}`);
  return row;
}

/** Changes an admin may make to a device. `labels` is a merge patch: a null value removes the label. */
export interface DevicePatch {
  name?: string | null | undefined;
  labels?: Record<string, string | null> | undefined;
  disabled?: boolean | undefined;
}

/** Applies a patch; disabling keeps the device's data, its token stops working and its MQTT session ends at once. */
export function patchDevice(ctx: ServerContext, id: string, patch: DevicePatch): DeviceRow {
  const patched = ctx.db.transaction((tx) => {
    const row = tx.select().from(schema.devices).where(eq(schema.devices.id, id)).get();
    if (!row) throw new NotFound(`no device ${id}`);
    const labels: Labels = { ...row.labels };
    for (const [key, value] of Object.entries(patch.labels ?? {})) {
      if (value === null) delete labels[key];
      else labels[key] = value;
    }
    if (Object.keys(labels).length > MAX_LABELS) {
      throw new InvalidInput(`labels: a device has at most ${MAX_LABELS} labels`, { field: 'labels' });
    }
    const disabledAt =
      patch.disabled === undefined ? row.disabledAt : patch.disabled ? (row.disabledAt ?? ctx.now()) : null;
    const name = patch.name === undefined ? row.name : patch.name;
    tx.update(schema.devices).set({ labels, disabledAt, name }).where(eq(schema.devices.id, id)).run();
    return {
      row: { ...row, labels, disabledAt, name },
      disabledNow: disabledAt !== null && row.disabledAt === null,
    };
  });
  if (patched.disabledNow) ctx.revocations.revoke({ kind: 'device', deviceId: id });
  return patched.row;
}

/** Deletes a device and its credentials; its id may enroll again. */
export function deleteDevice(ctx: ServerContext, id: string): void {
  const result = ctx.db.delete(schema.devices).where(eq(schema.devices.id, id)).run();
  if (result.changes === 0) throw new NotFound(`no device ${id}`);
  ctx.revocations.revoke({ kind: 'device', deviceId: id });
  ctx.logger.info({ deviceId: id }, 'device deleted');
}
