import { defineConfig } from 'drizzle-kit';

// One schema file per concept folder; the glob picks up new concepts (e.g. telemetry/) without edits here.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/**/schema.ts',
  out: './drizzle',
});
