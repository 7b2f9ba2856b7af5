import { inStage } from '@edgefleet/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignmentFor, carries, memberPercent } from './assignment';
import { applyAction, decide } from './decide';
import { driftValue, healthyFacts, latencySketch, sampleRollout, sampleTargets } from './fixtures';
import type { FeatureDriftValue, Rollout, RolloutFacts, TargetFacts } from './types';

const MIN = 60_000;

/** Applies a decision's changes to the targets, as the adapter and devices would. */
function applied(targets: TargetFacts[], decision: ReturnType<typeof decide>): TargetFacts[] {
  const byId = new Map(decision.changes.map((c) => [c.targetId, c.assignment]));
  return targets.map((t) => ({ ...t, desired: byId.get(t.id) ?? t.desired }));
}

describe('decide: stages', () => {
  it('starts a scheduled rollout at its start time and publishes stage 1 members only', () => {
    const rollout = sampleRollout({ startAt: 10 * MIN }, { status: 'scheduled', stageStartedAt: null });
    expect(decide(rollout, healthyFacts(), 9 * MIN).transitions).toEqual([]);
    const started = decide(rollout, healthyFacts(), 10 * MIN);
    expect(started.transitions.map((t) => t.event)).toEqual(['started']);
    expect(started.next).toMatchObject({
      status: 'running',
      stageIndex: 0,
      stageStartedAt: 10 * MIN,
      version: 2,
    });
    const members = sampleTargets(100).filter((t) => inStage(t.id, 'salt-1', 5));
    expect(started.changes.map((c) => c.targetId).sort()).toEqual(members.map((t) => t.id).sort());
    expect(started.changes.every((c) => c.assignment.active === '2.0.0')).toBe(true);
  });

  it('waits for the stage duration, then advances with the gate values', () => {
    const rollout = sampleRollout();
    const early = decide(rollout, healthyFacts(), 29 * MIN);
    expect(early.transitions).toEqual([]);
    expect(early.evaluation?.verdict).toBe('pass');
    const passed = decide(rollout, healthyFacts(), 30 * MIN);
    expect(passed.transitions[0]).toMatchObject({ event: 'advanced', actor: 'controller' });
    expect(passed.next).toMatchObject({ stageIndex: 1, stageStartedAt: 30 * MIN });
    const p95 = passed.transitions[0]!.gates.find((g) => g.gate === 'latency.p95Ms')!;
    expect(p95).toMatchObject({ threshold: 50, status: 'pass', test: 'order-statistic', n: 10_000 });
    expect(p95.value).toBeCloseTo(10, 0);
    expect(p95.lower!).toBeLessThanOrEqual(p95.value!);
    expect(p95.upper!).toBeGreaterThanOrEqual(p95.value!);
    expect(p95.upper!).toBeLessThan(50);
  });

  it('completes after the last stage and moves every target to the candidate', () => {
    const rollout = sampleRollout({}, { stageIndex: 2, stageStartedAt: 0 });
    const done = decide(rollout, healthyFacts(), MIN);
    expect(done.transitions[0]?.event).toBe('completed');
    const after = applied(sampleTargets(100), done);
    expect(after.every((t) => t.desired?.active === '2.0.0')).toBe(true);
  });

  it.each([
    ['reporting targets', { reportingTargets: 1 }],
    ['inferences', { inferences: 99 }],
    ['latency', { latency: null }],
    ['drift', { drift: null }],
  ])('never advances without enough data (%s): waits', (_, patch) => {
    const facts = healthyFacts();
    const candidate = { ...facts.candidate, ...patch };
    const decision = decide(sampleRollout(), { ...facts, candidate }, 90 * MIN);
    expect(decision.transitions).toEqual([]);
    expect(decision.evaluation?.verdict).toBe('wait');
    expect(decision.note).toContain('waiting for data');
    // At the stage's deadline (4 × 30 min) the undecided stage pauses, by default.
    const late = decide(sampleRollout(), { ...facts, candidate }, 120 * MIN);
    expect(late.transitions[0]).toMatchObject({ event: 'paused', actor: 'controller' });
    expect(late.transitions[0]!.reason).toContain('undecided after 7200 s (pause)');
    expect(late.deadline?.action).toBe('pause');
  });

  it('does not breach on little data: a slow first inference waits', () => {
    const facts = healthyFacts();
    const decision = decide(
      sampleRollout(),
      { ...facts, candidate: { ...facts.candidate, inferences: 3, latency: latencySketch(3, 900, 900) } },
      MIN,
    );
    expect(decision.transitions).toEqual([]);
  });
});

describe('decide: gates', () => {
  const breach = (patch: Partial<RolloutFacts['candidate']>, rollout: Rollout = sampleRollout()) => {
    const facts = healthyFacts();
    return decide(rollout, { ...facts, candidate: { ...facts.candidate, ...patch } }, MIN);
  };

  it('rolls back on slow latency at any time in the stage, saying why', () => {
    const decision = breach({ latency: latencySketch(10_000, 70, 90) });
    expect(decision.transitions[0]).toMatchObject({ event: 'rolled_back', actor: 'controller' });
    expect(decision.transitions[0]!.reason).toMatch(/latency\.p95Ms 8\d\.\d \[8\d\.\d+, 9\d\.\d+\] > 50/);
  });

  it('rolls back on input drift per feature, with per-feature overrides', () => {
    const drift = { inputs: [driftValue('brightness', 10_000, 0.8)], outputs: [] };
    expect(breach({ drift }).transitions[0]!.reason).toMatch(
      /drift\.psi\.input\.brightness 0\.\d+ \[0\.\d+, \d\.\d+\] > 0\.2/,
    );
    const lenient = sampleRollout({ gates: { maxPsi: 0.2, features: { brightness: { maxPsi: 2 } } } });
    expect(breach({ drift }, lenient).transitions).toEqual([]);
  });

  it('judges error rate, latency relative to the baseline, shadow agreement and profile metrics', () => {
    expect(breach({ errors: 2_000 }).transitions[0]?.event).toBe('rolled_back');
    const relative = sampleRollout({ gates: { latencyP99Ratio: 1.5 } });
    expect(breach({ latency: latencySketch(10_000, 1, 40) }, relative).transitions[0]!.reason).toMatch(
      /latency\.p99Ratio 4\.\d+ \[\d\.\d+, \d\.\d+\] > 1\.5/,
    );
    expect(breach({ latency: latencySketch(10_000, 1, 10) }, relative).transitions).toEqual([]);
    const shadow = sampleRollout({ strategy: 'shadow', gates: { minShadowAgreement: 0.95 } });
    expect(breach({ shadow: { compared: 1_000, agreed: 800 } }, shadow).transitions[0]!.reason).toMatch(
      /shadow\.agreement 0\.800 \[0\.7\d+, 0\.8\d+\] < 0\.95/,
    );
    // 9 of 10 agreeing neither shows agreement below 0.95 nor above it: inconclusive, nothing moves.
    const few = breach({ shadow: { compared: 10, agreed: 9 } }, shadow);
    expect(few.transitions).toEqual([]);
    expect(few.evaluation?.values.find((v) => v.gate === 'shadow.agreement')?.status).toBe('inconclusive');
    const metric = sampleRollout({ gates: { metrics: [{ name: 'outputs.confidence.mean', min: 0.95 }] } });
    expect(breach({}, metric).transitions[0]?.event).toBe('rolled_back');
  });

  it('waits for relative latency until the baseline has data', () => {
    const facts = { ...healthyFacts(), baseline: null };
    const decision = decide(sampleRollout({ gates: { latencyP95Ratio: 1.2 } }), facts, 3_600_000);
    expect(decision.evaluation?.verdict).toBe('wait');
  });

  it('treats an apply-failure share over the threshold as a breach', () => {
    const rollout = sampleRollout({ gates: { maxApplyFailureShare: 0.2 } }, { stageIndex: 2 });
    const targets = sampleTargets(10, '2.0.0').map((t, i) => ({
      ...t,
      failure: i < 3 ? 'verify_sha256: mismatch' : null,
    }));
    const decision = decide(rollout, healthyFacts(targets), MIN);
    expect(decision.transitions[0]!.reason).toContain('applyFailureShare 0.300 [0.300, 0.300] > 0.2');
    // 1 failure among the 6 members that settled (4 still switching): exactly 1/6 of them, past 0.1.
    const few = sampleTargets(10, '2.0.0').map((t, i) => ({
      ...t,
      failure: i < 1 ? 'load: oom' : null,
      pending: i >= 6,
    }));
    const strict = sampleRollout({ gates: { maxApplyFailureShare: 0.2 } }, { stageIndex: 2 });
    expect(decide(strict, healthyFacts(few), MIN).evaluation?.values.at(-1)).toMatchObject({
      gate: 'applyFailureShare',
      status: 'pass',
      test: 'finite-population',
      n: 6,
      controlN: 10,
    });
  });

  it('pauses instead of rolling back when the rollout says so, keeping members', () => {
    const decision = breach({ errors: 5_000 }, sampleRollout({ onBreach: 'pause' }));
    expect(decision.transitions[0]?.event).toBe('paused');
    expect(decision.next.status).toBe('paused');
    expect(decision.changes.filter((c) => c.assignment.active === '1.0.0')).toEqual([]);
  });
});

describe('decide: maintenance windows', () => {
  const monday2200Berlin = Date.UTC(2026, 10, 23, 21, 0);
  const windows = [{ days: ['mon' as const], start: '22:00', end: '23:00', timeZone: 'Europe/Berlin' }];

  it('holds a passing stage outside the window and advances inside it', () => {
    const rollout = sampleRollout({ maintenanceWindows: windows });
    const outside = decide(rollout, healthyFacts(), monday2200Berlin - MIN);
    expect(outside.transitions).toEqual([]);
    expect(outside.note).toContain('outside every maintenance window');
    expect(decide(rollout, healthyFacts(), monday2200Berlin).transitions[0]?.event).toBe('advanced');
  });

  it('never holds a rollback', () => {
    const rollout = sampleRollout({ maintenanceWindows: windows });
    const facts = healthyFacts();
    const decision = decide(
      rollout,
      { ...facts, candidate: { ...facts.candidate, errors: 9_000 } },
      monday2200Berlin - MIN,
    );
    expect(decision.transitions[0]?.event).toBe('rolled_back');
  });

  it('does not start outside the window', () => {
    const rollout = sampleRollout(
      { maintenanceWindows: windows },
      { status: 'scheduled', stageStartedAt: null },
    );
    expect(decide(rollout, healthyFacts(), monday2200Berlin - MIN).transitions).toEqual([]);
  });
});

describe('decide: strategies and targets', () => {
  it('blue-green keeps the baseline as standby until completion, then drops it', () => {
    const rollout = sampleRollout({ strategy: 'blue-green' });
    const member = sampleTargets(200).find((t) => inStage(t.id, 'salt-1', 5))!;
    expect(assignmentFor(rollout, member.id)).toEqual({ active: '2.0.0', shadow: null, standby: '1.0.0' });
    const done = { ...rollout.state, status: 'completed' as const };
    expect(assignmentFor(rollout, member.id, done)).toEqual({ active: '2.0.0', shadow: null, standby: null });
  });

  it('shadow runs the candidate beside the baseline and promotes it on completion', () => {
    const rollout = sampleRollout({ strategy: 'shadow' });
    const member = sampleTargets(200).find((t) => inStage(t.id, 'salt-1', 5))!;
    expect(assignmentFor(rollout, member.id)).toEqual({ active: '1.0.0', shadow: '2.0.0', standby: null });
    const done = { ...rollout.state, status: 'completed' as const };
    expect(assignmentFor(rollout, member.id, done).active).toBe('2.0.0');
  });

  it('gives a web app one plan with the stage share instead of per-device changes', () => {
    const rollout = sampleRollout({ target: { kind: 'app', appId: 'shop' } });
    const decision = decide(rollout, healthyFacts([]), 30 * MIN);
    expect(decision.changes).toEqual([]);
    expect(decision.app).toEqual({ current: '1.0.0', candidate: { version: '2.0.0', percent: 25 } });
  });

  it('limits targets joining the candidate to maxConcurrentDownloads minus pending ones', () => {
    const rollout = sampleRollout({ maxConcurrentDownloads: 3 }, { stageIndex: 2 });
    const targets = sampleTargets(20);
    targets[0] = { ...targets[0]!, desired: { active: '2.0.0', shadow: null, standby: null }, pending: true };
    const decision = decide(rollout, healthyFacts(targets), 0);
    expect(decision.changes).toHaveLength(2);
  });

  it('leaves targets outside the stage alone unless they carry the candidate', () => {
    const rollout = sampleRollout();
    const outsider = sampleTargets(200).find((t) => !inStage(t.id, 'salt-1', 5))!;
    const untouched = decide(rollout, healthyFacts([{ ...outsider, desired: null }]), MIN);
    expect(untouched.changes).toEqual([]);
    const stray = { ...outsider, desired: { active: '2.0.0', shadow: null, standby: null } };
    expect(decide(rollout, healthyFacts([stray]), MIN).changes).toEqual([
      { targetId: outsider.id, assignment: { active: '1.0.0', shadow: null, standby: null } },
    ]);
  });
});

describe('admin actions', () => {
  it('pause, resume, promote, abort and rollback move the state and refuse what makes no sense', () => {
    const rollout = sampleRollout();
    const paused = applyAction(rollout, 'pause', 5, 'admin:1', 'investigating');
    expect(paused.ok && paused.value.to.status).toBe('paused');
    expect(applyAction(rollout, 'resume', 5, 'a', '')).toEqual({
      ok: false,
      error: 'cannot resume a rollout that is running',
    });
    const promoted = applyAction(rollout, 'promote', 7, 'admin:1', 'looks good');
    expect(promoted.ok && promoted.value).toMatchObject({
      event: 'promoted',
      to: { stageIndex: 1, stageStartedAt: 7 },
    });
    const last = sampleRollout({}, { stageIndex: 2 });
    const finished = applyAction(last, 'promote', 7, 'admin:1', 'ship it');
    expect(finished.ok && finished.value.to.status).toBe('completed');
    const aborted = applyAction(rollout, 'abort', 5, 'admin:1', 'wrong target');
    expect(aborted.ok && aborted.value.to.status).toBe('aborted');
    const done = sampleRollout({}, { status: 'completed' });
    expect(applyAction(done, 'rollback', 5, 'a', '').ok).toBe(false);
  });
});

// ---- properties

const targetsArb = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 60 })
  .map((ids) => ids.map((id) => ({ id, desired: null, pending: false, failure: null }) as TargetFacts));
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });
const candidateArb = fc
  .record({
    reportingTargets: fc.nat(20),
    inferences: fc.nat(20_000),
    errorShare: fc.double({ min: 0, max: 1, noNaN: true }),
    latency: maybe(fc.constantFrom(latencySketch(500, 1, 20), latencySketch(500, 40, 200))),
    drift: maybe(
      fc.record({
        inputs: fc.array(
          fc
            .tuple(fc.constantFrom('a', 'b'), fc.double({ min: 0, max: 0.9, noNaN: true }))
            .map(([name, shift]) => driftValue(name, 2_000, shift)),
          { maxLength: 2 },
        ),
        outputs: fc.constant<FeatureDriftValue[]>([]),
      }),
    ),
    shadow: maybe(
      fc
        .record({ compared: fc.nat(5000), agreed: fc.nat(5000) })
        .map((s) => ({ ...s, agreed: Math.min(s.agreed, s.compared) })),
    ),
  })
  .map(({ errorShare, ...c }) => {
    const errors = Math.round(errorShare * c.inferences);
    return {
      ...c,
      errors,
      errorRate: c.inferences > 0 ? errors / c.inferences : null,
      latencyP95Ms: c.latency?.quantile(0.95) ?? null,
      latencyP99Ms: c.latency?.quantile(0.99) ?? null,
      metrics: {},
      metricEvidence: {},
    };
  });
const strategyArb = fc.constantFrom('canary', 'shadow', 'blue-green', 'all-at-once' as const);

describe('properties', () => {
  it('membership is exactly the shared inStage of the stage share', () => {
    fc.assert(
      fc.property(fc.string(), fc.nat(2), (id, stageIndex) => {
        const rollout = sampleRollout({}, { stageIndex });
        const percent = rollout.spec.stages[stageIndex]!.percent;
        expect(assignmentFor(rollout, id).active === '2.0.0').toBe(inStage(id, 'salt-1', percent));
      }),
    );
  });

  it('never advances or completes when data is missing', () => {
    fc.assert(
      fc.property(candidateArb, fc.nat(3), fc.nat(10 * 3_600_000), (candidate, stageIndex, now) => {
        const rollout = sampleRollout(
          { gates: { latencyP95Ms: 50, maxPsi: 0.2 } },
          { stageIndex: Math.min(stageIndex, 2) },
        );
        const stage = rollout.spec.stages[rollout.state.stageIndex]!;
        const missing =
          candidate.reportingTargets < stage.minReportingTargets ||
          candidate.inferences < stage.minInferences ||
          candidate.latency === null ||
          candidate.drift === null;
        fc.pre(missing);
        const decision = decide(rollout, { ...healthyFacts([]), candidate }, now);
        const events = decision.transitions.map((t) => t.event);
        expect(events.includes('advanced') || events.includes('completed')).toBe(false);
      }),
    );
  });

  it('never leaves a target on a rolled-back or aborted candidate', () => {
    fc.assert(
      fc.property(
        targetsArb,
        strategyArb,
        fc.nat(2),
        fc.constantFrom('rollback', 'abort' as const),
        (targets, strategy, stageIndex, action) => {
          const rollout = sampleRollout({ strategy }, { stageIndex });
          // Targets first follow the running stage, then the admin (or a breach) rolls back.
          const running = applied(targets, decide(rollout, healthyFacts(targets), 0));
          const t = applyAction(rollout, action, 1, 'admin', 'test');
          if (!t.ok) throw new Error(t.error);
          const back = { ...rollout, state: t.value.to };
          const after = applied(running, decide(back, healthyFacts(running), 2));
          expect(after.filter((x) => x.desired && carries(x.desired, '2.0.0'))).toEqual([]);
        },
      ),
    );
  });

  it('never leaves a target on the candidate after an automatic rollback', () => {
    fc.assert(
      fc.property(targetsArb, strategyArb, fc.nat(2), (targets, strategy, stageIndex) => {
        const rollout = sampleRollout({ strategy }, { stageIndex });
        const running = applied(targets, decide(rollout, healthyFacts(targets), 0));
        const facts = healthyFacts(running);
        const decision = decide(rollout, { ...facts, candidate: { ...facts.candidate, errors: 10_000 } }, 1);
        expect(decision.next.status).toBe('rolled_back');
        expect(applied(running, decision).filter((x) => x.desired && carries(x.desired, '2.0.0'))).toEqual(
          [],
        );
      }),
    );
  });

  it('stage shares rise and members stay members through every advance', () => {
    fc.assert(
      fc.property(
        targetsArb,
        fc.uniqueArray(fc.integer({ min: 1, max: 10_000 }), { minLength: 1, maxLength: 6 }),
        (initial, buckets) => {
          let targets = initial;
          const percents = [...buckets].sort((a, b) => a - b).map((b) => b / 100);
          const stages = percents.map((percent) => ({
            percent,
            minDurationMs: 0,
            minReportingTargets: 0,
            minInferences: 0,
          }));
          let rollout = sampleRollout({ stages, gates: {} }, { stageIndex: 0 });
          let previous = new Set<string>();
          let percent = 0;
          for (let now = 1; rollout.state.status === 'running'; now++) {
            const current = memberPercent(rollout);
            expect(current).toBeGreaterThanOrEqual(percent);
            percent = current;
            const members = new Set(
              targets.filter((t) => assignmentFor(rollout, t.id).active === '2.0.0').map((t) => t.id),
            );
            for (const id of previous) expect(members.has(id)).toBe(true);
            previous = members;
            const decision = decide(rollout, healthyFacts(targets), now);
            expect(decision.transitions.length).toBeLessThanOrEqual(1);
            rollout = { ...rollout, state: decision.next };
            targets = applied(targets, decision); // members apply the candidate (the failure share needs them settled)
          }
          expect(rollout.state.status).toBe('completed');
        },
      ),
    );
  });
});

describe('properties: a first deployment (no baseline)', () => {
  const firstArb = fc.constantFrom('canary', 'all-at-once' as const);
  const first = (strategy: 'canary' | 'all-at-once', state: Partial<Rollout['state']> = {}) =>
    sampleRollout(
      {
        baseline: null,
        strategy,
        ...(strategy === 'all-at-once'
          ? { stages: [{ percent: 100, minDurationMs: 0, minReportingTargets: 2, minInferences: 100 }] }
          : {}),
      },
      state,
    );
  const carriesAny = (t: TargetFacts) =>
    t.desired !== null &&
    (t.desired.active !== null || t.desired.shadow !== null || t.desired.standby !== null);

  it('tells members the candidate, non-members nothing, and takes every version back on rollback or abort', () => {
    fc.assert(
      fc.property(
        targetsArb,
        firstArb,
        fc.nat(2),
        fc.constantFrom('rollback', 'abort' as const),
        (targets, strategy, stage, action) => {
          const rollout = first(strategy, { stageIndex: strategy === 'all-at-once' ? 0 : stage });
          const decision = decide(rollout, { ...healthyFacts(targets), baseline: null }, 0);
          const running = applied(targets, decision);
          // Members of the state the decision leads to (an empty stage moves on at once).
          for (const t of running) {
            const member = assignmentFor({ ...rollout, state: decision.next }, t.id).active === '2.0.0';
            expect(t.desired, t.id).toEqual(member ? { active: '2.0.0', shadow: null, standby: null } : null);
          }
          const t = applyAction(rollout, action, 1, 'admin', 'test');
          if (!t.ok) throw new Error(t.error);
          const back = { ...rollout, state: t.value.to };
          const after = applied(running, decide(back, { ...healthyFacts(running), baseline: null }, 2));
          expect(after.filter(carriesAny)).toEqual([]);
        },
      ),
    );
  });

  it('completes on absolute gates without baseline facts; the app slot has no current version until then', () => {
    fc.assert(
      fc.property(targetsArb, firstArb, (targets, strategy) => {
        let rollout: Rollout = {
          ...first(strategy),
          spec: { ...first(strategy).spec, target: { kind: 'app', appId: 'shop' } },
        };
        for (let now = 1; rollout.state.status === 'running'; now += 3 * 3_600_000) {
          const decision = decide(rollout, { ...healthyFacts(targets), baseline: null }, now);
          expect(decision.app?.current ?? null).toBe(decision.next.status === 'completed' ? '2.0.0' : null);
          rollout = { ...rollout, state: decision.next };
          expect(now).toBeLessThan(20 * 3_600_000);
        }
        expect(rollout.state.status).toBe('completed');
      }),
    );
  });
});

describe('decide: statistical gates', () => {
  const withCandidate = (patch: Partial<RolloutFacts['candidate']>) => {
    const facts = healthyFacts();
    return { ...facts, candidate: { ...facts.candidate, ...patch } };
  };

  it('a healthy candidate on little data is inconclusive, never a pass nor a breach', () => {
    const facts = withCandidate({
      inferences: 120,
      errors: 0,
      latency: latencySketch(120, 1, 10.5),
      drift: { inputs: [driftValue('brightness', 120, 0.33)], outputs: [driftValue('confidence', 120)] },
    });
    const decision = decide(sampleRollout(), facts, 31 * MIN);
    expect(decision.transitions).toEqual([]);
    expect(decision.evaluation?.verdict).toBe('inconclusive');
    const psi = decision.evaluation!.values.find((v) => v.gate === 'drift.psi.input.brightness')!;
    expect(psi).toMatchObject({
      status: 'inconclusive',
      test: 'noncentral-chi-square',
      controlN: 300,
    });
    expect(psi.n).toBeGreaterThanOrEqual(110);
    expect(psi.lower).toBe(0);
    expect(psi.upper!).toBeGreaterThan(0.2);
    expect(psi.needMore!).toBeGreaterThan(0);
    expect(decision.note).toMatch(
      /^inconclusive: .*drift\.psi\.input\.brightness inconclusive .*needs ≈ \d+ more/,
    );
  });

  it.each([
    ['pause', 'paused', 'paused'],
    ['rollback', 'rolled_back', 'rolled_back'],
  ] as const)('onInconclusive %s at the deadline', (onInconclusive, event, status) => {
    const facts = withCandidate({
      drift: { inputs: [driftValue('brightness', 120, 0.33)], outputs: [] },
      inferences: 120,
    });
    const rollout = sampleRollout({ onInconclusive });
    expect(decide(rollout, facts, 119 * MIN).transitions).toEqual([]);
    const late = decide(rollout, facts, 120 * MIN);
    expect(late.transitions[0]).toMatchObject({ event, to: { status } });
    expect(late.deadline).toMatchObject({ action: onInconclusive, stageIndex: 0 });
    expect(late.deadline!.gates.map((g) => g.gate)).toContain('drift.psi.input.brightness');
  });

  it('onInconclusive extend keeps waiting past the deadline and says so every tick', () => {
    const facts = withCandidate({
      drift: { inputs: [driftValue('brightness', 120, 0.33)], outputs: [] },
      inferences: 120,
    });
    const late = decide(sampleRollout({ onInconclusive: 'extend' }), facts, 10 * 60 * MIN);
    expect(late.transitions).toEqual([]);
    expect(late.deadline?.action).toBe('extend');
    expect(late.note).toContain('undecided after');
  });

  it('spends a new look only when the inferences grew 1.5×, and never across stages', () => {
    const rollout = sampleRollout();
    const first = decide(rollout, healthyFacts(), MIN).evaluation!;
    expect(first.look).toEqual({ stageIndex: 0, stageStartedAt: 0, look: 1, n: 10_000 });
    const grown = (n: number, look = first.look) => ({
      ...withCandidate({ inferences: n, errors: Math.round(n / 1000) }),
      look,
    });
    expect(decide(rollout, grown(14_999), MIN).evaluation!.look!.look).toBe(1);
    const second = decide(rollout, grown(15_000), MIN).evaluation!;
    expect(second.look).toMatchObject({ look: 2, n: 15_000 });
    // A later look tests each gate at a higher per-test confidence (α·6/(π²k²), split over the gates).
    const confidenceOf = (e: typeof first) => e.values.find((v) => v.gate === 'errorRate')!.confidence!;
    expect(confidenceOf(second)).toBeGreaterThan(confidenceOf(first));
    const nextStage = sampleRollout({}, { stageIndex: 1, stageStartedAt: 30 * MIN });
    expect(decide(nextStage, grown(15_000, second.look), 31 * MIN).evaluation!.look).toMatchObject({
      stageIndex: 1,
      look: 1,
    });
  });

  it('judges a std on its point estimate and flags it', () => {
    const rollout = sampleRollout({ gates: { metrics: [{ name: 'outputs.confidence.std', max: 0.1 }] } });
    const decision = decide(rollout, withCandidate({ metrics: { 'outputs.confidence.std': 0.05 } }), MIN);
    expect(decision.evaluation!.values.find((v) => v.gate === 'metric.outputs.confidence.std')).toMatchObject(
      {
        status: 'pass',
        test: 'point',
        lower: null,
        upper: null,
      },
    );
  });

  it('never passes a gate without its evidence: a latency estimate without a sketch waits', () => {
    const decision = decide(sampleRollout(), withCandidate({ latency: null, latencyP95Ms: 1 }), 31 * MIN);
    expect(decision.evaluation!.values.find((v) => v.gate === 'latency.p95Ms')!.status).toBe('wait');
    expect(decision.transitions).toEqual([]);
  });
});
