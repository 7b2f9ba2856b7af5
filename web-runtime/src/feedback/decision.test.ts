import { describe, expect, it } from 'vitest';
import { decideInference } from './decision';

const sure = { data: new Float32Array([0.98, 0.02]), dims: [1, 2] };
const unsure = { data: new Float32Array([0.6, 0.4]), dims: [1, 2] };
const partial = { level: 'partial' as const, minConfidence: 0.9, minMargin: 0.5 };

describe('decideInference', () => {
  it('routes by the automation level with the shared rule', () => {
    const classes = ['0', '180'];
    expect(decideInference({ level: 'full' }, classes, unsure).decision.route).toBe('auto');
    expect(decideInference({ level: 'shadow' }, classes, sure).decision.route).toBe('review');
    expect(decideInference({ level: 'assist' }, classes, sure).decision.route).toBe('review');
    expect(decideInference(partial, classes, sure).decision).toEqual({
      route: 'auto',
      reason: 'partial: confidence 0.98 ≥ τ 0.9, margin 0.96 ≥ μ 0.5',
    });
    expect(decideInference(partial, classes, unsure).decision.route).toBe('review');
  });

  it('has no top class without classes, so partial sends it to review', () => {
    const d = decideInference(partial, undefined, sure);
    expect(d.top).toBeUndefined();
    expect(d.decision.route).toBe('review');
  });

  it('gives every inference its own id', () => {
    const ids = new Set(
      Array.from({ length: 100 }, () => decideInference({ level: 'full' }, ['a'], sure).predictionId),
    );
    expect(ids.size).toBe(100);
  });
});
