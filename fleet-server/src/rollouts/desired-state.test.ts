import type { AppPlan, DesiredState, ModelRef } from '@edgefleet/shared';
import { describe, expect, it } from 'vitest';
import { clsManifest } from '../telemetry/fixtures';
import {
  DEFAULT_POLICIES,
  DEFAULT_TELEMETRY,
  desiredStateFor,
  type ModelRefs,
  nextAppPlan,
} from './desired-state';
import type { Rollout } from './types';

// Refs without a registry: only the manifest's version matters here.
const refs = {
  of: (_name: string, version: string) =>
    ({ manifest: clsManifest(version), signature: 'x', url: '/a', specUrl: '/s' }) as unknown as ModelRef,
} as unknown as ModelRefs;

const partial = { level: 'partial', minConfidence: 0.9, minMargin: 0.5 } as const;

describe('a rollout keeps the automation level', () => {
  it("keeps a device's level in its next desired state, and sets none where there was none", () => {
    const assignment = { active: '2.0.0', shadow: null, standby: null };
    const previous = {
      v: 1,
      rev: 3,
      deviceId: 'd',
      issuedAt: 0,
      models: { active: refs.of('cls', '1.0.0'), shadow: null, standby: null },
      telemetry: DEFAULT_TELEMETRY,
      policies: DEFAULT_POLICIES,
      automation: partial,
    } satisfies DesiredState;
    expect(desiredStateFor(refs, 'cls', assignment, previous).automation).toEqual(partial);
    const { automation: _, ...without } = previous;
    expect(desiredStateFor(refs, 'cls', assignment, without)).not.toHaveProperty('automation');
  });

  it("keeps a model's level in the app plan", () => {
    const previous = {
      v: 1,
      rev: 1,
      appId: 'shop',
      issuedAt: 0,
      models: [{ name: 'cls', current: refs.of('cls', '1.0.0'), automation: { level: 'assist' } }],
      telemetry: DEFAULT_TELEMETRY,
      policies: DEFAULT_POLICIES,
    } satisfies AppPlan;
    const rollout = {
      spec: { id: 'r1', modelName: 'cls', strategy: 'canary', salt: 'salt' },
    } as unknown as Rollout;
    const next = nextAppPlan(
      refs,
      rollout,
      { current: '1.0.0', candidate: { version: '2.0.0', percent: 5 } },
      previous,
    );
    expect(next?.models[0]?.automation).toEqual({ level: 'assist' });
  });
});
