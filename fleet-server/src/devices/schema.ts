import type { ReportedState } from '@edgefleet/shared/api';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export type Labels = Record<string, string>;

/** Admin-issued tokens a device exchanges for its own id and token. */
export const enrollmentTokens = sqliteTable('enrollment_tokens', {
  id: text('id').primaryKey(),
  tokenHash: text('token_hash').notNull().unique(),
  /** Labels every device enrolled with this token starts with. */
  labels: text('labels', { mode: 'json' }).$type<Labels>().notNull(),
  /** Label keys a device may set itself at enrollment (e.g. `station`); labels with other keys are refused. */
  deviceLabelKeys: text('device_label_keys', { mode: 'json' }).$type<string[]>().notNull().default([]),
  maxUses: integer('max_uses'),
  uses: integer('uses').notNull().default(0),
  expiresAt: integer('expires_at'),
  createdAt: integer('created_at').notNull(),
  revokedAt: integer('revoked_at'),
});

/**
 * Enrolled devices. Presence and reported columns are written by the MQTT side
 * (mqtt/ + telemetry/); desired columns by the rollout controller.
 */
export const devices = sqliteTable(
  'devices',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull(),
    name: text('name'),
    labels: text('labels', { mode: 'json' }).$type<Labels>().notNull(),
    enrollmentTokenId: text('enrollment_token_id'),
    createdAt: integer('created_at').notNull(),
    disabledAt: integer('disabled_at'),
    // presence (MQTT)
    online: integer('online', { mode: 'boolean' }).notNull().default(false),
    /** Client start counter from the latest hello/presence; late last wills with an older epoch are ignored. */
    epoch: integer('epoch').notNull().default(0),
    /**
     * Device-side `at` of the latest applied `online` presence of the current epoch: an `offline` of the same
     * epoch with an older `at` is the last will of a connection that was taken over, and is ignored.
     */
    presenceAt: integer('presence_at'),
    lastSeenAt: integer('last_seen_at'),
    connectedAt: integer('connected_at'),
    // reported state (MQTT): running versions, errors, capabilities, agent version
    reportedState: text('reported_state', { mode: 'json' }).$type<ReportedState>(),
    reportedAt: integer('reported_at'),
    appliedRev: integer('applied_rev').notNull().default(0),
    // desired state (rollout controller)
    desiredState: text('desired_state', { mode: 'json' }).$type<Record<string, unknown>>(),
    desiredRev: integer('desired_rev').notNull().default(0),
  },
  (t) => [index('devices_online').on(t.online)],
);
