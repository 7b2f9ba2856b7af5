import type { TimeseriesPoint } from '@edgefleet/shared/api';
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { baselineClassMix, baselineConfidenceMean, outputShares } from '../baseline';
import { DriftHeatmap, type DriftMetric } from '../components/heatmap';
import {
  ClassMixChart,
  ConfidenceChart,
  ConfidenceHistogram,
  DriftLinesChart,
  LatencyChart,
  ThroughputChart,
} from '../components/metric-charts';
import { Async, Empty } from '../components/states';
import { Card, Stat } from '../components/widgets';
import { formatNumber, formatPercent } from '../format';
import { stepOf } from '../steps';
import { Controls, type Params, paramsOf, RANGES, usePickedVersion } from './monitoring-controls';

/** Reports whose window ends a little ahead of this browser's clock (device clocks drift) still count. */
const CLOCK_SKEW_MS = 60_000;
function Summary({ points }: { points: TimeseriesPoint[] }) {
  const inferences = points.reduce((n, p) => n + p.inferences, 0);
  const errors = points.reduce((n, p) => n + p.errors, 0);
  const reports = points.reduce((n, p) => n + p.reports, 0);
  const maxPsi = Math.max(0, ...points.map((p) => p.drift?.maxPsi ?? 0));
  const lastP95 = [...points].reverse().find((p) => p.latencyMs?.p95 != null)?.latencyMs?.p95 ?? null;
  return (
    <div class="stats small-stats">
      <Stat label="Reports" value={formatNumber(reports)} />
      <Stat label="Inferences" value={formatNumber(inferences)} />
      <Stat
        label="Error rate"
        value={formatPercent(inferences ? errors / inferences : null, 2)}
        tone={inferences && errors / inferences > 0.01 ? 'bad' : undefined}
      />
      <Stat label="Latest p95" value={lastP95 === null ? '—' : `${formatNumber(lastP95)} ms`} />
      <Stat
        label="Max PSI"
        value={formatNumber(maxPsi)}
        tone={maxPsi >= 0.25 ? 'bad' : maxPsi >= 0.1 ? 'warn' : 'ok'}
      />
    </div>
  );
}

/** The charts of one version over the range; the baseline profile gives the dashed reference lines. */
function VersionColumn({
  model,
  version,
  p,
  metric,
  title,
  wide,
}: {
  model: string;
  version: string;
  p: Params;
  metric: DriftMetric;
  title: string;
  wide: boolean;
}) {
  const rangeMs = RANGES.find(([k]) => k === p.range)?.[1] ?? 3_600_000;
  const data = useLive(
    async () => {
      const to = Date.now() + CLOCK_SKEW_MS;
      const slice = { role: p.role, ...(p.selector ? { selector: p.selector } : {}) };
      const [series, spec, baseline, merged] = await Promise.all([
        api.timeseries(model, version, {
          from: to - rangeMs,
          to,
          stepMs: stepOf(rangeMs),
          ...slice,
        }),
        api.spec(model, version).catch(() => null),
        api.baseline(model, version).catch(() => null),
        api.metrics(model, version, { from: to - rangeMs, to, ...slice }).catch(() => null),
      ]);
      const current = spec ? outputShares(spec, merged?.profile ?? null) : null;
      const reference = spec && baseline ? outputShares(spec, baseline) : null;
      return {
        points: series.points,
        histogram: current
          ? { bins: current.bins, current: current.shares, baseline: reference?.shares ?? null }
          : null,
        classMix: baseline ? baselineClassMix(baseline) : null,
        confidence: spec && baseline ? baselineConfidenceMean(spec, baseline) : null,
      };
    },
    [model, version, rangeMs, p.selector, p.role],
    ['telemetry'],
  );
  return (
    <div class="column" data-testid={`monitor-${version}`}>
      <h2 class="column-title">
        {title}{' '}
        <span class="mono">
          {model}@{version}
        </span>
      </h2>
      <Async resource={data} what={`Loading ${version}`}>
        {(d) =>
          d.points.every((pt) => pt.reports === 0) ? (
            <Empty>
              No reports for {model}@{version} in the last {p.range}
              {p.selector ? ` from devices matching ${p.selector}` : ''}.
            </Empty>
          ) : (
            <>
              <Summary points={d.points} />
              <div class={wide ? 'grid two' : ''}>
                <LatencyChart points={d.points} />
                <ThroughputChart points={d.points} />
              </div>
              <Card title={`Drift heat map (${metric.toUpperCase()}) per feature`}>
                <DriftHeatmap points={d.points} metric={metric} />
              </Card>
              <div class={wide ? 'grid two' : ''}>
                <DriftLinesChart points={d.points} />
                <ClassMixChart points={d.points} baseline={d.classMix} />
                <ConfidenceChart points={d.points} baselineMean={d.confidence} />
                {d.histogram && <ConfidenceHistogram {...d.histogram} />}
              </div>
            </>
          )
        }
      </Async>
    </div>
  );
}

/** One version, or two side by side (`compare`). */
function Columns({
  model,
  version,
  p,
  metric,
}: {
  model: string;
  version: string;
  p: Params;
  metric: DriftMetric;
}) {
  const comparing = p.compare !== '' && p.compare !== version;
  if (!comparing)
    return <VersionColumn model={model} version={version} p={p} metric={metric} title="" wide />;
  return (
    <div class="grid two compare">
      <VersionColumn model={model} version={version} p={p} metric={metric} title="Version" wide={false} />
      <VersionColumn
        model={model}
        version={p.compare}
        p={p}
        metric={metric}
        title="Compared with"
        wide={false}
      />
    </div>
  );
}

/** Monitoring: a version's latency, throughput, errors, drift heat map, class mix and confidence over time; optionally beside another version. */
export function MonitoringPage({ query }: { query: URLSearchParams }) {
  const p = paramsOf(query);
  const [metric, setMetric] = useState<DriftMetric>('psi');
  const fallback = usePickedVersion(p.model, p.version);
  return (
    <div class="page" data-testid="page-monitoring">
      <div class="page-head">
        <h1>Monitoring</h1>
        <fieldset class="segmented" aria-label="drift metric">
          {(['psi', 'js'] as const).map((m) => (
            <button type="button" key={m} class={metric === m ? 'active' : ''} onClick={() => setMetric(m)}>
              {m.toUpperCase()}
            </button>
          ))}
        </fieldset>
      </div>
      <Controls p={p} />
      <Async resource={fallback} what="Loading models">
        {(picked) =>
          picked === null ? (
            <Empty>No model versions registered yet.</Empty>
          ) : (
            <Columns model={picked.model} version={picked.version} p={p} metric={metric} />
          )
        }
      </Async>
    </div>
  );
}
