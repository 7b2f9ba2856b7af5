import type { Lineage, Manifest, PreprocessingSpec, ProfileJSON, ProfileSpec } from '@edgefleet/shared';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { artifacts } from '../artifacts/schema';

/** A named model; its versions carry everything else. */
export const models = sqliteTable('models', {
  name: text('name').primaryKey(),
  description: text('description'),
  createdAt: integer('created_at').notNull(),
});

/** An immutable model version: artifact, metadata and the signed manifest. Only deprecation changes later. */
export const modelVersions = sqliteTable(
  'model_versions',
  {
    id: text('id').primaryKey(),
    modelName: text('model_name')
      .notNull()
      .references(() => models.name),
    version: text('version').notNull(),
    artifactSha256: text('artifact_sha256')
      .notNull()
      .references(() => artifacts.sha256),
    preprocessing: text('preprocessing', { mode: 'json' }).$type<PreprocessingSpec>().notNull(),
    lineage: text('lineage', { mode: 'json' }).$type<Lineage>().notNull(),
    baseline: text('baseline', { mode: 'json' }).$type<{ spec: ProfileSpec; profile: ProfileJSON }>(),
    baselineSha256: text('baseline_sha256'),
    golden: text('golden', { mode: 'json' }).$type<{ sha256: string }>(),
    manifest: text('manifest', { mode: 'json' }).$type<Manifest>().notNull(),
    manifestSignature: text('manifest_signature').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: integer('created_at').notNull(),
    deprecatedAt: integer('deprecated_at'),
    deprecationReason: text('deprecation_reason'),
  },
  (t) => [
    uniqueIndex('model_versions_name_version').on(t.modelName, t.version),
    index('model_versions_artifact').on(t.artifactSha256),
  ],
);
