import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '@edgefleet/shared/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDatasetSamples } from '../datasets/test-support';
import { bufferSource, readTarEntries } from '../tar/reader';
import {
  CLS_MODEL_PATH,
  CLS_PREPROCESSING,
  clsBaseline,
  startTestServer,
  type TestServer,
} from '../testing/harness';
import { type TarInput, writeTar } from '../testing/reference';
import { BIN_TEST_TIMEOUT_MS, cliHome, runInProcess } from './test-support';

// `edgefleet dataset create / list / show / export / verify` (the real bin) against a real server with real
// uploaded samples, and `model push --trained-on`.

let t: TestServer;
const home = cliHome();
const dir = mkdtempSync(join(tmpdir(), 'edgefleet-dataset-cli-'));
const path = (name: string) => join(dir, name);
let env: Record<string, string>;
let seeded: Awaited<ReturnType<typeof seedDatasetSamples>>;

beforeAll(async () => {
  t = await startTestServer({ rolloutTickMs: 3_600_000 });
  env = { EDGEFLEET_URL: t.url, EDGEFLEET_ADMIN_TOKEN: t.adminToken };
  seeded = await seedDatasetSamples(t);
  writeFileSync(path('pre.json'), JSON.stringify(CLS_PREPROCESSING));
  writeFileSync(path('baseline.json'), JSON.stringify(clsBaseline()));
}, 60_000);
afterAll(async () => {
  await t.dispose();
  home.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const inProcess = (argv: string[]) => runInProcess(argv, { ...env, EDGEFLEET_CONFIG: home.config });

/** The files of a tar, in order. */
async function filesOf(tar: Uint8Array): Promise<{ path: string; bytes: Uint8Array }[]> {
  const files: { path: string; bytes: Uint8Array }[] = [];
  for await (const entry of readTarEntries(bufferSource(tar), { maxEntries: 100, maxEntryBytes: 1 << 26 }))
    files.push({ path: entry.path, bytes: await entry.read() });
  return files;
}

describe('edgefleet dataset', { timeout: BIN_TEST_TIMEOUT_MS }, () => {
  let id: string;

  it('creates a dataset from filter flags, lists and shows it with its provenance', async () => {
    const run = await home.run(
      ['dataset', 'create', '--name', 'line 2', '--slice', 'line=2', '--max-samples', '1'],
      {
        env,
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const match = /^Created (ds-[0-9a-f]{12}): 1 samples \(.+\)\n {2}1 more matching samples left out/.exec(
      run.stdout,
    );
    expect(match).not.toBeNull();
    const all = await home.json<Dataset>(
      ['dataset', 'create', '--name', 'everything', '--all', '--model', 'cls', '--since', '1d'],
      env,
    );
    expect(all).toMatchObject({ labelledOnly: false, sampleCount: 5, truncated: 0 });
    id = all.id;
    const window = await home.json<Dataset>(
      [
        'dataset',
        'create',
        '--name',
        'window',
        '--from',
        new Date(seeded.samples.d1.meta.capturedAt).toISOString(),
        '--to',
        String(seeded.samples.w0.meta.capturedAt),
        '--reason',
        'random',
      ],
      env,
    );
    expect(window).toMatchObject({ sampleCount: 1, provenance: { labels: { '180': 1 } } });

    const list = await home.run(['dataset', 'list'], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+everything\\s+5\\s`));
    expect(list.stdout).toContain(match![1]);
    const show = await home.run(['dataset', 'show', id], { env });
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/devices\s+a-00000, a-00001, b-00000/);
    expect(show.stdout).toMatch(/apps\s+shop/);
    expect(show.stdout).toMatch(/labels\s+0: 2, 180: 1/);
    expect(show.stdout).toMatch(/trained\s+-/);
  });

  it('exports a tar that verify accepts, and finds every kind of tampering (exit 1)', async () => {
    const file = path('ds.tar');
    const run = await home.run(['dataset', 'export', id, '-o', file], { env });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Exported ${id} to ${file}`);
    const ok = await home.run(['dataset', 'verify', file], { env: {} }); // offline: no server, no token
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`OK ${id} 'everything': 5 samples, every sha256 matches the manifest`);

    const files = await filesOf(readFileSync(file));
    const samples = files.filter((f) => f.path.startsWith('samples/'));
    expect(samples).toHaveLength(5);
    const tampered = async (name: string, edited: TarInput[]) => {
      writeFileSync(path(name), writeTar(edited));
      return runInProcess(['dataset', 'verify', path(name)], {}); // the same code as the bin, without its start-up
    };
    const flipped = Uint8Array.from(samples[0]!.bytes);
    flipped[100]! ^= 1;
    const mismatch = await tampered(
      'flipped.tar',
      files.map((f) => (f === samples[0] ? { ...f, bytes: flipped } : f)),
    );
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toContain(
      `mismatch  ${samples[0]!.path}: sha256 ${createHash('sha256').update(flipped).digest('hex')}`,
    );
    expect(mismatch.stderr).toContain(
      '0 missing, 0 extra, 1 mismatched files, 0 other problems (4 samples verified)',
    );

    const missing = await tampered(
      'missing.tar',
      files.filter((f) => f !== samples[1]),
    );
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain(`missing   ${samples[1]!.path}`);

    const extra = await tampered('extra.tar', [
      ...files,
      { path: 'samples/extra.png', bytes: samples[2]!.bytes },
    ]);
    expect(extra.code).toBe(1);
    expect(extra.stdout).toContain('extra     samples/extra.png');

    const labels = files.find((f) => f.path === 'labels.jsonl')!;
    const relabelled = Buffer.from(labels.bytes).toString().replace('"label":"180"', '"label":"0"');
    const relabel = await tampered(
      'labels.tar',
      files.map((f) => (f === labels ? { ...f, bytes: Buffer.from(relabelled) } : f)),
    );
    expect(relabel.code).toBe(1);
    expect(relabel.stdout).toMatch(/problem {3}labels\.jsonl: line \d+ does not match the manifest/);

    const noManifest = await tampered(
      'no-manifest.tar',
      files.filter((f) => f.path !== 'manifest.json'),
    );
    expect(noManifest.code).toBe(1);
    expect(noManifest.stdout).toContain('manifest.json is missing');

    writeFileSync(path('junk.tar'), Buffer.alloc(2048, 7));
    const junk = await runInProcess(['dataset', 'verify', path('junk.tar'), '--json'], {});
    expect(junk.code).toBe(1);
    expect(JSON.parse(junk.stdout)).toMatchObject({
      ok: false,
      problems: [expect.stringMatching(/not a readable tar/)],
    });
    const link = await tampered('link.tar', [
      ...files,
      { path: 'samples/x', type: '2', linkName: '/etc/passwd' },
    ]);
    expect(link.code).toBe(1);
    expect(link.stdout).toContain("entry 'samples/x' is a symbolic link");
  });

  it('writes no file when the server aborts the export mid-stream (a blob changed on disk)', async () => {
    const blob = t.server.parts.samples.blobs.pathOf(seeded.samples.w0.meta.sha256);
    const original = readFileSync(blob);
    const flipped = Buffer.from(original);
    flipped[flipped.length - 1]! ^= 0xff;
    writeFileSync(blob, flipped);
    try {
      const file = path('aborted.tar');
      const run = await inProcess(['dataset', 'export', id, '-o', file]);
      expect(run.code).toBe(6);
      expect(run.stderr).toMatch(/export of ds-[0-9a-f]{12} failed after \d+ bytes: .*no file was written/);
      expect(existsSync(file)).toBe(false);
      expect(existsSync(`${file}.part`)).toBe(false);
    } finally {
      writeFileSync(blob, original);
    }
  });

  it('refuses bad flags before any request, and maps server refusals to exit codes', async () => {
    const usage = async (args: string[], message: RegExp) => {
      const run = await inProcess(['dataset', ...args]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(message);
    };
    await usage(['create'], /--name is required/);
    await usage(
      ['create', '--name', 'x', '--from', 'yesterday'],
      /--from: expected an ISO 8601 time or epoch ms/,
    );
    await usage(['create', '--name', 'x', '--max-samples', '-3'], /--max-samples/);
    await usage(
      ['create', '--name', 'x', '--since', '1d', '--from', '0'],
      /give --since or --from, not both/,
    );
    await usage(['create', '--name', 'x', '--colour', 'red'], /Unknown option '--colour'/);
    await usage(['export', id], /-o FILE\.tar is required/);
    await usage(['show'], /expected a dataset id/);
    await usage(['verify', path('nope.tar')], /no such file/);
    await usage(['frobnicate'], /unknown command 'frobnicate'/);

    const badSlice = await inProcess(['dataset', 'create', '--name', 'x', '--slice', 'line in (2']);
    expect(badSlice.code).toBe(1);
    expect(badSlice.stderr).toMatch(/400 invalid_input: body\.filter\.slice/);
    const tooMany = await inProcess(['dataset', 'create', '--name', 'x', '--max-samples', '100001']);
    expect(tooMany.code).toBe(1);
    expect(tooMany.stderr).toMatch(/maxSamples/);
    const unknown = await inProcess(['dataset', 'show', 'ds-000000000000']);
    expect(unknown.code).toBe(4);
    const unknownExport = await inProcess(['dataset', 'export', 'ds-000000000000', '-o', path('x.tar')]);
    expect(unknownExport.code).toBe(4);
    expect(unknownExport.stderr).toContain('404 not_found: no dataset ds-000000000000');
    const device = await runInProcess(['dataset', 'list'], {
      EDGEFLEET_URL: t.url,
      EDGEFLEET_ADMIN_TOKEN: 'a-00000.secret',
      EDGEFLEET_CONFIG: home.config,
    });
    expect(device.code).toBe(3);
    expect(device.stderr).toContain('403 forbidden');
  });

  it('model push --trained-on: an unknown dataset is refused, a known one is linked both ways', async () => {
    const push = (version: string, ...extra: string[]) =>
      inProcess([
        'model',
        'push',
        CLS_MODEL_PATH,
        '--name',
        'cls',
        '--version',
        version,
        '--preprocessing',
        `@${path('pre.json')}`,
        '--baseline',
        path('baseline.json'),
        ...extra,
      ]);
    const unknown = await push('3.0.0', '--trained-on', 'ds-000000000000');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('lineage.trainedOn: no dataset ds-000000000000');
    const malformed = await push('3.0.0', '--trained-on', '../etc');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toContain('--trained-on:');
    const differ = await push('3.0.0', '--trained-on', id, '--lineage', '{"trainedOn":"ds-111111111111"}');
    expect(differ.code).toBe(2);
    expect(differ.stderr).toContain('differ');
    const ok = await push('3.0.0', '--trained-on', id, '--json');
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).version.lineage.trainedOn).toBe(id);
    const show = await home.run(['dataset', 'show', id], { env });
    expect(show.stdout).toMatch(/trained\s+cls@3\.0\.0/);
  });
});
