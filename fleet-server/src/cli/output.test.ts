import { describe, expect, it } from 'vitest';
import { rankFeatures } from './drift';
import { bytes, keyValues, num, printable, table, when } from './output';

describe('CLI output', () => {
  it('aligns tables and escapes terminal control characters from server data', () => {
    expect(
      table(
        ['ID', 'STATE'],
        [
          ['dev-a', 'online'],
          ['d', null],
        ],
      ),
    ).toBe('ID     STATE\ndev-a  online\nd      -\n');
    expect(printable('red\u001b[31m\r\nx\u009b')).toBe('red\\x1b[31m\\x0d\\x0ax\\x9b');
    expect(table(['A', 'B'], [['\u001b]0;pwned\u0007', 'x']])).toBe(
      `A${' '.repeat(17)}B\n\\x1b]0;pwned\\x07  x\n`,
    );
    expect(
      keyValues([
        ['id', 'a'],
        ['labels', 'site=x'],
      ]),
    ).toBe('id      a\nlabels  site=x\n');
  });

  it('formats times, sizes and numbers', () => {
    expect(when(Date.UTC(2026, 10, 23, 14, 5, 9, 123))).toBe('2026-11-23 14:05:09Z');
    expect(when(null)).toBe('-');
    expect([bytes(640), bytes(578_966), bytes(5_000_000_000)]).toEqual(['640 B', '579 kB', '5.0 GB']);
    expect([num(null), num(3), num(0.123456), num(Number.NaN)]).toEqual(['n/a', '3', '0.123', 'n/a']);
  });

  it('ranks drift worst first relative to the thresholds, features without data last', () => {
    const feature = (name: string, psi: number | null, js: number | null) => ({
      name,
      psi,
      js,
      ksD: null,
      wassersteinNorm: null,
      baselineCount: 100,
      currentCount: 100,
      currentMissing: 0,
      verdict: 'ok' as const,
      reasons: [],
    });
    const ranked = rankFeatures(
      {
        specHash: 'x',
        verdict: 'alert',
        inputs: [feature('a', 0.1, 0.01), feature('empty', null, null), feature('b', 0.05, 0.3)],
        outputs: [feature('confidence', 0.5, 0.05)],
        classes: null,
      },
      { psi: 0.2, js: 0.1 },
    );
    expect(ranked.map((f) => [f.name, f.kind, f.over])).toEqual([
      ['b', 'input', ['js']],
      ['confidence', 'output', ['psi']],
      ['a', 'input', []],
      ['empty', 'input', []],
    ]);
  });
});
