import { type Automation, driftReport, type Profile } from '@edgefleet/shared';
import { inArray } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';
import type { SpecResolver } from '../models';
import { latencyQuantiles } from '../monitoring/version-metrics';
import { carries } from './assignment';
import { hasQualityGates } from './quality-gates';
import { StageTelemetry } from './stage-telemetry';
import { resolveDeviceTargets } from './store';
import type {
  Assignment,
  BaselineFacts,
  CandidateFacts,
  FeatureDriftValue,
  MetricEvidence,
  Rollout,
  RolloutFacts,
  TargetFacts,
} from './types';

interface StoredModels {
  active?: { manifest?: { version?: string } } | null;
  shadow?: { manifest?: { version?: string } } | null;
  standby?: { manifest?: { version?: string } } | null;
}

interface StoredReported {
  errors?: { step: string; message: string; model?: { name: string; version: string } }[];
}

const versionOf = (ref: { manifest?: { version?: string } } | null | undefined) =>
  ref?.manifest?.version ?? null;

/** The versions of a stored desired state. */
export function assignmentOfDesired(desired: Record<string, unknown> | null): Assignment | null {
  const models = desired?.models as StoredModels | undefined;
  if (!models) return null;
  return {
    active: versionOf(models.active),
    shadow: versionOf(models.shadow),
    standby: versionOf(models.standby),
  };
}

/** Device targets with their desired versions, whether they applied them, and their failure at the candidate. */
export function loadTargetFacts(
  db: FleetDb,
  rollout: Rollout,
  ids: readonly string[] = resolveDeviceTargets(db, rollout.spec.target),
  now: number = Date.now(),
): TargetFacts[] {
  const { candidate, applyTimeoutMs } = rollout.spec;
  const d = schema.devices;
  const facts: TargetFacts[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const rows = db
      .select({
        id: d.id,
        desired: d.desiredState,
        desiredRev: d.desiredRev,
        appliedRev: d.appliedRev,
        reported: d.reportedState,
      })
      .from(d)
      .where(inArray(d.id, ids.slice(i, i + 500)))
      .all();
    for (const row of rows) {
      const errors = (row.reported as StoredReported | null)?.errors ?? [];
      const failed = errors.find(
        (e) => e.model?.name === rollout.spec.modelName && e.model.version === rollout.spec.candidate,
      );
      const desired = assignmentOfDesired(row.desired);
      const pending = row.desiredRev > row.appliedRev;
      // Missing news is not a pass: a target still switching to the candidate past the timeout has failed.
      const issuedAt = (row.desired as { issuedAt?: unknown } | null)?.issuedAt;
      const timedOut =
        !failed &&
        pending &&
        desired !== null &&
        carries(desired, candidate) &&
        typeof issuedAt === 'number' &&
        now - issuedAt > applyTimeoutMs;
      const automation = (row.desired as { automation?: Automation } | null)?.automation ?? null;
      facts.push({
        id: row.id,
        desired,
        automation,
        pending,
        failure: failed
          ? `${failed.step}: ${failed.message}`
          : timedOut
            ? `timed_out: neither applied nor reported a failure within ${Math.round(applyTimeoutMs / 1000)} s of the desired state (rev ${row.desiredRev})`
            : null,
      });
    }
  }
  return facts;
}

/** Named metrics of a merged profile that `gates.metrics` can bound. */
export function profileMetrics(profile: Profile): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const side of ['inputs', 'outputs'] as const) {
    for (const [name, stats] of profile[side]) {
      if (stats.moments.count === 0) continue;
      metrics[`${side}.${name}.mean`] = stats.moments.mean;
      metrics[`${side}.${name}.std`] = stats.moments.std;
    }
  }
  const classes = profile.classes.total;
  if (classes > 0)
    for (const [label, count] of profile.classes.top()) metrics[`classes.${label}.share`] = count / classes;
  if (profile.inferences > 0) {
    metrics.errorRate = profile.errorCount / profile.inferences;
    metrics.missingRate = profile.missing / profile.inferences;
  }
  return metrics;
}

/**
 * The data behind {@link profileMetrics} where a bound can be derived: means (sd and count), class shares, error
 * and missing rates (counts). A std has none: a gate on it is judged as a point estimate.
 */
export function profileMetricEvidence(profile: Profile): Record<string, MetricEvidence> {
  const evidence: Record<string, MetricEvidence> = {};
  for (const side of ['inputs', 'outputs'] as const) {
    for (const [name, stats] of profile[side]) {
      const { count, mean, std } = stats.moments;
      if (count === 0) continue;
      evidence[`${side}.${name}.mean`] = { kind: 'mean', mean, std, count };
    }
  }
  const classes = profile.classes.total;
  if (classes > 0)
    for (const [label, count] of profile.classes.top())
      evidence[`classes.${label}.share`] = { kind: 'share', successes: count, trials: classes };
  if (profile.inferences > 0) {
    evidence.errorRate = { kind: 'share', successes: profile.errorCount, trials: profile.inferences };
    evidence.missingRate = { kind: 'share', successes: profile.missing, trials: profile.inferences };
  }
  return evidence;
}

/** Drift distances and the bin counts behind them, per input feature and per output. */
function driftFacts(baseline: Profile, profile: Profile): CandidateFacts['drift'] {
  const report = driftReport(baseline, profile);
  const side = (part: 'inputs' | 'outputs'): FeatureDriftValue[] =>
    report[part].map((f) => ({
      name: f.name,
      psi: f.psi,
      js: f.js,
      baselineCounts: baseline[part].get(f.name)?.histogram.counts.slice() ?? null,
      windowCounts: profile[part].get(f.name)?.histogram.counts.slice() ?? null,
    }));
  return { inputs: side('inputs'), outputs: side('outputs') };
}

/**
 * The candidate's merged telemetry since the stage began (reports whose window started at or after
 * `stage_started_at`) from the stage's members, its drift against the candidate's baseline, and the baseline
 * version's latency over the same window from the rollout's targets (see {@link StageTelemetry}).
 */
export function loadTelemetryFacts(
  specs: SpecResolver,
  rollout: Rollout,
  targetIds: readonly string[],
  telemetry: StageTelemetry,
): Pick<RolloutFacts, 'candidate' | 'baseline'> & { catchingUp: boolean } {
  const { spec } = rollout;
  const relativeGates =
    spec.gates.latencyP95Ratio !== undefined ||
    spec.gates.latencyP99Ratio !== undefined ||
    hasQualityGates(spec.gates);
  const stage = telemetry.read(rollout, targetIds, relativeGates || spec.strategy === 'shadow');
  if (stage.catchingUp) {
    // A partial merge is no data: every telemetry gate waits (the controller also holds its transitions).
    const baseline = relativeGates || spec.strategy === 'shadow' ? emptyBaseline() : null;
    return { candidate: emptyCandidate(), baseline, catchingUp: true };
  }
  const profile = stage.candidate?.profile ?? null;
  const baselineOfCandidate = specs.baselineOf(spec.modelName, spec.candidate)?.baseline ?? null;
  const drift = profile && baselineOfCandidate ? driftFacts(baselineOfCandidate, profile) : null;
  const p = (q: 'p95' | 'p99') => (profile ? latencyQuantiles(profile, 'total')[q] : null);
  const baselineProfile = stage.baseline?.profile ?? null;
  let baseline: BaselineFacts | null = null;
  if (relativeGates || (spec.strategy === 'shadow' && !(profile && profile.shadow.compared > 0))) {
    const total = baselineProfile ? latencyQuantiles(baselineProfile, 'total') : null;
    const sketch = baselineProfile?.latency.total;
    baseline = {
      inferences: baselineProfile?.inferences ?? 0,
      latencyP95Ms: total?.p95 ?? null,
      latencyP99Ms: total?.p99 ?? null,
      latency: sketch && sketch.count > 0 ? sketch : null,
      quality: stage.baseline && stage.baseline.feedbackReports > 0 ? stage.baseline.quality : null,
    };
  }
  // Agreement is counted where the client compares: on the candidate's (shadow) profile, else the active one's.
  const shadowSource = profile && profile.shadow.compared > 0 ? profile : baselineProfile;
  const candidate: CandidateFacts = {
    reportingTargets: stage.candidate?.targets.size ?? 0,
    inferences: profile?.inferences ?? 0,
    errors: profile?.errorCount ?? 0,
    errorRate: profile && profile.inferences > 0 ? profile.errorCount / profile.inferences : null,
    latencyP95Ms: p('p95'),
    latencyP99Ms: p('p99'),
    latency: profile && profile.latency.total.count > 0 ? profile.latency.total : null,
    drift,
    shadow:
      shadowSource && shadowSource.shadow.compared > 0
        ? { compared: shadowSource.shadow.compared, agreed: shadowSource.shadow.agreed }
        : null,
    metrics: profile ? profileMetrics(profile) : {},
    metricEvidence: profile ? profileMetricEvidence(profile) : {},
    quality: stage.candidate && stage.candidate.feedbackReports > 0 ? stage.candidate.quality : null,
  };
  return { candidate, baseline, catchingUp: false };
}

/**
 * Everything {@link decide} needs about a rollout now; without `telemetry` (kept between ticks) the stage is read
 * whole. `catchingUp`: the stage's telemetry is still being merged (see {@link StageTelemetry}); its candidate
 * facts are then empty and no transition may be taken on them.
 */
export function loadFacts(
  db: FleetDb,
  specs: SpecResolver,
  rollout: Rollout,
  telemetry: StageTelemetry = new StageTelemetry(db, specs, Number.POSITIVE_INFINITY),
  now: number = Date.now(),
): RolloutFacts & { catchingUp: boolean } {
  const targetIds = resolveDeviceTargets(db, rollout.spec.target);
  const running = rollout.state.status === 'running';
  const facts = running
    ? loadTelemetryFacts(specs, rollout, targetIds, telemetry)
    : { candidate: emptyCandidate(), baseline: null, catchingUp: false };
  return { ...facts, targets: loadTargetFacts(db, rollout, targetIds, now) };
}

/** Baseline facts with no data at all. */
function emptyBaseline(): BaselineFacts {
  return { inferences: 0, latencyP95Ms: null, latencyP99Ms: null, latency: null };
}

/** Candidate facts with no data at all. */
export function emptyCandidate(): CandidateFacts {
  return {
    reportingTargets: 0,
    inferences: 0,
    errors: 0,
    errorRate: null,
    latencyP95Ms: null,
    latencyP99Ms: null,
    latency: null,
    drift: null,
    shadow: null,
    metrics: {},
    metricEvidence: {},
  };
}
