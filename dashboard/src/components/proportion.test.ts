import type { Proportion } from '@edgefleet/shared/api';
import { describe, expect, it } from 'vitest';
import { confusionCellColor, describeProportion, proportionBand } from './proportion';

const p = (successes: number, trials: number, lower: number, upper: number): Proportion => ({
  successes,
  trials,
  estimate: trials ? successes / trials : null,
  lower,
  upper,
});

describe('proportionBand', () => {
  it('puts the interval and the estimate on a 0…100 % scale', () => {
    const b = proportionBand(p(93, 100, 0.8611, 0.9714))!;
    expect(b.fromPct).toBeCloseTo(86.11, 6);
    expect(b.toPct).toBeCloseTo(97.14, 6);
    expect(b.estimatePct).toBeCloseTo(93, 6);
  });

  it('reaches the ends for 0/n and n/n, and has no band without trials', () => {
    expect(proportionBand(p(0, 5, 0, 0.5218))).toMatchObject({ fromPct: 0, estimatePct: 0 });
    expect(proportionBand(p(5, 5, 0.4782, 1))).toMatchObject({ toPct: 100, estimatePct: 100 });
    expect(proportionBand(p(0, 0, 0, 1))).toBeNull();
  });
});

describe('describeProportion', () => {
  it('says the estimate, the counts and the interval at its confidence', () => {
    expect(describeProportion(p(111, 120, 0.8625, 0.9651), 0.95)).toBe(
      '92.5% (111/120), 95% interval 86.3%–96.5%',
    );
    expect(describeProportion(p(0, 0, 0, 1), 0.95)).toBe('no data (0 trials)');
  });
});

describe('confusionCellColor', () => {
  it('tones a cell by its share of the row: green on the diagonal, red off it', () => {
    expect(confusionCellColor(4, 16, false)).toBe('rgba(220, 38, 38, 0.25)');
    expect(confusionCellColor(12, 16, true)).toBe('rgba(22, 163, 74, 0.75)');
    expect(confusionCellColor(16, 16, true)).toBe('rgba(22, 163, 74, 1)');
  });

  it('leaves empty cells and empty rows blank', () => {
    expect(confusionCellColor(0, 16, false)).toBe('transparent');
    expect(confusionCellColor(0, 0, true)).toBe('transparent');
  });
});
