import type { FleetOverview } from '@edgefleet/shared/api';
import { count, inArray, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { ACTIVE_STATUSES } from '../rollouts/types';

/** Distinct values kept per label key in `byLabel`; the rest are summed under {@link OTHER_LABEL_VALUE}. */
export const MAX_LABEL_VALUES = 200;
/** Label keys kept in `byLabel` (most frequent first). */
export const MAX_LABEL_KEYS = 64;
/** Where label values past {@link MAX_LABEL_VALUES} are counted. */
export const OTHER_LABEL_VALUE = '(other)';

/** Devices by state, by running version and by label (the API's view). */
export type { FleetOverview };

/** Key of devices that report no active model. */
export const NO_VERSION = '(none)';

/**
 * Counts devices by state, running version and label. A device is `failing` when its last reported state
 * carries errors (a deploy step that failed: download, verify, load, warm-up, golden check, infer).
 * Enabled devices only, except `disabled` and `total`.
 */
export function fleetOverview(db: FleetDb): FleetOverview {
  const d = schema.devices;
  const rows = db
    .select({
      online: d.online,
      disabled: sql<number>`${d.disabledAt} is not null`,
      labels: d.labels,
      active: sql<
        string | null
      >`json_extract(${d.reportedState}, '$.running.active.name') || '@' || json_extract(${d.reportedState}, '$.running.active.version')`,
      errors: sql<number | null>`json_array_length(${d.reportedState}, '$.errors')`,
    })
    .from(d)
    .all();
  const devices = { total: rows.length, online: 0, offline: 0, failing: 0, disabled: 0 };
  const byVersion: Record<string, number> = {};
  const labelCounts = new Map<string, Map<string, number>>();
  for (const row of rows) {
    if (row.disabled) {
      devices.disabled++;
      continue;
    }
    if (row.online) devices.online++;
    else devices.offline++;
    if ((row.errors ?? 0) > 0) devices.failing++;
    const version = row.active ?? NO_VERSION;
    byVersion[version] = (byVersion[version] ?? 0) + 1;
    for (const [key, value] of Object.entries(row.labels ?? {})) {
      let values = labelCounts.get(key);
      if (!values) {
        values = new Map();
        labelCounts.set(key, values);
      }
      values.set(value, (values.get(value) ?? 0) + 1);
    }
  }
  const models = db.select({ n: count() }).from(schema.models).get()?.n ?? 0;
  const active =
    db
      .select({ n: count() })
      .from(schema.rollouts)
      .where(inArray(schema.rollouts.status, [...ACTIVE_STATUSES]))
      .get()?.n ?? 0;
  return { devices, byVersion, byLabel: boundedLabels(labelCounts), models, rollouts: { active } };
}

/** Keeps the most frequent keys and values so a fleet of unique labels cannot make the answer huge. */
function boundedLabels(counts: Map<string, Map<string, number>>): FleetOverview['byLabel'] {
  const total = (values: Map<string, number>) => [...values.values()].reduce((s, n) => s + n, 0);
  const keys = [...counts].sort((a, b) => total(b[1]) - total(a[1]) || (a[0] < b[0] ? -1 : 1));
  const out: FleetOverview['byLabel'] = {};
  for (const [key, values] of keys.slice(0, MAX_LABEL_KEYS)) {
    const sorted = [...values].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    // fromEntries defines own properties, so a value such as `__proto__` is counted like any other.
    const kept = sorted.slice(0, MAX_LABEL_VALUES);
    const rest = sorted.slice(MAX_LABEL_VALUES).reduce((s, [, n]) => s + n, 0);
    if (rest > 0) kept.push([OTHER_LABEL_VALUE, rest]);
    out[key] = Object.fromEntries(kept);
  }
  return out;
}
