import type { AlertDetails, AlertSubject } from '@edgefleet/shared/api';
import { and, desc, eq, inArray, isNotNull, isNull, type SQL, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { Conflict, NotFound } from '../errors';
import type { AlertKind, AlertSeverity } from './schema';

export type AlertRow = typeof schema.alerts.$inferSelect;

/** Where an alert stands: `open` (unresolved, not acknowledged), `acknowledged` (unresolved), `resolved`. */
export type AlertStatus = 'open' | 'acknowledged' | 'resolved';

/** A condition that holds now; raising it again updates its unresolved alert. */
export interface AlertCondition {
  kind: AlertKind;
  key: string;
  severity: AlertSeverity;
  subject: AlertSubject;
  message: string;
  details: AlertDetails;
}

/** What changed in the table, for the live event stream. */
export interface AlertChange {
  id: number;
  kind: AlertKind;
  status: AlertStatus;
}

const a = schema.alerts;

/** The status of a row. */
export function statusOf(row: Pick<AlertRow, 'resolvedAt' | 'acknowledgedAt'>): AlertStatus {
  if (row.resolvedAt !== null) return 'resolved';
  return row.acknowledgedAt !== null ? 'acknowledged' : 'open';
}

/** The JSON view of an alert. */
export function toAlertView(row: AlertRow) {
  return { ...row, status: statusOf(row) };
}

/**
 * Raises `condition`: updates the unresolved alert of its key (lastSeenAt, count, severity, message, details)
 * or inserts a new one. Returns the change when a row was opened, null when an existing one was updated.
 */
export function raiseAlert(db: FleetDb, condition: AlertCondition, nowMs: number): AlertChange | null {
  return db.transaction((tx) => {
    const updated = tx
      .update(a)
      .set({
        lastSeenAt: nowMs,
        count: sql`${a.count} + 1`,
        severity: condition.severity,
        message: condition.message,
        details: condition.details,
      })
      .where(and(eq(a.key, condition.key), isNull(a.resolvedAt)))
      .returning({ id: a.id })
      .get();
    if (updated) return null;
    const row = tx
      .insert(a)
      .values({ ...condition, firstSeenAt: nowMs, lastSeenAt: nowMs, count: 1 })
      .returning({ id: a.id })
      .get();
    return { id: row.id, kind: condition.kind, status: 'open' };
  });
}

/** Resolves every unresolved alert of `kind` whose key is not in `holding` (its condition cleared). */
export function resolveCleared(
  db: FleetDb,
  kind: AlertKind,
  holding: ReadonlySet<string>,
  nowMs: number,
): AlertChange[] {
  const open = db
    .select({ id: a.id, key: a.key })
    .from(a)
    .where(and(eq(a.kind, kind), isNull(a.resolvedAt)))
    .all()
    .filter((row) => !holding.has(row.key));
  const changes: AlertChange[] = [];
  for (let i = 0; i < open.length; i += 500) {
    const ids = open.slice(i, i + 500).map((row) => row.id);
    db.update(a)
      .set({ resolvedAt: nowMs })
      .where(and(inArray(a.id, ids), isNull(a.resolvedAt)))
      .run();
    changes.push(...ids.map((id) => ({ id, kind, status: 'resolved' as const })));
  }
  return changes;
}

/** Resolves the unresolved alert of `key`, if any. */
export function resolveKey(db: FleetDb, key: string, nowMs: number): AlertChange | null {
  const row = db
    .update(a)
    .set({ resolvedAt: nowMs })
    .where(and(eq(a.key, key), isNull(a.resolvedAt)))
    .returning({ id: a.id, kind: a.kind })
    .get();
  return row ? { id: row.id, kind: row.kind, status: 'resolved' } : null;
}

/** Acknowledges an alert; NotFound for an unknown id, Conflict when it was acknowledged before. */
export function acknowledgeAlert(
  db: FleetDb,
  id: number,
  by: string,
  note: string | null,
  nowMs: number,
): AlertRow {
  const row = db
    .update(a)
    .set({ acknowledgedAt: nowMs, acknowledgedBy: by, ackNote: note })
    .where(and(eq(a.id, id), isNull(a.acknowledgedAt)))
    .returning()
    .get();
  if (row) return row;
  const existing = db.select().from(a).where(eq(a.id, id)).get();
  if (!existing) throw new NotFound(`no alert ${id}`, { field: 'id' });
  throw new Conflict(`alert ${id} was acknowledged already by ${existing.acknowledgedBy}`, {
    field: 'id',
    acknowledgedAt: existing.acknowledgedAt,
    acknowledgedBy: existing.acknowledgedBy,
  });
}

/** Filters of the alert list. */
export interface AlertQuery {
  status: AlertStatus | 'all';
  kind?: AlertKind;
  limit: number;
}

/** Alerts newest (last seen) first. */
export function listAlerts(db: FleetDb, query: AlertQuery): AlertRow[] {
  const byStatus: Record<AlertQuery['status'], SQL | undefined> = {
    open: and(isNull(a.resolvedAt), isNull(a.acknowledgedAt)),
    acknowledged: and(isNull(a.resolvedAt), isNotNull(a.acknowledgedAt)),
    resolved: isNotNull(a.resolvedAt),
    all: undefined,
  };
  const conditions = [byStatus[query.status], query.kind ? eq(a.kind, query.kind) : undefined].filter(
    (c): c is SQL => c !== undefined,
  );
  return db
    .select()
    .from(a)
    .where(conditions.length > 0 ? and(...conditions) : undefined)
    .orderBy(desc(a.lastSeenAt), desc(a.id))
    .limit(query.limit)
    .all();
}
