import type { CaptureDay, CaptureReason, SampleContentType } from '@edgefleet/shared/capture';
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

/** One stored sample: its content (a blob under `<dataDir>/samples/sha256/`, stored once) and its label. */
export const samples = sqliteTable(
  'samples',
  {
    sha256: text('sha256').primaryKey(),
    contentType: text('content_type').$type<SampleContentType>().notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    width: integer('width'),
    height: integer('height'),
    /** True class, from a reviewer (`PUT …/label`) or known at capture. */
    label: text('label'),
    labelledBy: text('labelled_by'),
    labelledAt: integer('labelled_at'),
    /** Latest capture received: retention counts from it. */
    lastSeenAt: integer('last_seen_at').notNull(),
  },
  (t) => [index('samples_retention').on(t.label, t.lastSeenAt)],
);

/** One capture of a sample by one client (identity: sha256 and clientId), with what was known at capture. */
export const sampleCaptures = sqliteTable(
  'sample_captures',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sha256: text('sha256').notNull(),
    clientId: text('client_id').notNull(),
    deviceId: text('device_id'),
    appId: text('app_id'),
    deviceLabels: text('device_labels', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    modelName: text('model_name').notNull(),
    modelVersion: text('model_version').notNull(),
    reasons: text('reasons', { mode: 'json' }).$type<CaptureReason[]>().notNull(),
    top: text('top', { mode: 'json' }).$type<{ label: string; confidence: number }[]>().notNull(),
    /** top[0].label: the predicted class, filterable. */
    predicted: text('predicted'),
    features: text('features', { mode: 'json' }).$type<Record<string, number>>().notNull(),
    predictionId: text('prediction_id'),
    capturedAt: integer('captured_at').notNull(),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    uniqueIndex('sample_captures_identity').on(t.sha256, t.clientId),
    index('sample_captures_time').on(t.capturedAt, t.id),
    index('sample_captures_model').on(t.modelName, t.capturedAt),
  ],
);

/**
 * Capture spending per client (`dev:<id>`, `app:<appId>:<clientId>`, or `app:<appId>` for the app's daily cap),
 * model (`*` for the cap) and UTC day: the server's own count of the policy's budget.
 */
export const sampleBudgetDays = sqliteTable(
  'sample_budget_days',
  {
    clientKey: text('client_key').notNull(),
    modelName: text('model_name').notNull(),
    dayMs: integer('day_ms').notNull(),
    day: text('day', { mode: 'json' }).$type<CaptureDay>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.clientKey, t.modelName, t.dayMs] })],
);

/** Every label set or cleared on a sample, append-only (the audit: who, when, what); `samples.label` is the latest. */
export const sampleLabelAudit = sqliteTable(
  'sample_label_audit',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    sha256: text('sha256').notNull(),
    /** The label set, or null: cleared. */
    label: text('label'),
    /** The label it replaced. */
    previous: text('previous'),
    actor: text('actor').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [index('sample_label_audit_sample').on(t.sha256, t.id)],
);
