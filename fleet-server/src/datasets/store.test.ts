import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FleetDatabase, openDatabase, schema } from '../db';
import { createDataset, datasetExists, listDatasets } from './store';

// The snapshot against a real SQLite file with more captures than one scan page (the scan yields between pages).

let dir: string;
let database: FleetDatabase;
const N = 2_500;
const shaOf = (i: number) => createHash('sha256').update(`sample ${i}`).digest('hex');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgefleet-datasets-'));
  database = openDatabase(dir);
  database.db.transaction((tx) => {
    for (let i = 0; i < N; i++) {
      const sha256 = shaOf(i);
      const label = i % 3 === 0 ? null : String(i % 2);
      tx.insert(schema.samples)
        .values({ sha256, contentType: 'image/png', sizeBytes: 1000 + i, label, lastSeenAt: 1 })
        .run();
      tx.insert(schema.sampleCaptures)
        .values({
          sha256,
          clientId: `d-${i % 7}`,
          deviceId: `d-${i % 7}`,
          deviceLabels: { line: String(i % 2) },
          modelName: 'cls',
          modelVersion: '1.0.0',
          reasons: ['random'],
          top: [],
          features: {},
          capturedAt: 10_000 + i,
          receivedAt: 20_000 + i,
        })
        .run();
    }
  });
});
afterAll(() => {
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

const input = (id: string, maxSamples: number, labelledOnly = false) => ({
  id,
  name: id,
  filter: {},
  labelledOnly,
  maxSamples,
  createdBy: 'admin:t',
  createdAt: 1,
});

describe('createDataset', () => {
  it('scans every page: the newest maxSamples samples, the rest counted, provenance over the ones taken', async () => {
    const { row, samples } = await createDataset(database.db, input('ds-big', 2_000), null);
    expect(row).toMatchObject({ sampleCount: 2_000, truncated: N - 2_000 });
    const taken = new Set(samples.map((s) => s.sha256));
    expect(taken.has(shaOf(N - 1))).toBe(true);
    expect(taken.has(shaOf(N - 2_000))).toBe(true);
    expect(taken.has(shaOf(N - 2_001))).toBe(false);
    expect(row.provenance).toMatchObject({
      from: 10_000 + N - 2_000,
      to: 10_000 + N - 1,
      reasons: { random: 2_000 },
    });
    const labelled = await createDataset(database.db, input('ds-labelled', 100_000, true), null);
    expect(labelled.row.sampleCount).toBe(N - Math.ceil(N / 3));
    expect(labelled.samples.every((s) => s.label !== null)).toBe(true);
  });

  it('refuses (409) to store a snapshot whose sample was deleted while it scanned, and stores nothing', async () => {
    const pending = createDataset(database.db, input('ds-raced', 100_000), null);
    // The first page was read before createDataset returned; retention deletes one of its samples now.
    const victim = shaOf(N - 1);
    database.db.delete(schema.sampleCaptures).where(eq(schema.sampleCaptures.sha256, victim)).run();
    database.db.delete(schema.samples).where(eq(schema.samples.sha256, victim)).run();
    await expect(pending).rejects.toMatchObject({ status: 409, details: { gone: 1 } });
    expect(datasetExists(database.db, 'ds-raced')).toBe(false);
    expect(listDatasets(database.db).map((d) => d.id)).toEqual(expect.not.arrayContaining(['ds-raced']));
    const rows = database.db
      .select()
      .from(schema.datasetSamples)
      .where(eq(schema.datasetSamples.datasetId, 'ds-raced'))
      .all();
    expect(rows).toEqual([]);
  });
});
