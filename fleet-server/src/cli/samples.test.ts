import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CaptureList, SampleCaptures, SamplePage } from '@edgefleet/shared/api';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metaOf, pngOf, sampleFleet, uploadSample } from '../samples/test-support';
import { startTestServer, type TestServer } from '../testing/harness';
import { BIN_TEST_TIMEOUT_MS, cliHome, runInProcess } from './test-support';

// `edgefleet capture set / get` and `edgefleet samples list / show / label / get` (the real bin) against a real
// server that received real uploads.

let t: TestServer;
const home = cliHome();
let env: Record<string, string>;
let frame: Uint8Array;
let frameSha: string;
let ocrSha: string;

const POLICY = {
  lowConfidence: { below: 0.9 },
  random: { rate: 0.01 },
  budget: { maxSamplesPerDay: 100, maxBytesPerDay: 10_000_000 },
  clientRetentionDays: 3,
};

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000 });
  env = { EDGEFLEET_URL: t.url, EDGEFLEET_ADMIN_TOKEN: t.adminToken };
  await sampleFleet(t);
});
afterAll(async () => {
  await t.dispose();
  home.dispose();
});

describe('edgefleet capture', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  it('sets a policy from a file on a selector, turns one app off, and shows what is in force', async () => {
    const file = join(home.dir, 'policy.json');
    writeFileSync(file, JSON.stringify(POLICY));
    const set = await home.run(['capture', 'set', 'cls', '--selector', 'line=2', '--policy', file], { env });
    expect(set.stderr).toBe('');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Capture of cls on selector line=2: confidence<0.9 random 0.01; ≤100/day');
    expect(set.stdout).toContain('2 desired states republished');
    const off = await home.run(['capture', 'set', 'cls', '--app', 'shop', '--off'], { env });
    expect(off.code).toBe(0);
    expect(off.stdout).toContain('Capture of cls on app shop: off');
    const listed = await home.json<CaptureList>(['capture', 'get', 'cls'], env);
    expect(listed.settings.map((s) => [s.target, s.policy])).toEqual([
      [{ kind: 'app', appId: 'shop' }, null],
      [{ kind: 'selector', selector: 'line=2' }, POLICY],
    ]);
    const text = await home.run(['capture', 'get', 'cls', '--history'], { env });
    expect(text.stdout).toMatch(/app shop\s+off\s+admin:/);
    expect(text.stdout).toContain('history (newest first)');
  });

  it('refuses bad usage before any request and shows the server’s field errors for a bad policy', async () => {
    const bad = join(home.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...POLICY, budget: { maxSamplesPerDay: 0, maxBytesPerDay: 1 } }));
    const refused = await home.run(['capture', 'set', 'cls', '--device', 'a-00000', '--policy', bad], {
      env,
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('400 invalid_input');
    expect(refused.stderr).toContain('budget.maxSamplesPerDay');
    for (const args of [
      ['capture', 'set', 'cls', '--policy', bad],
      ['capture', 'set', 'cls', '--app', 'shop', '--selector', 'a=b', '--off'],
      ['capture', 'set', 'cls', '--app', 'shop'],
      ['capture', 'set', 'cls', '--app', 'shop', '--off', '--policy', bad],
      ['capture', 'set', 'cls', '--app', 'shop', '--policy', join(home.dir, 'missing.json')],
      ['capture', 'set', 'cls', '--app', 'shop', '--policy', '{not json'],
      ['capture', 'get'],
      ['capture', 'drop', 'cls'],
    ]) {
      const run = await runInProcess(args, env);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
    }
    expect((await home.run(['capture', 'get', 'nope'], { env })).code).toBe(4);
  });
});

describe('edgefleet samples', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  beforeAll(async () => {
    const now = t.clock.nowMs;
    frame = await pngOf(7, 640, 480);
    const meta = metaOf(frame, { clientId: 'a-00000', capturedAt: now - 2000 });
    frameSha = meta.sha256;
    expect((await uploadSample(t, 'a-00000.secret', meta, frame)).status).toBe(201);
    const ocr = await pngOf(8, 192, 48);
    const ocrMeta = metaOf(ocr, {
      clientId: 'a-00001',
      capturedAt: now - 1000,
      reasons: ['random'],
      top: [{ label: '180', confidence: 0.97 }],
    });
    ocrSha = ocrMeta.sha256;
    expect((await uploadSample(t, 'a-00001.secret', ocrMeta, ocr)).status).toBe(201);
  });

  it('lists with filters, as a table and as JSON, and pages', async () => {
    const all = await home.run(['samples', 'list'], { env });
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SHA256\s+CAPTURED\s+BY\s+MODEL\s+REASONS\s+PREDICTED\s+LABEL\s+SIZE$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual([
      ocrSha.slice(0, 12),
      frameSha.slice(0, 12),
    ]);
    const random = await home.json<SamplePage>(
      ['samples', 'list', '--reason', 'random', '--slice', 'line=2'],
      env,
    );
    expect(random.samples.map((s) => s.sha256)).toEqual([ocrSha]);
    const page = await home.run(['samples', 'list', '--limit', '1'], { env });
    const cursor = /--cursor (\d+)/.exec(page.stdout)?.[1];
    expect(cursor).toBeDefined();
    const next = await home.json<SamplePage>(['samples', 'list', '--limit', '1', '--cursor', cursor!], env);
    expect(next.samples.map((s) => s.sha256)).toEqual([frameSha]);
    expect(
      (await home.json<SamplePage>(['samples', 'list', '--since', '1h', '--unlabelled'], env)).samples,
    ).toHaveLength(2);
    const badSlice = await home.run(['samples', 'list', '--slice', '=2'], { env });
    expect(badSlice.code).toBe(1);
    expect(badSlice.stderr).toContain('slice');
  });

  it('labels, clears, and shows the captures with the label history', async () => {
    const labelled = await home.run(['samples', 'label', frameSha, '180'], { env });
    expect(labelled.code).toBe(0);
    expect(labelled.stdout).toContain(`Labelled ${frameSha} 180 (by admin:`);
    expect(
      (await home.json<SamplePage>(['samples', 'list', '--labelled'], env)).samples.map((s) => s.label),
    ).toEqual(['180']);
    expect((await home.run(['samples', 'label', frameSha, '--clear'], { env })).stdout).toContain('Cleared');
    const shown = await home.run(['samples', 'show', frameSha.toUpperCase()], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain('640×480');
    expect(shown.stdout).toMatch(/a-00000\s+line=2\s+cls@1\.0\.0\s+low_confidence\s+0 0\.60/);
    expect(shown.stdout).toMatch(/label history[\s\S]*180[\s\S]*\(cleared\)\s+180/);
    const json = await home.json<SampleCaptures>(['samples', 'show', frameSha], env);
    expect(json.labelHistory.map((h) => h.label)).toEqual(['180', null]);
    const missing = await home.run(['samples', 'show', 'c'.repeat(64)], { env });
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('404 not_found');
  });

  it('downloads the bytes (checked) and a thumbnail; never overwrites without --force', async () => {
    const out = join(home.dir, 'frame.png');
    const got = await home.run(['samples', 'get', frameSha, '-o', out], { env });
    expect(got.stderr).toBe('');
    expect(got.code).toBe(0);
    expect(createHash('sha256').update(readFileSync(out)).digest('hex')).toBe(frameSha);
    expect(readFileSync(out).equals(Buffer.from(frame))).toBe(true);
    const again = await home.run(['samples', 'get', frameSha, '-o', out], { env });
    expect(again.code).toBe(2);
    const thumb = join(home.dir, 'thumb.jpg');
    expect((await home.run(['samples', 'get', frameSha, '--thumb', '-o', thumb], { env })).code).toBe(0);
    const info = await sharp(readFileSync(thumb)).metadata();
    expect([info.format, info.width, info.height]).toEqual(['jpeg', 256, 192]);
    const noDir = join(home.dir, 'no-such-dir', 'x.png');
    const unwritable = await home.run(['samples', 'get', frameSha, '-o', noDir], { env });
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toContain(`cannot write ${noDir}`);
    const missing = join(home.dir, 'missing.png');
    const notFound = await home.run(['samples', 'get', 'c'.repeat(64), '-o', missing], { env });
    expect(notFound.code).toBe(4);
    expect(existsSync(missing) || existsSync(`${missing}.partial`)).toBe(false);
  });

  it('refuses bad usage with exit code 2 before any request', async () => {
    for (const args of [
      ['samples', 'show'],
      ['samples', 'show', 'abc'],
      ['samples', 'show', `${'a'.repeat(64)}/../x`],
      ['samples', 'label', frameSha],
      ['samples', 'label', frameSha, 'x', '--clear'],
      ['samples', 'get', frameSha],
      ['samples', 'list', '--labelled', '--unlabelled'],
      ['samples', 'list', '--from', 'yesterday'],
      ['samples', 'list', '--limit', '5000'],
      ['samples', 'list', '--since', '1h', '--from', '0'],
      ['samples', 'list', 'extra'],
      ['samples', 'purge'],
    ]) {
      const run = await runInProcess(args, { ...env, EDGEFLEET_URL: 'http://127.0.0.1:1' });
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
    }
    const help = await runInProcess(['help'], env);
    expect(help.stdout).toContain('samples        list, show, label and download captured samples');
    expect(help.stdout).toContain('capture        set and get');
  });
});
