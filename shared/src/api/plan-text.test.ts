import { describe, expect, it } from 'vitest';
import { planDurationText } from './plan-text';

describe('planDurationText', () => {
  it('says minutes up to 2 h, hours up to 2 d, then days', () => {
    expect(planDurationText(0.2)).toBe('1 min');
    expect(planDurationText(119.5)).toBe('120 min');
    expect(planDurationText(120)).toBe('2.0 h');
    expect(planDurationText(2_879)).toBe('48.0 h');
    expect(planDurationText(2_880)).toBe('2.0 d');
  });
});
