import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** One tensor of a model's input/output signature as onnxruntime reports it. */
export interface TensorSignature {
  name: string;
  type: string;
  /** Dimensions; symbolic ones are strings (e.g. 'batch'), unknown ones null. */
  shape: (number | string | null)[];
}

/** Input/output signature read from a model with onnxruntime-node. */
export interface ModelSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

/**
 * What an artifact holds: an ONNX model (signature checked), a golden input/output pair file (format
 * checked) or a reference set for a server-computed baseline (a tar archive; structure checked).
 */
export const ARTIFACT_KINDS = ['model', 'golden', 'reference'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** Content-addressed artifacts; bytes live at `artifacts/sha256/ab/<sha256>` in the data dir. */
export const artifacts = sqliteTable('artifacts', {
  sha256: text('sha256').primaryKey(),
  sizeBytes: integer('size_bytes').notNull(),
  /** An ArtifactKind. */
  format: text('format').notNull(),
  /** IO signature of a model; null for golden files. */
  signature: text('signature', { mode: 'json' }).$type<ModelSignature | null>(),
  createdAt: integer('created_at').notNull(),
});
