import type { Dataset, SampleFilter } from '@edgefleet/shared/api';
import type { SampleContentType } from '@edgefleet/shared/capture';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/** An immutable snapshot of samples: what matched a filter when it was made, with provenance. */
export const datasets = sqliteTable('datasets', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  filter: text('filter', { mode: 'json' }).$type<SampleFilter>().notNull(),
  labelledOnly: integer('labelled_only', { mode: 'boolean' }).notNull(),
  maxSamples: integer('max_samples').notNull(),
  sampleCount: integer('sample_count').notNull(),
  truncated: integer('truncated').notNull(),
  totalBytes: integer('total_bytes').notNull(),
  provenance: text('provenance', { mode: 'json' }).$type<Dataset['provenance']>().notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** The samples of a dataset with their label at snapshot time; pins each sample against retention and GC. */
export const datasetSamples = sqliteTable(
  'dataset_samples',
  {
    datasetId: text('dataset_id').notNull(),
    sha256: text('sha256').notNull(),
    contentType: text('content_type').$type<SampleContentType>().notNull(),
    sizeBytes: integer('size_bytes').notNull(),
    label: text('label'),
  },
  (t) => [primaryKey({ columns: [t.datasetId, t.sha256] }), index('dataset_samples_sha').on(t.sha256)],
);
