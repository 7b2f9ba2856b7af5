import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { labelPatch } from './device';
import {
  parseDuration,
  parseFlags,
  parseLabelPairs,
  parseModelRef,
  parsePositiveInt,
  readJsonArg,
} from './flags';
import { UsageError } from './io';
import { lineageFromPairs, readLineage } from './lineage';

const dir = mkdtempSync(join(tmpdir(), 'edgefleet-flags-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CLI flag parsing', () => {
  it('parses durations, counts, labels and NAME@VERSION, refusing everything else as usage errors', () => {
    expect([parseDuration('90s', 'f'), parseDuration('1.5h', 'f'), parseDuration('7d', 'f')]).toEqual([
      90_000, 5_400_000, 604_800_000,
    ]);
    for (const bad of ['', '0s', '-1h', '1y', 'h', '1e3s', 'soon'])
      expect(() => parseDuration(bad, '--since'), bad).toThrow(UsageError);
    expect(parsePositiveInt('5', 'f')).toBe(5);
    for (const bad of ['0', '-1', '1e3', '5.5', ' ', '9007199254740993', '0x10'])
      expect(() => parsePositiveInt(bad, 'f'), bad).toThrow(UsageError);
    expect(parseLabelPairs(['a=b=c', 'site='], 'f')).toEqual({ a: 'b=c', site: '' });
    expect(() => parseLabelPairs(['=x'], 'f')).toThrow('expected KEY=VALUE');
    expect(() => parseLabelPairs(['x'], 'f')).toThrow(UsageError);
    expect(parseModelRef('cls@1.0.0-rc.1+b5', 'm')).toEqual({ name: 'cls', version: '1.0.0-rc.1+b5' });
    expect(parseModelRef('cls', 'm', true)).toEqual({ name: 'cls', version: undefined });
    for (const bad of ['cls', 'cls@', '../etc@1', '@1', `${'a'.repeat(129)}@1`, 'cls@1/../../x', 'cls@1@2']) {
      expect(() => parseModelRef(bad, 'm'), bad).toThrow(UsageError);
    }
  });

  it('reports unknown options and missing values with the usage text', () => {
    const unknown = (() => {
      try {
        parseFlags(['--bogus'], {}, 'USAGE');
      } catch (error) {
        return error as UsageError;
      }
    })();
    expect(unknown).toBeInstanceOf(UsageError);
    expect(unknown?.message).toBe("Unknown option '--bogus'.");
    expect(unknown?.usage).toBe('USAGE');
    expect(() => parseFlags(['--name'], { name: { type: 'string' } }, 'U')).toThrow(
      "Option '--name <value>' argument missing",
    );
    expect(parseFlags(['x', '--json'], {}, 'U')).toMatchObject({
      values: { json: true },
      positionals: ['x'],
    });
  });

  it('reads JSON inline or from @file, refusing missing, non-file, oversized and invalid input', async () => {
    writeFileSync(join(dir, 'ok.json'), '{"a": 1}');
    writeFileSync(join(dir, 'big.json'), `"${'x'.repeat(1024 * 1024)}"`);
    expect(await readJsonArg('{"a": 1}', '--x')).toEqual({ a: 1 });
    expect(await readJsonArg(`@${join(dir, 'ok.json')}`, '--x')).toEqual({ a: 1 });
    await expect(readJsonArg('{a:1}', '--x')).rejects.toThrow('--x: not valid JSON');
    await expect(readJsonArg(`@${join(dir, 'missing.json')}`, '--x')).rejects.toThrow('no such file');
    await expect(readJsonArg(`@${dir}`, '--x')).rejects.toThrow('is not a file');
    await expect(readJsonArg(`@${join(dir, 'big.json')}`, '--x')).rejects.toThrow('at most 1048576');
  });

  it('builds lineage from k=v pairs and checks it with the shared schema', async () => {
    expect(
      lineageFromPairs([
        'codeRevision=abc',
        'parent=cls@1.0.0',
        'createdAt=2026-11-23T00:00:00Z',
        'params.lr=0.01',
        'params.aug=true',
        'params.opt=adam',
        'metrics.acc=0.9',
      ]),
    ).toEqual({
      codeRevision: 'abc',
      parent: { name: 'cls', version: '1.0.0' },
      createdAt: Date.UTC(2026, 10, 23),
      params: { lr: 0.01, aug: true, opt: 'adam' },
      metrics: { acc: 0.9 },
    });
    for (const bad of [
      'metrics.acc=high',
      'parent=cls',
      'createdAt=yesterday',
      'colour=red',
      'noequals',
      'params.=1',
    ]) {
      expect(() => lineageFromPairs([bad]), bad).toThrow(UsageError);
    }
    expect((await readLineage(undefined, undefined)).createdBy.length).toBeGreaterThan(0);
    expect(await readLineage('{"createdBy": "ci"}', undefined)).toEqual({ createdBy: 'ci' });
    await expect(readLineage('[1]', undefined)).rejects.toThrow('expected a JSON object');
    await expect(readLineage(undefined, ['trainingDataSha256=abc'])).rejects.toThrow(
      /^lineage\.trainingDataSha256: /,
    );
    await expect(readLineage('{"notes": 5}', undefined)).rejects.toThrow('lineage.notes');
  });

  it('turns device label arguments into a merge patch', () => {
    expect(labelPatch(['line=3', 'site-', 'a=b-'], ['zone'])).toEqual({
      line: '3',
      site: null,
      a: 'b-',
      zone: null,
    });
    for (const bad of [['-'], ['x'], []]) expect(() => labelPatch(bad, []), bad.join()).toThrow(UsageError);
  });
});
