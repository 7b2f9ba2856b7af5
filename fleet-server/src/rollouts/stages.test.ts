import { describe, expect, it } from 'vitest';
import { formatStages, maxDurationOf, parseDurationMs, parseStages } from './stages';

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
    ['5', "expected a stage like 25%:2h (or 25%:2h/8h with a deadline, 25%:2h@assist with a level), got '5'"],
    ['5%:30x', 'expected a duration'],
    ['25%,5%', 'must rise'],
    ['5%,5%', 'must rise'],
    ['0%,100%', 'not in (0, 100]'],
    ['150%', 'not in (0, 100]'],
    ['0.001%', "got '0.001%'"],
    ['100%@manual', 'expected an automation level'],
    ['100%@partial(1.2,0.1)', 'τ and μ in [0, 1]'],
    ['100%@partial(0.9)', 'expected an automation level'],
    ['50%@assist,100%@shadow', 'only rises'],
    ['50%@full,100%@partial(0.9,0.1)', 'only rises'],
    ['100%@assist,100%@assist', 'without stepping the automation level up'],
    ['100%@assist,100%', 'must rise'],
    ['100%@partial(0.9,0.2),100%@partial(0.95,0.1)', 'only rises'],
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

describe('stage deadlines', () => {
  const minimums = { minReportingTargets: 1, minInferences: 100 };
  it('parses SHARE%:MIN/MAX, defaults the deadline to 4 × MIN and formats it back', () => {
    const parsed = parseStages('5%:30m/3h,25%:1h,100%', minimums);
    expect(parsed.ok && parsed.value.map((s) => [s.minDurationMs, maxDurationOf(s)])).toEqual([
      [1_800_000, 10_800_000],
      [3_600_000, 14_400_000],
      [0, null],
    ]);
    expect(parsed.ok && formatStages(parsed.value)).toBe('5%:30m/3h,25%:1h,100%');
  });
  it.each(['5%:1h/30m', '5%:1h/', '5%:/2h', '5%:1h/2h/3h'])('refuses %j', (text) => {
    expect(parseStages(`${text},100%`, minimums).ok).toBe(false);
  });

  it('parses automation levels per stage (the ladder) and formats them back', () => {
    const text = '25%:2h@shadow,100%:1d@assist,100%:1d@partial(0.9,0.2),100%:12h@partial(0.8,0.2),100%@full';
    const parsed = parseStages(text, minimums);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.map((s) => s.automation)).toEqual([
      { level: 'shadow' },
      { level: 'assist' },
      { level: 'partial', minConfidence: 0.9, minMargin: 0.2 },
      { level: 'partial', minConfidence: 0.8, minMargin: 0.2 },
      { level: 'full' },
    ]);
    expect(formatStages(parsed.value)).toBe(text);
    // A stage without a level keeps the one before it; a share may not repeat without a step up.
    const kept = parseStages('5%:1h@assist,50%:1h,100%@full', minimums);
    expect(kept.ok).toBe(true);
  });
});
