import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { telemetryReportSchema } from '@edgefleet/shared';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox } from './outbox';
import { sampleDraft } from './sample-draft';

const RUNTIME = { backend: 'cpu', threads: 1 };
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
    expect(b.ack(1, 2)).toBe(2);
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

  it('drops the oldest beyond its bound and counts them in every later report', () => {
    const box = new Outbox(tempDb(), 'dev-1', 3);
    for (let i = 0; i < 5; i++) box.append(sampleDraft(i + 1), RUNTIME);
    expect(box.pending(10).map((p) => p.seq)).toEqual([3, 4, 5]);
    const last = JSON.parse(box.pending(10).at(-1)!.body);
    expect(last.overflow).toEqual({ mergedWindows: 0, droppedReports: 2, droppedInferences: 1 + 2 });
    expect(box.stats()).toMatchObject({ pending: 3, appended: 5, overflow: { droppedReports: 2 } });
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
