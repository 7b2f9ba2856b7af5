import { describe, expect, it } from 'vitest';
import { decide } from './decide';
import { healthyFacts, sampleRollout } from './fixtures';
import type { RolloutFacts, StageLook } from './types';

const MIN = 60_000;

// A pass takes effect only at a tick that opens a pass look (the candidate's inferences grew 1.5× since the last
// one), or at the stage's deadline (one more look): re-testing every tick between two looks at the same look's
// level would let a wrong pass through on any of them (README "What quality gates decide — measured").

/** Healthy facts with `inferences` and the look of the previous tick (stage 1, started at 0). */
function factsAt(inferences: number, look: Partial<StageLook> | null): RolloutFacts {
  const facts = healthyFacts();
  return {
    ...facts,
    candidate: { ...facts.candidate, inferences },
    look: look && { stageIndex: 0, stageStartedAt: 0, look: 1, n: 10_000, ...look },
  };
}

describe('decide: a pass takes effect only where a pass look opens', () => {
  it('the first tick after the minimum duration opens the first pass look and passes', () => {
    const passed = decide(sampleRollout(), factsAt(10_000, {}), 30 * MIN);
    expect(passed.transitions[0]?.event).toBe('advanced');
    expect(passed.evaluation?.look).toMatchObject({ passLook: 1, passN: 10_000, passedLook: 1 });
  });

  it('between two pass looks every gate may pass, yet the stage waits for the next look', () => {
    const previous = { passLook: 1, passN: 10_000 }; // that look's tick did not pass
    const between = decide(sampleRollout(), factsAt(14_000, previous), 40 * MIN);
    expect(between.transitions).toEqual([]);
    expect(between.evaluation?.verdict).toBe('inconclusive');
    expect(between.evaluation?.passAt).toBe(15_000);
    expect(between.note).toContain('passes at the next look, at ≈ 15000 inferences');
    // Each gate's own status stays visible.
    const telemetry = between.evaluation!.values.filter((v) => v.test !== 'minimum');
    expect(telemetry.length).toBeGreaterThan(0);
    expect(telemetry.every((v) => v.status === 'pass')).toBe(true);
    const atLook = decide(sampleRollout(), factsAt(15_000, previous), 41 * MIN);
    expect(atLook.transitions[0]?.event).toBe('advanced');
    expect(atLook.evaluation?.look).toMatchObject({ passLook: 2, passN: 15_000 });
  });

  it('a pass held back (outside a maintenance window) takes effect later in the look whose tick passed', () => {
    const held = { passLook: 1, passN: 10_000, passedLook: 1 };
    const later = decide(sampleRollout(), factsAt(12_000, held), 40 * MIN);
    expect(later.transitions[0]?.event).toBe('advanced');
  });

  it("the stage's deadline is one more pass look, spent once", () => {
    const previous = { passLook: 3, passN: 10_000 };
    const deadline = decide(sampleRollout(), factsAt(11_000, previous), 120 * MIN);
    expect(deadline.transitions[0]?.event).toBe('advanced');
    expect(deadline.evaluation?.look).toMatchObject({ passLook: 4, passN: 11_000, deadlineLook: true });
    // With the deadline's look spent (e.g. an `extend` that kept waiting), later ticks wait for a look again.
    const spent = { ...previous, passLook: 4, passN: 11_000, deadlineLook: true };
    const after = decide(sampleRollout({ onInconclusive: 'extend' }), factsAt(12_000, spent), 121 * MIN);
    expect(after.transitions).toEqual([]);
    expect(after.evaluation?.verdict).toBe('inconclusive');
    expect(after.note).toContain('undecided after');
  });
});
