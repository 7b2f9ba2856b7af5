import type { RolloutDetail, TimeseriesPoint } from '@edgefleet/shared/api';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { Chart } from '../components/chart';
import { COLORS } from '../components/metric-charts';
import { Async } from '../components/states';
import { formatDuration, formatNumber } from '../format';
import { stepOf } from '../steps';

/**
 * Drops the steps before the first and after the last report of either series (same buckets in both); without a
 * baseline (a first deployment) only the candidate's count.
 */
export function trimEmptyEnds(candidate: TimeseriesPoint[], baseline: TimeseriesPoint[] | null) {
  const busy = (i: number) => (candidate[i]?.reports ?? 0) > 0 || (baseline?.[i]?.reports ?? 0) > 0;
  const n = baseline ? Math.min(candidate.length, baseline.length) : candidate.length;
  let first = 0;
  while (first < n && !busy(first)) first++;
  let last = n - 1;
  while (last > first && !busy(last)) last--;
  return {
    candidate: candidate.slice(first, last + 1),
    baseline: baseline ? baseline.slice(first, last + 1) : null,
  };
}

interface CompareSeries {
  candidate: TimeseriesPoint[];
  /** null: a first deployment, nothing to compare with. */
  baseline: TimeseriesPoint[] | null;
  stepMs: number;
}

/** Candidate and baseline (if any) telemetry since the rollout began, refreshed live. */
export function CandidateChart({ r }: { r: RolloutDetail }) {
  const series = useLive<CompareSeries>(
    async () => {
      // Candidate and baseline over the same window: since the rollout began (reports whose window ends
      // up to a minute ahead of this clock count), in about 60 steps, so a young rollout shows seconds.
      const to = Date.now() + 60_000;
      const from = r.createdAt;
      const stepMs = stepOf(to - from, 60, 1_000);
      const q = {
        from,
        to,
        stepMs,
        ...(r.target.kind === 'selector' && r.target.selector ? { selector: r.target.selector } : {}),
      };
      const [candidate, baseline] = await Promise.all([
        api.timeseries(r.model, r.candidate, q),
        r.baseline === null ? null : api.timeseries(r.model, r.baseline, q),
      ]);
      return { ...trimEmptyEnds(candidate.points, baseline?.points ?? null), stepMs };
    },
    [r.id, r.candidate, r.baseline],
    ['telemetry', 'rollout'],
  );
  return (
    <Async resource={series} what="Loading telemetry">
      {(s) => {
        const inferences = s.candidate.reduce((n, p) => n + p.inferences, 0);
        return (
          <div
            data-testid="rollout-telemetry"
            data-inferences={inferences}
            data-reports={[...s.candidate, ...(s.baseline ?? [])].reduce((n, p) => n + p.reports, 0)}
          >
            <p class="muted small">
              Candidate: <strong data-testid="candidate-inferences">{formatNumber(inferences)}</strong>{' '}
              inferences in {formatNumber(s.candidate.reduce((n, p) => n + p.reports, 0))} reports
            </p>
            <div class="grid two">
              <Chart
                title={`Inferences reported (steps of ${formatDuration(s.stepMs)})`}
                testId="chart-rollout-inferences"
                x={s.candidate.map((p) => p.t)}
                series={[
                  {
                    label: `candidate ${r.candidate}`,
                    color: COLORS.inferences,
                    fill: 'rgba(99,102,241,0.12)',
                    values: s.candidate.map((p) => (p.reports > 0 ? p.inferences : null)),
                    spanGaps: true,
                  },
                  ...(s.baseline && r.baseline !== null
                    ? [
                        {
                          label: `baseline ${r.baseline}`,
                          color: COLORS.baseline,
                          values: s.baseline.map((p) => (p.reports > 0 ? p.inferences : null)),
                          spanGaps: true,
                        },
                      ]
                    : []),
                ]}
              />
              <Chart
                title="Latency p95 (ms)"
                testId="chart-rollout-latency"
                x={s.candidate.map((p) => p.t)}
                series={[
                  {
                    label: `candidate ${r.candidate}`,
                    color: COLORS.p95,
                    values: s.candidate.map((p) => p.latencyMs?.p95 ?? null),
                    spanGaps: true,
                  },
                  ...(s.baseline && r.baseline !== null
                    ? [
                        {
                          label: `baseline ${r.baseline}`,
                          color: COLORS.baseline,
                          values: s.baseline.map((p) => p.latencyMs?.p95 ?? null),
                          spanGaps: true,
                        },
                      ]
                    : []),
                ]}
              />
            </div>
          </div>
        );
      }}
    </Async>
  );
}
