import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSession } from '../runtime/model-session';
import { ServingEngine } from '../serving/engine';
import { TelemetryWindows } from '../telemetry/windows';
import { loadCls } from '../testing/cls';
import { FAILED_DIR, WatchedFolder } from './folder';

const logger = pino({ level: 'silent' });

describe('WatchedFolder with the real cls model', () => {
  let session: ModelSession;
  let dir: string;
  beforeAll(async () => {
    session = await loadCls();
    dir = mkdtempSync(join(tmpdir(), 'watch-'));
  });
  afterAll(async () => {
    await session.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it('infers each image once, moves bad files aside with the reason, and does not redo work after a restart', async () => {
    const inbox = join(dir, 'in');
    const out = join(dir, 'out');
    const engine = new ServingEngine(new TelemetryWindows(), logger);
    engine.switchTo({ active: session, shadow: null, standby: null });
    engine.automation = { level: 'assist' };
    const png = await sharp({ create: { width: 200, height: 50, channels: 3, background: '#808080' } })
      .png()
      .toBuffer();
    const jpg = await sharp({ create: { width: 96, height: 24, channels: 3, background: '#202020' } })
      .jpeg()
      .toBuffer();
    let folder = new WatchedFolder(engine, { dir: inbox, outDir: out, pollMs: 20, logger });
    await folder.start();
    writeFileSync(join(inbox, 'a.png'), png);
    writeFileSync(join(inbox, 'b.jpg'), jpg);
    writeFileSync(join(inbox, 'c.png'), Buffer.from('not a png'));
    writeFileSync(join(inbox, 'notes.txt'), 'ignored');
    const deadline = Date.now() + 10_000;
    while (folder.processed + folder.failed < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await folder.stop();
    expect(readdirSync(out).sort()).toEqual(['a.png.json', 'b.jpg.json']);
    const result = JSON.parse(readFileSync(join(out, 'a.png.json'), 'utf8'));
    expect(result).toMatchObject({ file: 'a.png', model: { name: 'cls', version: '1.0.0' } });
    expect(['0', '180']).toContain(result.top.label);
    // The decision route of the automation level, and the id a label is sent back with.
    expect(result.decision).toEqual({
      route: 'review',
      reason: 'assist: the model answer is a suggestion, a human decides',
    });
    expect(result.predictionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(existsSync(join(inbox, FAILED_DIR, 'c.png'))).toBe(true);
    expect(JSON.parse(readFileSync(join(inbox, FAILED_DIR, 'c.png.error.json'), 'utf8'))).toMatchObject({
      error: 'unsupported_media',
    });
    expect(engine.counters.rejected.unsupported_media).toBe(1);

    // Restart: nothing is processed again, a new file is.
    const inferencesBefore = engine.counters.inferences;
    folder = new WatchedFolder(engine, { dir: inbox, outDir: out, pollMs: 20, logger });
    await folder.start();
    writeFileSync(join(inbox, 'd.png'), png);
    const deadline2 = Date.now() + 10_000;
    while (folder.processed < 1 && Date.now() < deadline2) await new Promise((r) => setTimeout(r, 20));
    await folder.settle();
    await folder.stop();
    expect(engine.counters.inferences - inferencesBefore).toBe(1);
    expect(readdirSync(out).sort()).toEqual(['a.png.json', 'b.jpg.json', 'd.png.json']);
  });
});
