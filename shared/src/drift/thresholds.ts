/** Outcome of a drift check: `insufficient` when there were too few observations to judge. */
export type DriftVerdict = 'ok' | 'warn' | 'alert' | 'insufficient';

/** Metrics a threshold can be set on. */
export type DriftMetric = 'psi' | 'js' | 'ksD' | 'wassersteinNorm';

/** A metric value at or above `warn` warns, at or above `alert` alerts. */
export interface MetricThresholds {
  warn: number;
  alert: number;
}

/** Complete thresholds for one feature (or for the class mix); a `null` metric is reported but never gates. */
export interface DriftThresholds {
  psi: MetricThresholds | null;
  js: MetricThresholds | null;
  ksD: MetricThresholds | null;
  wassersteinNorm: MetricThresholds | null;
  /** Fewer observations than this in the current (or the baseline) profile gives `insufficient`. */
  minCount: number;
}

/** Partial thresholds: each metric may set `warn`, `alert`, both, or `null` to stop gating on it. */
export type DriftThresholdPatch = {
  [M in DriftMetric]?: Partial<MetricThresholds> | null;
} & { minCount?: number };

/**
 * Overrides of {@link DEFAULT_DRIFT_THRESHOLDS}: the top level applies to every feature, `features[name]`
 * to the input or output feature of that name on top of it, `classes` to the class mix.
 * @example { psi: { warn: 0.15 }, features: { brightness: { psi: { alert: 0.5 } } }, classes: { js: null } }
 */
export interface DriftThresholdOverrides extends DriftThresholdPatch {
  features?: Record<string, DriftThresholdPatch>;
  classes?: DriftThresholdPatch;
}

/**
 * Default thresholds: PSI 0.1 / 0.25 and Jensen-Shannon distance 0.1 / 0.2 gate (warn / alert); KS D and
 * the std-normalised Wasserstein distance are information only; 100 observations at least.
 */
export const DEFAULT_DRIFT_THRESHOLDS: Readonly<DriftThresholds> = Object.freeze({
  psi: Object.freeze({ warn: 0.1, alert: 0.25 }),
  js: Object.freeze({ warn: 0.1, alert: 0.2 }),
  ksD: null,
  wassersteinNorm: null,
  minCount: 100,
});

const METRICS: readonly DriftMetric[] = ['psi', 'js', 'ksD', 'wassersteinNorm'];

/** Applies `patches` in order on top of `base`; throws a RangeError on a threshold that is not a number ≥ 0 or warn > alert. */
export function resolveThresholds(
  base: Readonly<DriftThresholds>,
  ...patches: (DriftThresholdPatch | undefined)[]
): DriftThresholds {
  const out: DriftThresholds = { ...base };
  for (const patch of patches) {
    if (!patch) continue;
    for (const metric of METRICS) {
      const value = patch[metric];
      if (value === undefined) continue;
      if (value === null) {
        out[metric] = null;
        continue;
      }
      const prior = out[metric] ?? DEFAULT_DRIFT_THRESHOLDS[metric];
      const warn = value.warn ?? prior?.warn ?? value.alert;
      const alert = value.alert ?? prior?.alert ?? value.warn;
      out[metric] = checkedPair(metric, warn, alert);
    }
    if (patch.minCount !== undefined) {
      if (!(patch.minCount >= 0))
        throw new RangeError(`minCount: expected a number >= 0, got ${patch.minCount}`);
      out.minCount = patch.minCount;
    }
  }
  return out;
}

function checkedPair(
  metric: DriftMetric,
  warn: number | undefined,
  alert: number | undefined,
): MetricThresholds {
  if (warn === undefined || alert === undefined || !(warn >= 0) || !(alert >= 0) || warn > alert) {
    throw new RangeError(
      `${metric}: expected thresholds 0 <= warn <= alert, got warn ${warn}, alert ${alert}`,
    );
  }
  return { warn, alert };
}

const RANK: Record<DriftVerdict, number> = { ok: 0, insufficient: 1, warn: 2, alert: 3 };

/** The more severe of two verdicts: alert > warn > insufficient > ok. */
export function worseVerdict(a: DriftVerdict, b: DriftVerdict): DriftVerdict {
  return RANK[b] > RANK[a] ? b : a;
}

/** Verdict of the metric values that have thresholds, with one reason per breach (e.g. `psi 0.31 >= alert 0.25`). */
export function judgeMetrics(
  values: Partial<Record<DriftMetric, number | null>>,
  thresholds: DriftThresholds,
): { verdict: DriftVerdict; reasons: string[] } {
  let verdict: DriftVerdict = 'ok';
  const reasons: string[] = [];
  for (const metric of METRICS) {
    const limit = thresholds[metric];
    const value = values[metric];
    if (!limit || value === undefined || value === null) continue;
    const level = value >= limit.alert ? 'alert' : value >= limit.warn ? 'warn' : undefined;
    if (!level) continue;
    verdict = worseVerdict(verdict, level);
    reasons.push(`${metric} ${formatMetric(value)} >= ${level} ${limit[level]}`);
  }
  return { verdict, reasons };
}

function formatMetric(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
