import type { Dataset, DatasetSample, SampleFilter } from '@edgefleet/shared/api';
import { asc, desc, eq, inArray, type SQL, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { Conflict } from '../errors';
import type { Selector } from '../labels/selector';
import { knownSamples, listSamples } from '../samples/store';
import { SnapshotBuilder } from './provenance';

const d = schema.datasets;
const ds = schema.datasetSamples;
const mv = schema.modelVersions;

/** A stored dataset (without its trained versions, which are read from the model registry's lineage). */
export type DatasetRow = typeof d.$inferSelect;

/** What a new dataset is made of. */
export interface DatasetInput {
  id: string;
  name: string;
  filter: SampleFilter;
  labelledOnly: boolean;
  maxSamples: number;
  createdBy: string;
  createdAt: number;
}

const SCAN_PAGE = 1_000;
const INSERT_BATCH = 500;

/**
 * Takes the snapshot and stores it: the captures matching the filter (labelled ones only with `labelledOnly`),
 * newest first, each sample once with its label as read. The scan yields to the event loop between pages (a
 * 100,000-sample snapshot must not stall MQTT and HTTP for seconds); captures that arrive meanwhile have higher ids
 * than the scan's cursor and are not taken. The write checks, in its transaction, that every taken sample is still
 * stored (Conflict otherwise: retry); from then on retention keeps them (`deleteExpiredSamples` skips them).
 */
export async function createDataset(
  db: FleetDb,
  input: DatasetInput,
  slice: Selector | null,
): Promise<{ row: DatasetRow; samples: DatasetSample[] }> {
  const filter: SampleFilter = input.labelledOnly ? { ...input.filter, labelled: true } : input.filter;
  const snapshot = new SnapshotBuilder(input.maxSamples);
  let beforeId: number | undefined;
  for (;;) {
    const page = listSamples(db, filter, slice, { ...(beforeId ? { beforeId } : {}), limit: SCAN_PAGE });
    for (const capture of page.samples) snapshot.add(capture);
    if (page.nextCursor === null) break;
    beforeId = Number(page.nextCursor);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const samples = [...snapshot.samples.values()];
  const row: DatasetRow = {
    ...input,
    sampleCount: samples.length,
    truncated: snapshot.truncated,
    totalBytes: snapshot.totalBytes,
    provenance: snapshot.provenance,
  };
  db.transaction((tx) => {
    const known = knownSamples(
      db,
      samples.map((s) => s.sha256),
    ); // same connection: inside this transaction
    const gone = samples.filter((s) => !known.has(s.sha256)).length;
    if (gone > 0)
      throw new Conflict(
        `${gone} samples were deleted while the snapshot was taken; create the dataset again`,
        {
          field: 'filter',
          gone,
        },
      );
    tx.insert(d).values(row).run();
    for (let i = 0; i < samples.length; i += INSERT_BATCH) {
      const batch = samples.slice(i, i + INSERT_BATCH).map((s) => ({ datasetId: input.id, ...s }));
      tx.insert(ds).values(batch).run();
    }
  });
  return { row, samples };
}

/** Whether a dataset exists. */
export function datasetExists(db: FleetDb, id: string): boolean {
  return db.select({ id: d.id }).from(d).where(eq(d.id, id)).get() !== undefined;
}

/** One dataset, or undefined. */
export function findDataset(db: FleetDb, id: string): DatasetRow | undefined {
  return db.select().from(d).where(eq(d.id, id)).get();
}

/** Every dataset, newest first. */
export function listDatasets(db: FleetDb): DatasetRow[] {
  return db.select().from(d).orderBy(desc(d.createdAt), desc(d.id)).all();
}

/** The samples of a dataset, by sha256 (the order of its export). */
export function samplesOfDataset(db: FleetDb, id: string): DatasetSample[] {
  return db
    .select({ sha256: ds.sha256, contentType: ds.contentType, sizeBytes: ds.sizeBytes, label: ds.label })
    .from(ds)
    .where(eq(ds.datasetId, id))
    .orderBy(asc(ds.sha256))
    .all();
}

const trainedOn: SQL<string | null> = sql`json_extract(${mv.lineage}, '$.trainedOn')`;

/** The model versions whose lineage names each dataset (`lineage.trainedOn`), oldest first. */
export function versionsTrainedOn(
  db: FleetDb,
  ids: readonly string[],
): Map<string, Dataset['trainedVersions']> {
  const out = new Map<string, Dataset['trainedVersions']>();
  if (ids.length === 0) return out;
  const rows = db
    .select({ trainedOn, name: mv.modelName, version: mv.version })
    .from(mv)
    .where(inArray(trainedOn, [...ids]))
    .orderBy(asc(mv.createdAt), asc(mv.id))
    .all();
  for (const row of rows) {
    if (row.trainedOn === null) continue;
    const list = out.get(row.trainedOn) ?? [];
    list.push({ name: row.name, version: row.version });
    out.set(row.trainedOn, list);
  }
  return out;
}
