import type { AppPlan } from '@edgefleet/shared';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Web apps. The publishable key ships inside browser bundles, so it is stored as-is
 * (like a Stripe publishable key) and can only read the app plan and write telemetry.
 */
export const apps = sqliteTable('apps', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  publishableKey: text('publishable_key').notNull().unique(),
  /** Allowed browser origins (CORS); empty = any. */
  allowedOrigins: text('allowed_origins', { mode: 'json' }).$type<string[]>().notNull(),
  createdAt: integer('created_at').notNull(),
  disabledAt: integer('disabled_at'),
  /** App-level plan (written by the rollout controller) and its rev. */
  plan: text('plan', { mode: 'json' }).$type<AppPlan>(),
  planRev: integer('plan_rev').notNull().default(0),
});
