import { type AppPlan, bucketOf, type ModelRef } from '@edgefleet/shared';
import { describe, expect, it } from 'vitest';
import { selectModel } from './select';

const ref = (version: string) => ({ manifest: { version } }) as unknown as ModelRef;

const plan = (percent: number, strategy: 'canary' | 'shadow' = 'canary'): AppPlan => ({
  v: 1,
  rev: 1,
  appId: 'shop',
  issuedAt: 0,
  models: [
    {
      name: 'm',
      current: ref('1.0.0'),
      candidate: { rolloutId: 'r', ref: ref('2.0.0'), strategy, salt: 's', percent },
    },
  ],
  telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 100 },
  policies: { golden: 'if_present', shadowSampleRate: 0 },
});

describe('selectModel', () => {
  it('serves the candidate exactly to clients whose bucket is below percent × 100', () => {
    for (let i = 0; i < 500; i++) {
      const id = `client-${i}`;
      const inStage = bucketOf(id, 's') < 3000;
      const picked = selectModel(plan(30), 'm', id);
      expect(picked?.role).toBe(inStage ? 'candidate' : 'current');
      expect(picked?.ref.manifest.version).toBe(inStage ? '2.0.0' : '1.0.0');
    }
  });

  it('never serves a shadow candidate and knows no other model', () => {
    expect(selectModel(plan(100, 'shadow'), 'm', 'x')?.role).toBe('current');
    expect(selectModel(plan(100), 'other', 'x')).toBeUndefined();
    expect(selectModel(plan(0), 'm', 'x')?.role).toBe('current');
  });

  it('gives clients outside a first deployment share no version, and members the candidate', () => {
    const first = plan(30);
    first.models[0]!.current = null;
    for (let i = 0; i < 200; i++) {
      const id = `client-${i}`;
      const picked = selectModel(first, 'm', id);
      if (bucketOf(id, 's') < 3000) expect(picked?.ref.manifest.version).toBe('2.0.0');
      else expect(picked).toBeUndefined();
    }
    expect(selectModel({ ...first, models: [{ name: 'm', current: null }] }, 'm', 'x')).toBeUndefined();
  });

  it('carries the slot’s automation level, full when the plan names none', () => {
    expect(selectModel(plan(0), 'm', 'x')?.automation).toEqual({ level: 'full' });
    const partial = plan(100);
    partial.models[0]!.automation = { level: 'partial', minConfidence: 0.9, minMargin: 0.3 };
    expect(selectModel(partial, 'm', 'x')?.automation).toEqual(partial.models[0]!.automation);
  });
});
