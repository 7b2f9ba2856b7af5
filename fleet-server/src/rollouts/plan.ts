import type { Profile } from '@edgefleet/shared';
import type { RolloutPlan, RolloutPlanRequest } from '@edgefleet/shared/api';
import { inferencesToDecide, type PlannedGate } from '@edgefleet/shared/stats';
import type { FleetDb } from '../db';
import { InvalidInput, NotFound } from '../errors';
import { parseSelector } from '../labels/selector';
import type { SpecResolver } from '../models';
import { HOUR_MS } from '../monitoring/timeseries';
import { modelTrafficBySource } from '../monitoring/traffic';
import { DEFAULT_STAGES } from './service';
import { parseStages } from './stages';
import { resolveDeviceTargets } from './store';

type Gates = RolloutPlanRequest['gates'];

/**
 * Gated tests of a rollout's family (Bonferroni), counted the way the gates test them: each feature under a
 * PSI and under a JS threshold, each rate, latency and metric gate once.
 */
export function gatedTests(gates: Gates, features: readonly string[]): number {
  let tests = 0;
  for (const name of features) {
    const override = gates.features?.[name];
    if ((override?.maxPsi ?? gates.maxPsi) !== undefined) tests++;
    if ((override?.maxJs ?? gates.maxJs) !== undefined) tests++;
  }
  for (const key of [
    'latencyP95Ms',
    'latencyP99Ms',
    'latencyP95Ratio',
    'latencyP99Ratio',
    'maxErrorRate',
    'minShadowAgreement',
    'maxApplyFailureShare',
    'maxAccuracyDrop',
    'maxAgreementDrop',
    'maxReviewShareRise',
  ] as const) {
    if (gates[key] !== undefined) tests++;
  }
  return Math.max(1, tests + (gates.metrics?.length ?? 0));
}

/** Features of a baseline: `input.<name>` / `output.<name>` with their counts. */
function featuresOf(baseline: Profile | null) {
  if (!baseline) return [];
  return [
    ...[...baseline.inputs].map(([name, f]) => ({ name, id: `input.${name}`, counts: f.histogram.counts })),
    ...[...baseline.outputs].map(([name, f]) => ({ name, id: `output.${name}`, counts: f.histogram.counts })),
  ];
}

/**
 * ≈ how long each stage of a rollout needs to decide its gates for a healthy candidate, from the targets'
 * recent traffic (hourly aggregates of the model over `trafficWindowMs`) and the candidate's baseline: the same
 * bounds and pass level as the gates ({@link inferencesToDecide}).
 */
export function planRollout(
  db: FleetDb,
  specs: SpecResolver,
  request: RolloutPlanRequest,
  nowMs: number,
): RolloutPlan {
  const found = specs.baselineOf(request.model, request.candidate);
  if (!found) throw new NotFound(`no version ${request.model}@${request.candidate}`, { field: 'candidate' });
  const stages = parseStages(request.stages ?? DEFAULT_STAGES[request.strategy], {
    minReportingTargets: 0,
    minInferences: request.minInferences,
  });
  if (!stages.ok) throw new InvalidInput(`stages: ${stages.error}`, { field: 'stages' });
  const notes: string[] = [];

  // Traffic of the targets: their inferences of the model per minute over the window.
  const fromMs = Math.floor((nowMs - request.trafficWindowMs) / HOUR_MS) * HOUR_MS;
  const traffic = modelTrafficBySource(db, request.model, fromMs, nowMs + 1);
  let targets: number;
  let sources: typeof traffic;
  const requested = request.target;
  if ('app' in requested) {
    targets = 1;
    sources = traffic.filter((s) => s.scope === 'app' && s.sourceId === requested.app);
  } else {
    const target =
      'selector' in requested
        ? { kind: 'selector' as const, selector: requested.selector }
        : { kind: 'devices' as const, ids: requested.devices };
    if (target.kind === 'selector' && !parseSelector(target.selector).ok)
      throw new InvalidInput('target.selector: not a label selector', { field: 'target.selector' });
    const ids = new Set(resolveDeviceTargets(db, target));
    targets = ids.size;
    sources = traffic.filter((s) => s.scope === 'dev' && ids.has(s.sourceId));
  }
  const inferences = sources.reduce((a, s) => a + s.inferences, 0);
  const errors = sources.reduce((a, s) => a + s.errors, 0);
  const minutes = Math.max(1, (nowMs - fromMs) / 60_000);
  const perMinute = inferences / minutes;
  const recentErrorRate = inferences > 0 ? errors / inferences : null;
  if (inferences === 0)
    notes.push('no telemetry of the model from these targets in the window: no durations');

  const baseline = found.baseline;
  const features = featuresOf(baseline);
  const tests = gatedTests(
    request.gates,
    features.map((f) => f.name),
  );
  const options = { confidence: request.confidence };
  const planned: RolloutPlan['gates'] = [];
  const plan = (gate: PlannedGate, expected: number | null) => {
    const n = inferencesToDecide(gate, options);
    planned.push({
      gate: gate.gate,
      threshold: gate.threshold,
      expected,
      inferencesNeeded: Number.isFinite(n) ? n : null,
      note: Number.isFinite(n)
        ? null
        : gate.kind === 'psi' || gate.kind === 'js'
          ? 'the baseline is too small for this threshold at this confidence'
          : 'the expected value is on the wrong side of the threshold',
    });
  };
  for (const f of features) {
    const override = request.gates.features?.[f.name];
    const maxPsi = override?.maxPsi ?? request.gates.maxPsi;
    const maxJs = override?.maxJs ?? request.gates.maxJs;
    if (maxPsi !== undefined)
      plan({ gate: `drift.psi.${f.id}`, kind: 'psi', threshold: maxPsi, baselineCounts: f.counts }, null);
    if (maxJs !== undefined)
      plan({ gate: `drift.js.${f.id}`, kind: 'js', threshold: maxJs, baselineCounts: f.counts }, null);
  }
  if (!baseline && (request.gates.maxPsi !== undefined || request.gates.maxJs !== undefined))
    notes.push('the candidate has no baseline profile: drift gates are not planned');
  if (request.gates.maxErrorRate !== undefined) {
    const expected = request.expectedErrorRate ?? recentErrorRate ?? 0;
    plan({ gate: 'error_rate', kind: 'rate_max', threshold: request.gates.maxErrorRate, expected }, expected);
  }
  for (const key of [
    'latencyP95Ms',
    'latencyP99Ms',
    'latencyP95Ratio',
    'latencyP99Ratio',
    'minShadowAgreement',
  ] as const) {
    if (request.gates[key] !== undefined)
      notes.push(`${key} is not planned (no model of the candidate's value)`);
  }
  for (const key of ['maxAccuracyDrop', 'maxAgreementDrop', 'maxReviewShareRise'] as const) {
    if (request.gates[key] !== undefined)
      notes.push(`${key} is not planned (it counts operators' labels, not inferences)`);
  }

  const needs = planned.map((g) => g.inferencesNeeded);
  const inferencesNeeded =
    needs.length === 0 ? 0 : needs.some((n) => n === null) ? null : Math.max(...(needs as number[]));
  const perStage = (percent: number) => (perMinute * percent) / 100;
  return {
    confidence: request.confidence,
    tests,
    traffic: {
      targets,
      reportingTargets: sources.length,
      inferencesPerMinute: perMinute,
      errorRate: recentErrorRate,
      fromMs,
      toMs: nowMs,
    },
    gates: planned,
    inferencesNeeded,
    suggestedMinInferences:
      inferencesNeeded === null ? null : Math.max(request.minInferences, Math.ceil(inferencesNeeded)),
    stages: stages.value.map((s) => {
      const rate = perStage(s.percent);
      const minutesNeeded = inferencesNeeded === null || rate <= 0 ? null : inferencesNeeded / rate;
      return {
        percent: s.percent,
        minDurationMs: s.minDurationMs,
        inferencesPerMinute: rate,
        minutesNeeded,
        enoughTime: minutesNeeded !== null && minutesNeeded * 60_000 <= s.minDurationMs,
      };
    }),
    notes,
  };
}
