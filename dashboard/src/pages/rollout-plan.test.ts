import { rolloutPlanRequestSchema } from '@edgefleet/shared/api';
import { describe, expect, it } from 'vitest';
import { FIRST_DEPLOYMENT, toCreateBody } from './rollout-form';
import { toPlanBody } from './rollout-plan';

const form = {
  model: 'cls',
  candidate: '2.0.0',
  baseline: FIRST_DEPLOYMENT,
  targetKind: 'selector' as const,
  target: 'site=plant-a',
  strategy: 'canary',
  stages: '5%:30m,100%',
  minReportingTargets: '2',
  minInferences: '300',
  onBreach: 'pause' as const,
  gates: { maxErrorRate: '0.02', maxPsi: '0.25', latencyP95Ms: '' },
};

describe('the create form’s plan request', () => {
  it('is the create body’s target, stages and gates, and parses as the plan contract', () => {
    const body = toPlanBody(toCreateBody(form));
    expect(body).toEqual({
      model: 'cls',
      candidate: '2.0.0',
      target: { selector: 'site=plant-a' },
      strategy: 'canary',
      stages: '5%:30m,100%',
      minInferences: 300,
      gates: { maxErrorRate: 0.02, maxPsi: 0.25 },
    });
    expect(rolloutPlanRequestSchema.safeParse(body).success).toBe(true);
  });
});
