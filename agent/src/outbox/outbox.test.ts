import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Profile, telemetryReportSchema } from '@edgefleet/shared';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from './outbox';
import { sampleDraft } from './sample-draft';

const RUNTIME = { backend: 'cpu', threads: 1 };
const SOFTWARE = {
  rssBytes: 50_000_000,
  heapUsedBytes: 10_000_000,
  cpuUserMs: 100,
  cpuSystemMs: 10,
  eventLoopDelayP50Ms: 10,
  eventLoopDelayP99Ms: 12,
  eventLoopDelayMaxMs: 30,
};
const MINUTE = 60_000;
const DAY = 86_400_000;
const dirs: string[] = [];
const tempDb = () => {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  dirs.push(dir);
  return join(dir, 'telemetry.db');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('Outbox', () => {
  it('stamps clientId, epoch and rising seq; a restart opens a new epoch and keeps unacked reports', () => {
    const path = tempDb();
    const a = new Outbox(path, 'dev-1', 100);
    const r1 = a.append(sampleDraft(), RUNTIME);
    const r2 = a.append(sampleDraft(), RUNTIME);
    expect([r1.epoch, r1.seq, r2.seq]).toEqual([1, 1, 2]);
    expect(telemetryReportSchema.safeParse(r1).success).toBe(true);
    a.close();
    const b = new Outbox(path, 'dev-1', 100);
    expect(b.epoch).toBe(2);
    expect(b.pending(10).map((p) => [p.epoch, p.seq])).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(b.append(sampleDraft(), RUNTIME).seq).toBe(1);
    expect(b.ack(1, [2, 7])).toBe(1);
    expect(b.pending(10).map((p) => [p.epoch, p.seq])).toEqual([
      [1, 1],
      [2, 1],
    ]);
    // An older server's ack (highest seq only) deletes only what was sent up to it.
    expect(b.ackUpTo(1, 5)).toBe(0);
    b.markSent(1, 1);
    expect(b.ackUpTo(1, 5)).toBe(1);
    expect(b.pending(10).map((p) => [p.epoch, p.seq])).toEqual([[2, 1]]);
    b.close();
  });

  it('drops and counts reports of another client id (written before enrollment)', () => {
    const path = tempDb();
    const before = new Outbox(path, 'unenrolled', 100);
    before.append(sampleDraft(4), RUNTIME);
    before.close();
    const after = new Outbox(path, 'dev-1', 100);
    expect(after.pending(10)).toEqual([]);
    expect(after.append(sampleDraft(), RUNTIME).overflow).toMatchObject({
      droppedReports: 1,
      droppedInferences: 4,
    });
    after.close();
  });

  it('drops the oldest beyond its bound when nothing can merge, and counts them in every later report', () => {
    const box = new Outbox(tempDb(), 'dev-1', 3);
    // Two days apart: no window may merge with its neighbour.
    for (let i = 0; i < 5; i++) box.append(sampleDraft(i + 1, 1_000 + i * 2 * DAY), RUNTIME);
    expect(box.pending(10).map((p) => p.seq)).toEqual([3, 4, 5]);
    const last = JSON.parse(box.pending(10).at(-1)!.body);
    expect(last.overflow).toEqual({ mergedWindows: 0, droppedReports: 2, droppedInferences: 1 + 2 });
    expect(box.stats()).toMatchObject({ pending: 3, appended: 5, overflow: { droppedReports: 2 } });
    box.close();
  });

  it('merges old adjacent windows before it drops any: counts preserved, each report delivered once', () => {
    const path = tempDb();
    const first = new Outbox(path, 'dev-1', 12);
    const draft = (i: number) =>
      sampleDraft(1 + (i % 4), 1_000 + i * MINUTE, i % 3 === 0 ? '2.0.0' : '1.0.0');
    let total = 0;
    let appended = 0;
    // Offline: 20 windows, then a restart (new epoch), then 20 more, all into a bound of 12.
    for (let i = 0; i < 20; i++, appended++)
      total += first.append(draft(i), RUNTIME, SOFTWARE).profile.inferences;
    first.close();
    const box = new Outbox(path, 'dev-1', 12);
    for (let i = 20; i < 40; i++, appended++)
      total += box.append(draft(i), RUNTIME, SOFTWARE).profile.inferences;

    const stats = box.stats();
    expect(stats.pending).toBe(12);
    expect(stats.overflow.droppedReports).toBe(0);
    const reports = box.pending(100).map((p) => telemetryReportSchema.parse(JSON.parse(p.body)));
    // Every report merged so far was saved by merging: appended = pending + merged (nothing dropped).
    // Counters are per epoch; the last report of each epoch holds that epoch's (it never merges away).
    const epochs = [...new Set(reports.map((r) => r.epoch))];
    expect(epochs).toEqual([1, 2]);
    const mergedIn = (epoch: number) =>
      Math.max(...reports.filter((r) => r.epoch === epoch).map((r) => r.overflow.mergedWindows));
    expect(mergedIn(1)).toBe(8);
    expect(mergedIn(2)).toBe(stats.overflow.mergedWindows);
    // Nothing dropped: every report merging did not save is still here.
    expect(appended).toBe(reports.length + mergedIn(1) + mergedIn(2));
    const inferences = reports.map((r) => Profile.fromJSON(r.profile, sampleDraft().spec));
    expect(inferences.every((r) => r.ok)).toBe(true);
    expect(inferences.reduce((n, r) => n + (r.ok ? r.value.inferences : 0), 0)).toBe(total);
    // Merged reports: one stream each, coarser windows, software metrics merged (CPU adds up).
    const coarse = reports.filter((r) => r.window.endMs - r.window.startMs > MINUTE);
    expect(coarse.length).toBeGreaterThan(0);
    for (const r of coarse) {
      expect(r.epoch).toBe(box.epoch);
      expect(r.software?.cpuUserMs).toBeGreaterThan(SOFTWARE.cpuUserMs);
      expect(r.software?.rssBytes).toBe(SOFTWARE.rssBytes);
    }
    // The newest windows stay fine-grained.
    const newest = [...reports].sort((a, b) => b.window.endMs - a.window.endMs).slice(0, 2);
    for (const r of newest) expect(r.window.endMs - r.window.startMs).toBe(MINUTE);
    // Unique (epoch, seq): acking what the server stored deletes each once, and nothing is left.
    const keys = reports.map((r) => `${r.epoch}:${r.seq}`);
    expect(new Set(keys).size).toBe(keys.length);
    let acked = 0;
    for (const epoch of new Set(reports.map((r) => r.epoch))) {
      acked += box.ack(
        epoch,
        reports.filter((r) => r.epoch === epoch).map((r) => r.seq),
      );
    }
    expect(acked).toBe(12);
    expect(box.pending(100)).toEqual([]);
    box.close();
  });

  it('never merges a report already sent (the server may hold it); drops it when nothing else can go', () => {
    const box = new Outbox(tempDb(), 'dev-1', 3);
    for (let i = 0; i < 3; i++) box.append(sampleDraft(2, 1_000 + i * MINUTE), RUNTIME);
    for (const p of box.pending(10)) box.markSent(p.epoch, p.seq);
    box.append(sampleDraft(2, 1_000 + 3 * MINUTE), RUNTIME);
    expect(box.pending(10).map((p) => p.seq)).toEqual([2, 3, 4]);
    expect(box.stats().overflow).toEqual({ mergedWindows: 0, droppedReports: 1, droppedInferences: 2 });
    box.close();
  });

  it('treats reports of an outbox written before the sent column as sent, and carries a dropped epoch end forward', () => {
    const path = tempDb();
    const old = new Database(path);
    old.exec(
      "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL); INSERT INTO meta VALUES ('epoch', 1)",
    );
    old.exec(
      'CREATE TABLE reports (epoch INTEGER NOT NULL, seq INTEGER NOT NULL, inferences INTEGER NOT NULL, body TEXT NOT NULL, PRIMARY KEY (epoch, seq))',
    );
    const { window, model, role, specHash, profile } = sampleDraft(2);
    const legacy = {
      ...{
        v: 1,
        clientId: 'dev-1',
        epoch: 1,
        seq: 1,
        window,
        model,
        role,
        specHash,
        profile,
        runtime: RUNTIME,
      },
      overflow: { mergedWindows: 5, droppedReports: 1, droppedInferences: 7 },
    };
    old.prepare('INSERT INTO reports VALUES (1, 1, 2, ?)').run(JSON.stringify(legacy));
    old.close();
    const box = new Outbox(path, 'dev-1', 2);
    box.append(sampleDraft(2, 1_000 + MINUTE), RUNTIME);
    box.append(sampleDraft(2, 1_000 + 2 * MINUTE), RUNTIME);
    // Dropped, not merged; its epoch's counters travel on with the current epoch.
    expect(box.pending(10).map((p) => [p.epoch, p.seq])).toEqual([
      [2, 1],
      [2, 2],
    ]);
    expect(box.stats().overflow).toEqual({ mergedWindows: 5, droppedReports: 2, droppedInferences: 9 });
    box.close();
  });

  it('survives kill -9 in the middle of appends: every stored report is whole, none lost that was committed', async () => {
    const path = tempDb();
    const require = createRequire(import.meta.url);
    const child = spawn(
      process.execPath,
      [
        '--import',
        require.resolve('tsx/esm'),
        fileURLToPath(new URL('./outbox.fixture.ts', import.meta.url)),
        path,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (out.split('\n').length > 50) {
          clearInterval(check);
          resolve();
        }
      }, 10);
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    // Only whole lines: the last chunk may end in the middle of a number.
    const printed = out.split('\n').slice(0, -1).map(Number);
    const lastCommitted = printed.at(-1)!;
    const box = new Outbox(path, 'dev-kill', 1_000_000);
    const rows = box.pending(1_000_000);
    // The child prints after commit, so at most one more than printed can be stored.
    expect(rows.length).toBeGreaterThanOrEqual(lastCommitted);
    expect(rows.length).toBeLessThanOrEqual(lastCommitted + 1);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: rows.length }, (_, i) => i + 1));
    for (const row of rows) expect(telemetryReportSchema.safeParse(JSON.parse(row.body)).success).toBe(true);
    expect(box.epoch).toBe(2);
    box.close();
  });
});
