import { inStage } from '@edgefleet/shared';
import { describe, expect, it } from 'vitest';
import { decide } from './decide';
import { healthyFacts, sampleRollout, sampleTargets } from './fixtures';
import { evaluateGates, type Gates } from './gates';
import { ladderAt, ladderOf, parseLevel, stepsUp } from './ladder';
import { rateDifferenceInterval } from './quality-gates';
import { parseStages } from './stages';
import type { QualityCounts, RolloutFacts } from './types';

const MIN = 60_000;
const minimums = { minReportingTargets: 1, minInferences: 100 };

/** Feedback counts of a cohort: `labelled` labels at `accuracy`, all reviewed, `review` share of routed inferences. */
// Labels drawn at random over both routes (as many per route as its share of inferences), `accuracy` right.
function quality(labelled: number, accuracy: number, reviewShare = 1, routed = labelled): QualityCounts {
  const correct = Math.round(labelled * accuracy);
  const review = Math.round(routed * reviewShare);
  const reviewLabelled = Math.round(labelled * reviewShare);
  return {
    labelled,
    correct,
    reviewLabelled,
    reviewCorrect: Math.round(reviewLabelled * accuracy),
    routedAuto: routed - review,
    routedReview: review,
  };
}

function withQuality(candidate: QualityCounts | null, control: QualityCounts | null): RolloutFacts {
  const facts = healthyFacts();
  return {
    ...facts,
    candidate: { ...facts.candidate, quality: candidate },
    baseline: { ...facts.baseline!, quality: control },
  };
}

const stages = (text: string) => {
  const parsed = parseStages(text, minimums);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
};

describe('quality gates: candidate vs control', () => {
  const gates = { maxAccuracyDrop: 0.02, maxAgreementDrop: 0.02, maxReviewShareRise: 0.05, minLabels: 200 };
  const stage = { percent: 25, minDurationMs: 0, minReportingTargets: 1, minInferences: 100 };
  const judge = (facts: RolloutFacts) =>
    Object.fromEntries(evaluateGates(gates, stage, facts, []).values.map((v) => [v.gate, v]));

  it('passes a candidate as good as the control, with n, estimate and interval', () => {
    const values = judge(withQuality(quality(20_000, 0.95, 0.3), quality(20_000, 0.95, 0.3)));
    expect(values['quality.accuracyDrop']).toMatchObject({
      status: 'pass',
      test: 'mover-difference',
      n: 20_000,
      controlN: 20_000,
      bound: 'max',
      threshold: 0.02,
    });
    expect(values['quality.accuracyDrop']!.value).toBeCloseTo(0, 6);
    expect(values['quality.accuracyDrop']!.upper!).toBeLessThan(0.02);
    expect(values['quality.agreementDrop']!.status).toBe('pass');
    expect(values['quality.reviewShareRise']!.status).toBe('pass');
  });

  it('breaches when the candidate is clearly worse than the control in the same window', () => {
    const values = judge(withQuality(quality(5_000, 0.85, 0.45), quality(5_000, 0.95, 0.3)));
    expect(values['quality.accuracyDrop']).toMatchObject({ status: 'breach' });
    expect(values['quality.accuracyDrop']!.value).toBeCloseTo(0.1, 6);
    expect(values['quality.accuracyDrop']!.lower!).toBeGreaterThan(0.02);
    expect(values['quality.reviewShareRise']!.status).toBe('breach');
  });

  it('judges accuracy over every inference: a partial cohort whose labels are mostly its hard reviews is not worse', () => {
    // Both cohorts: 97 % right overall. The candidate at partial sends its unsure 10 % to review (85 % right, all
    // labelled) and decides the rest alone (98.3 % right, 5 % spot-checked); the control at full is spot-checked.
    const candidate = {
      labelled: 1000 + 900,
      correct: 850 + 885,
      reviewLabelled: 1000,
      reviewCorrect: 850,
      routedAuto: 18_000,
      routedReview: 1000,
    };
    const control = quality(1_900, 0.97, 0, 38_000);
    const values = judge(withQuality(candidate, control));
    // The plain rate over the labels would say 0.913 vs 0.97: a 5.7-point "drop" and a rollback.
    expect(values['quality.accuracyDrop']!.status).not.toBe('breach');
    expect(Math.abs(values['quality.accuracyDrop']!.value!)).toBeLessThan(0.01);
  });

  it('does not blame the candidate for a changed world: both cohorts worse alike pass', () => {
    const values = judge(withQuality(quality(40_000, 0.7), quality(40_000, 0.7)));
    expect(values['quality.accuracyDrop']!.status).toBe('pass');
  });

  it('waits below minLabels in either cohort and is inconclusive on few labels', () => {
    expect(judge(withQuality(quality(150, 0.5), quality(5_000, 0.95)))['quality.accuracyDrop']).toMatchObject(
      {
        status: 'wait',
        test: 'none',
      },
    );
    expect(judge(withQuality(quality(5_000, 0.95), null))['quality.accuracyDrop']!.status).toBe('wait');
    const few = judge(withQuality(quality(250, 0.94), quality(250, 0.95)))['quality.accuracyDrop']!;
    expect(few.status).toBe('inconclusive');
    expect(few.needMore).toBeGreaterThan(0);
  });

  it('MOVER interval: each bound at its own level, the estimate inside', () => {
    const i = rateDifferenceInterval(
      { x: 950, n: 1000 },
      { x: 900, n: 1000 },
      { lower: 0.99, upper: 0.9 },
      1,
    )!;
    expect(i.estimate).toBeCloseTo(0.05, 9);
    expect(i.lower).toBeLessThan(0.05);
    expect(i.upper).toBeGreaterThan(0.05);
    expect(
      rateDifferenceInterval({ x: 9, n: 10 }, { x: 9, n: 10 }, { lower: 0.9, upper: 0.9 }, 20),
    ).toBeNull();
  });
});

describe('automation ladder', () => {
  const ladder = stages('25%:30m@shadow,100%:1h@assist,100%:1h@partial(0.9,0.2),100%@full');

  it('reads levels, rungs and where a stage stands', () => {
    expect(parseLevel('partial(0.9, 0.2)')).toEqual({
      ok: true,
      value: { level: 'partial', minConfidence: 0.9, minMargin: 0.2 },
    });
    expect(stepsUp({ level: 'assist' }, { level: 'full' })).toBe(true);
    expect(stepsUp(null, { level: 'full' })).toBe(false);
    expect(ladderOf(ladder).map((l) => l.level)).toEqual(['shadow', 'assist', 'partial', 'full']);
    expect(ladderAt(ladder, 1, 0)).toMatchObject({ level: { level: 'assist' }, stepUpNext: true });
    expect(ladderAt(ladder, 2, 1)).toMatchObject({ level: { level: 'assist' }, canStepDown: true });
    expect(ladderAt(ladder, 0, 0)).toMatchObject({ canStepDown: false });
    expect(ladderAt(ladder, 3, 0)).toMatchObject({ level: { level: 'full' }, stepUpNext: false });
  });

  const rollout = (stageIndex: number, gates: Gates = { maxAccuracyDrop: 0.02, minLabels: 200 }) =>
    sampleRollout({ stages: ladder, gates }, { stageIndex, stageStartedAt: 0 });

  it('gives the stage members on the candidate its level, and steps up only on measured agreement', () => {
    const targets = sampleTargets(100);
    const started = decide(
      sampleRollout({ stages: ladder }, { status: 'scheduled', stageStartedAt: null }),
      { ...healthyFacts(targets), targets },
      0,
    );
    const members = targets.filter((t) => inStage(t.id, 'salt-1', 25)).map((t) => t.id);
    expect(started.changes.map((c) => c.targetId).sort()).toEqual(members.sort());
    expect(started.changes.every((c) => c.automation?.level === 'shadow')).toBe(true);

    // Stage 1 (shadow) → 2 (assist): agreement over 0.95 with few reviews waits, then too low pauses.
    const few = decide(rollout(0), withQuality(quality(50, 0.99), quality(5_000, 0.99)), 31 * MIN);
    expect(few.transitions).toEqual([]);
    expect(few.evaluation!.values.find((v) => v.gate === 'ladder.stepUpAgreement')!.status).toBe('wait');
    const low = decide(rollout(0), withQuality(quality(2_000, 0.8), quality(2_000, 0.8)), 31 * MIN);
    expect(low.transitions[0]).toMatchObject({ event: 'paused' });
    expect(low.transitions[0]!.reason).toContain('too low to step the automation level up from shadow');
    const good = decide(rollout(0), withQuality(quality(2_000, 0.99), quality(2_000, 0.99)), 31 * MIN);
    expect(good.transitions[0]).toMatchObject({ event: 'advanced' });
    expect(good.changes.length).toBeGreaterThan(0);
    expect(good.changes.every((c) => c.automation?.level === 'assist')).toBe(true);
  });

  it('a level change alone republishes the members (no version change)', () => {
    const targets = sampleTargets(100, '2.0.0').map((t) => ({
      ...t,
      automation: { level: 'shadow' as const },
    }));
    const d = decide(rollout(1), { ...withQuality(null, null), targets }, 10 * MIN);
    expect(d.changes).toHaveLength(100);
    expect(d.changes.every((c) => c.automation?.level === 'assist')).toBe(true);
    const settled = targets.map((t) => ({ ...t, automation: { level: 'assist' as const } }));
    expect(decide(rollout(1), { ...withQuality(null, null), targets: settled }, 10 * MIN).changes).toEqual(
      [],
    );
  });

  it('a quality breach steps the level down one rung and restarts the stage; at the bottom it rolls back', () => {
    const bad = withQuality(quality(5_000, 0.85), quality(5_000, 0.95));
    const targets = sampleTargets(100, '2.0.0').map((t) => ({
      ...t,
      automation: { level: 'partial' as const, minConfidence: 0.9, minMargin: 0.2 },
    }));
    const down = decide(rollout(2), { ...bad, targets }, 10 * MIN);
    expect(down.transitions[0]).toMatchObject({
      event: 'stepped_down',
      actor: 'controller',
      to: { status: 'running', stageIndex: 2, stageStartedAt: 10 * MIN },
    });
    expect(down.transitions[0]!.reason).toContain('stepped down from partial(0.9,0.2) to assist');
    expect(down.changes.every((c) => c.automation?.level === 'assist')).toBe(true);
    // Stepped down twice already: partial → assist → shadow is the bottom, the next breach rolls back.
    const bottom = decide(rollout(2), { ...bad, targets, stepsDown: 2 }, 10 * MIN);
    expect(bottom.transitions[0]).toMatchObject({ event: 'rolled_back' });
    // Any other gate's breach rolls back as before.
    const facts = withQuality(quality(5_000, 0.85), quality(5_000, 0.95));
    facts.candidate.errors = 2_000;
    const both = rollout(2, { maxAccuracyDrop: 0.02, minLabels: 200, maxErrorRate: 0.05 });
    expect(decide(both, { ...facts, targets }, 10 * MIN).transitions[0]!.event).toBe('rolled_back');
  });

  it('a rollback gives the targets the stored level, else the default', () => {
    const targets = sampleTargets(10, '2.0.0').map((t) => ({
      ...t,
      automation: { level: 'assist' as const },
    }));
    const r = rollout(1);
    const stored = new Map([['d-0', { level: 'shadow' as const }]]);
    const back = decide(
      { ...r, state: { ...r.state, status: 'rolled_back' } },
      { ...healthyFacts(targets), targets, storedLevels: stored },
      MIN,
    );
    const byId = new Map(back.changes.map((c) => [c.targetId, c]));
    expect(byId.get('d-0')).toMatchObject({
      assignment: { active: '1.0.0' },
      automation: { level: 'shadow' },
    });
    expect(byId.get('d-1')).toMatchObject({ assignment: { active: '1.0.0' }, automation: { level: 'full' } });
  });
});

describe('a stored level reaches devices a rollout reaches later', () => {
  it('a device joining the candidate gets the level in force for it', () => {
    const targets = sampleTargets(100);
    const stored = new Map(targets.map((t) => [t.id, { level: 'assist' as const }]));
    const d = decide(
      sampleRollout({}, { status: 'scheduled', stageStartedAt: null }),
      { ...healthyFacts(targets), storedLevels: stored },
      0,
    );
    expect(d.changes.length).toBeGreaterThan(0);
    expect(d.changes.every((c) => c.automation?.level === 'assist')).toBe(true);
    // Without a stored level nothing is said: the target keeps its own.
    const plain = decide(sampleRollout({}, { status: 'scheduled', stageStartedAt: null }), healthyFacts(), 0);
    expect(plain.changes.every((c) => c.automation === undefined)).toBe(true);
  });
});
