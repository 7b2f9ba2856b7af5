import { describe, expect, it } from 'vitest';
import { formatStages, parseDurationMs, parseStages } from './stages';

const minimums = { minReportingTargets: 3, minInferences: 100 };

describe('parseStages', () => {
  it('parses shares, durations and a last stage without duration', () => {
    const parsed = parseStages('5%:30m,25%:2h,100%', minimums);
    expect(parsed).toEqual({
      ok: true,
      value: [
        { percent: 5, minDurationMs: 1_800_000, ...minimums },
        { percent: 25, minDurationMs: 7_200_000, ...minimums },
        { percent: 100, minDurationMs: 0, ...minimums },
      ],
    });
    if (parsed.ok) expect(formatStages(parsed.value)).toBe('5%:30m,25%:2h,100%');
  });

  it('accepts hundredths and compound durations', () => {
    const parsed = parseStages(' 0.5%:1h30m , 100%:10s', minimums);
    expect(parsed.ok && parsed.value.map((s) => [s.percent, s.minDurationMs])).toEqual([
      [0.5, 5_400_000],
      [100, 10_000],
    ]);
  });

  it.each([
    ['', 'at least one stage'],
    ['5', "expected a stage like 25%:2h, got '5'"],
    ['5%:30x', 'expected a duration'],
    ['25%,5%', 'must rise'],
    ['5%,5%', 'must rise'],
    ['0%,100%', 'not in (0, 100]'],
    ['150%', 'not in (0, 100]'],
    ['0.001%', "expected a stage like 25%:2h, got '0.001%'"],
  ])('refuses %j', (text, message) => {
    const parsed = parseStages(text, minimums);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toContain(message);
  });

  it('parses durations', () => {
    expect(parseDurationMs('45s')).toEqual({ ok: true, value: 45_000 });
    expect(parseDurationMs('1d')).toEqual({ ok: true, value: 86_400_000 });
    expect(parseDurationMs('m').ok).toBe(false);
  });
});
