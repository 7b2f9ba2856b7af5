import type { ArtifactKind, ModelSignature } from '@edgefleet/shared/api';
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** Content-addressed artifacts; bytes live at `artifacts/sha256/ab/<sha256>` in the data dir. */
export const artifacts = sqliteTable('artifacts', {
  sha256: text('sha256').primaryKey(),
  sizeBytes: integer('size_bytes').notNull(),
  format: text('format').$type<ArtifactKind>().notNull(),
  /** IO signature of a model; null for golden files. */
  signature: text('signature', { mode: 'json' }).$type<ModelSignature | null>(),
  createdAt: integer('created_at').notNull(),
});
