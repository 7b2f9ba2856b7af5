/**
 * Every table, for drizzle's typed client. Each concept owns its `schema.ts`;
 * drizzle.config.ts globs `src/**\/schema.ts`, so migrations pick up new files even before they are listed here.
 */
export * from '../alerts/schema';
export * from '../apps/schema';
export * from '../artifacts/schema';
export * from '../datasets/schema';
export * from '../devices/schema';
export * from '../fleet/schema';
export * from '../model-settings/schema';
export * from '../models/schema';
export * from '../rollouts/schema';
export * from '../samples/schema';
export * from '../telemetry/schema';
