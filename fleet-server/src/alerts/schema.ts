import type { AlertDetails, AlertKind, AlertSeverity, AlertSubject } from '@edgefleet/shared/api';
import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export type { AlertKind, AlertSeverity };

/**
 * Alerts. `key` identifies the condition (e.g. `device_silent:st-1`): while an alert of a key is unresolved,
 * the same condition updates it (`lastSeenAt`, `count`) instead of adding a row — the partial unique index
 * makes that hold even with two evaluators. A condition that clears sets `resolvedAt`; the next occurrence
 * opens a new row.
 */
export const alerts = sqliteTable(
  'alerts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    kind: text('kind').$type<AlertKind>().notNull(),
    key: text('key').notNull(),
    severity: text('severity').$type<AlertSeverity>().notNull(),
    /** What it is about, e.g. `{ deviceId }`, `{ rolloutId }`, `{ model, version }`. */
    subject: text('subject', { mode: 'json' }).$type<AlertSubject>().notNull(),
    message: text('message').notNull(),
    details: text('details', { mode: 'json' }).$type<AlertDetails>().notNull(),
    firstSeenAt: integer('first_seen_at').notNull(),
    lastSeenAt: integer('last_seen_at').notNull(),
    count: integer('count').notNull().default(1),
    resolvedAt: integer('resolved_at'),
    acknowledgedAt: integer('acknowledged_at'),
    acknowledgedBy: text('acknowledged_by'),
    ackNote: text('ack_note'),
  },
  (t) => [
    uniqueIndex('alerts_open_key').on(t.key).where(sql`resolved_at is null`),
    index('alerts_kind_resolved').on(t.kind, t.resolvedAt),
    index('alerts_last_seen').on(t.lastSeenAt),
  ],
);
