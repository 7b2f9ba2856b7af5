import type { Sample, SampleFilter } from '@edgefleet/shared/api';
import { type CaptureDay, captureDayOf, type SampleMeta } from '@edgefleet/shared/capture';
import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, notExists, type SQL, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import { matchesSelector, type Selector } from '../labels/selector';

const s = schema.samples;
const c = schema.sampleCaptures;

/** Who uploaded a sample: a device (its labels now are kept for slices) or a browser of an app. */
export type SampleSource = { deviceId: string; labels: Record<string, string> } | { appId: string };

/** Whether this client stored these bytes before (identity: sha256 and clientId). */
export function captureExists(db: FleetDb, sha256: string, clientId: string): boolean {
  const row = db
    .select({ id: c.id })
    .from(c)
    .where(and(eq(c.sha256, sha256), eq(c.clientId, clientId)))
    .get();
  return row !== undefined;
}

/** Whether the store has a sample of these bytes (its blob is kept). */
export function sampleExists(db: FleetDb, sha256: string): boolean {
  return db.select({ sha: s.sha256 }).from(s).where(eq(s.sha256, sha256)).get() !== undefined;
}

/** Bytes of every stored sample (each blob once). */
export function storedSampleBytes(db: FleetDb): number {
  return (
    db
      .select({ n: sql<number>`coalesce(sum(${s.sizeBytes}), 0)` })
      .from(s)
      .get()?.n ?? 0
  );
}

/**
 * Records one capture and its sample (created, or its last-seen time moved) in one transaction; a label known at
 * capture labels a sample that has none. False when (sha256, clientId) was recorded already (a resend).
 */
export function insertCapture(
  db: FleetDb,
  meta: SampleMeta,
  source: SampleSource,
  dims: { width: number | null; height: number | null },
  receivedAt: number,
): boolean {
  return db.transaction((tx) => {
    const labelled = meta.label
      ? { label: meta.label, labelledBy: `client:${meta.clientId}`, labelledAt: receivedAt }
      : {};
    tx.insert(s)
      .values({
        sha256: meta.sha256,
        contentType: meta.contentType,
        sizeBytes: meta.sizeBytes,
        width: dims.width,
        height: dims.height,
        lastSeenAt: receivedAt,
        ...labelled,
      })
      .onConflictDoUpdate({ target: s.sha256, set: { lastSeenAt: receivedAt } })
      .run();
    if (meta.label)
      tx.update(s)
        .set(labelled)
        .where(and(eq(s.sha256, meta.sha256), isNull(s.label)))
        .run();
    const inserted = tx
      .insert(c)
      .values({
        sha256: meta.sha256,
        clientId: meta.clientId,
        deviceId: 'deviceId' in source ? source.deviceId : null,
        appId: 'appId' in source ? source.appId : null,
        deviceLabels: 'labels' in source ? source.labels : {},
        modelName: meta.model.name,
        modelVersion: meta.model.version,
        reasons: meta.reasons,
        top: meta.top ?? [],
        predicted: meta.top?.[0]?.label ?? null,
        features: meta.features ?? {},
        predictionId: meta.predictionId ?? null,
        capturedAt: meta.capturedAt,
        receivedAt,
      })
      .onConflictDoNothing()
      .run();
    return inserted.changes > 0;
  });
}

/** The capture spending of a client, model and day (a fresh day when none was recorded). */
export function budgetDayOf(db: FleetDb, clientKey: string, modelName: string, atMs: number): CaptureDay {
  const fresh = captureDayOf(atMs);
  const b = schema.sampleBudgetDays;
  const row = db
    .select({ day: b.day })
    .from(b)
    .where(and(eq(b.clientKey, clientKey), eq(b.modelName, modelName), eq(b.dayMs, fresh.dayMs)))
    .get();
  if (!row) return fresh;
  return { ...row.day, perClass: Object.assign(Object.create(null), row.day.perClass) };
}

/** Stores a day's capture spending. */
export function saveBudgetDay(db: FleetDb, clientKey: string, modelName: string, day: CaptureDay): void {
  const b = schema.sampleBudgetDays;
  db.insert(b)
    .values({ clientKey, modelName, dayMs: day.dayMs, day })
    .onConflictDoUpdate({ target: [b.clientKey, b.modelName, b.dayMs], set: { day } })
    .run();
}

/** SQL conditions of a filter (all but the slice, which is matched on the rows). */
function conditionsOf(filter: SampleFilter): SQL[] {
  const where: SQL[] = [];
  if (filter.model) where.push(eq(c.modelName, filter.model));
  if (filter.version) where.push(eq(c.modelVersion, filter.version));
  if (filter.reason)
    where.push(sql`exists (select 1 from json_each(${c.reasons}) where value = ${filter.reason})`);
  if (filter.predicted) where.push(eq(c.predicted, filter.predicted));
  if (filter.label) where.push(eq(s.label, filter.label));
  if (filter.labelled !== undefined) where.push(filter.labelled ? isNotNull(s.label) : isNull(s.label));
  if (filter.device) where.push(eq(c.deviceId, filter.device));
  if (filter.app) where.push(eq(c.appId, filter.app));
  if (filter.from !== undefined) where.push(gte(c.capturedAt, filter.from));
  if (filter.to !== undefined) where.push(lt(c.capturedAt, filter.to));
  return where;
}

const sampleColumns = {
  id: c.id,
  sha256: c.sha256,
  contentType: s.contentType,
  sizeBytes: s.sizeBytes,
  width: s.width,
  height: s.height,
  clientId: c.clientId,
  deviceId: c.deviceId,
  appId: c.appId,
  deviceLabels: c.deviceLabels,
  modelName: c.modelName,
  modelVersion: c.modelVersion,
  reasons: c.reasons,
  top: c.top,
  features: c.features,
  predictionId: c.predictionId,
  capturedAt: c.capturedAt,
  receivedAt: c.receivedAt,
  label: s.label,
  labelledBy: s.labelledBy,
  labelledAt: s.labelledAt,
};

function toSample(
  row: {
    [K in keyof typeof sampleColumns]: (typeof sampleColumns)[K]['_']['data'] | null;
  },
): Sample {
  const { modelName, modelVersion, ...rest } = row;
  return { ...rest, model: { name: modelName, version: modelVersion } } as Sample;
}

/**
 * Captures matching `filter`, newest received first, below capture id `beforeId` (the cursor); at most `limit`.
 * The slice selector is matched on the capture's device labels, scanning in batches.
 */
export function listSamples(
  db: FleetDb,
  filter: SampleFilter,
  slice: Selector | null,
  page: { beforeId?: number; limit: number },
): { samples: Sample[]; nextCursor: string | null } {
  const out: Sample[] = [];
  let beforeId = page.beforeId;
  const batch = Math.max(page.limit, 200);
  for (;;) {
    const where = conditionsOf(filter);
    if (beforeId !== undefined) where.push(lt(c.id, beforeId));
    const rows = db
      .select(sampleColumns)
      .from(c)
      .innerJoin(s, eq(s.sha256, c.sha256))
      .where(and(...where))
      .orderBy(desc(c.id))
      .limit(batch)
      .all();
    for (const row of rows) {
      if (slice && (row.deviceId === null || !matchesSelector(slice, row.deviceLabels))) continue;
      out.push(toSample(row));
      if (out.length === page.limit) return { samples: out, nextCursor: String(row.id) };
    }
    if (rows.length < batch) return { samples: out, nextCursor: null };
    beforeId = rows.at(-1)!.id;
  }
}

/** Every capture of a sample, newest first. */
export function capturesOf(db: FleetDb, sha256: string): Sample[] {
  return db
    .select(sampleColumns)
    .from(c)
    .innerJoin(s, eq(s.sha256, c.sha256))
    .where(eq(c.sha256, sha256))
    .orderBy(desc(c.id))
    .all()
    .map(toSample);
}

/** A stored sample's content type and size, or undefined. */
export function sampleOf(db: FleetDb, sha256: string) {
  return db.select().from(s).where(eq(s.sha256, sha256)).get();
}

/**
 * Sets (or clears) a sample's label and appends the change to its label audit (who, when, what it replaced), in one
 * transaction; false when there is no such sample.
 */
export function setLabel(
  db: FleetDb,
  sha256: string,
  label: string | null,
  by: string,
  atMs: number,
): boolean {
  const set =
    label === null
      ? { label, labelledBy: null, labelledAt: null }
      : { label, labelledBy: by, labelledAt: atMs };
  return db.transaction((tx) => {
    const before = tx.select({ label: s.label }).from(s).where(eq(s.sha256, sha256)).get();
    if (!before) return false;
    tx.update(s).set(set).where(eq(s.sha256, sha256)).run();
    tx.insert(schema.sampleLabelAudit)
      .values({ sha256, label, previous: before.label, actor: by, at: atMs })
      .run();
    return true;
  });
}

/** The label changes of a sample, oldest first (labels known at capture are not in it: see `labelledBy`). */
export function labelHistoryOf(db: FleetDb, sha256: string) {
  const a = schema.sampleLabelAudit;
  return db
    .select({ label: a.label, previous: a.previous, actor: a.actor, at: a.at })
    .from(a)
    .where(eq(a.sha256, sha256))
    .orderBy(a.id)
    .all();
}

/**
 * Deletes up to `limit` samples (with their captures and label audit) that expired: unlabelled, last seen before
 * `beforeMs`, in no dataset. Returns their hashes (their blobs go next).
 */
export function deleteExpiredSamples(db: FleetDb, beforeMs: number, limit: number): string[] {
  const d = schema.datasetSamples;
  return db.transaction((tx) => {
    const rows = tx
      .select({ sha256: s.sha256 })
      .from(s)
      .where(
        and(
          isNull(s.label),
          lt(s.lastSeenAt, beforeMs),
          notExists(tx.select({ one: sql`1` }).from(d).where(eq(d.sha256, s.sha256))),
        ),
      )
      .limit(limit)
      .all();
    const hashes = rows.map((r) => r.sha256);
    if (hashes.length === 0) return hashes;
    tx.delete(c).where(inArray(c.sha256, hashes)).run();
    tx.delete(schema.sampleLabelAudit).where(inArray(schema.sampleLabelAudit.sha256, hashes)).run();
    tx.delete(s).where(inArray(s.sha256, hashes)).run();
    return hashes;
  });
}

/** Which of `hashes` have a sample row (the rest are unreferenced blobs). */
export function knownSamples(db: FleetDb, hashes: readonly string[]): Set<string> {
  const known = new Set<string>();
  for (let i = 0; i < hashes.length; i += 500) {
    const rows = db
      .select({ sha256: s.sha256 })
      .from(s)
      .where(inArray(s.sha256, hashes.slice(i, i + 500)))
      .all();
    for (const row of rows) known.add(row.sha256);
  }
  return known;
}

/** Deletes the budget days that ended before `beforeMs`. */
export function deleteBudgetDaysBefore(db: FleetDb, beforeMs: number): number {
  const b = schema.sampleBudgetDays;
  return db.delete(b).where(lt(b.dayMs, beforeMs)).run().changes;
}
