import type { Automation } from '@edgefleet/shared';
import type { AutomationTarget } from '@edgefleet/shared/api';
import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Every automation level set on a model, append-only (the audit: who, when, what): the latest row per model and
 * target key is the one in force.
 */
export const automationSettings = sqliteTable(
  'automation_settings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    modelName: text('model_name').notNull(),
    /** `selector:…`, `devices:…` or `app:…`: which earlier setting this one replaces. */
    targetKey: text('target_key').notNull(),
    target: text('target', { mode: 'json' }).$type<AutomationTarget>().notNull(),
    level: text('level', { mode: 'json' }).$type<Automation>().notNull(),
    actor: text('actor').notNull(),
    setAt: integer('set_at').notNull(),
  },
  (t) => [index('automation_settings_model').on(t.modelName, t.id)],
);
