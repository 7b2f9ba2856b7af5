import type { AutomationTarget } from '@edgefleet/shared/api';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Every setting a model carries to its targets (an automation level, a capture policy), append-only (the audit:
 * who, when, what): the latest row per model, kind and target key is the one in force. The table keeps the name
 * it had when it held automation levels only; `level` holds the value of any kind (JSON; `null` for a capture
 * setting that turns capture off).
 */
export const automationSettings = sqliteTable(
  'automation_settings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** `automation` or `capture`. */
    kind: text('kind').notNull().default('automation'),
    modelName: text('model_name').notNull(),
    /** `selector:…`, `devices:…` or `app:…`: which earlier setting this one replaces. */
    targetKey: text('target_key').notNull(),
    target: text('target', { mode: 'json' }).$type<AutomationTarget>().notNull(),
    level: text('level', { mode: 'json' }).$type<unknown>().notNull(),
    actor: text('actor').notNull(),
    setAt: integer('set_at').notNull(),
  },
  (t) => [index('automation_settings_model').on(t.modelName, t.id)],
);
