import type { TimeseriesPoint } from '@edgefleet/shared/api';
import { Chart } from './chart';

export const COLORS = {
  p50: '#3b82f6',
  p95: '#f59e0b',
  p99: '#ef4444',
  inferences: '#6366f1',
  errorRate: '#dc2626',
  confidence: '#0ea5e9',
  baseline: '#94a3b8',
};

const PALETTE = ['#6366f1', '#14b8a6', '#f59e0b', '#ec4899', '#84cc16', '#0ea5e9', '#a855f7', '#f97316'];
export const paletteColor = (i: number) => PALETTE[i % PALETTE.length]!;

const times = (points: TimeseriesPoint[]) => points.map((p) => p.t);

export function LatencyChart({
  points,
  title = 'Latency (ms)',
  testId,
}: {
  points: TimeseriesPoint[];
  title?: string;
  testId?: string;
}) {
  return (
    <Chart
      title={title}
      testId={testId ?? 'chart-latency'}
      x={times(points)}
      yLabel="ms"
      series={[
        { label: 'p50', color: COLORS.p50, values: points.map((p) => p.latencyMs?.p50 ?? null) },
        { label: 'p95', color: COLORS.p95, values: points.map((p) => p.latencyMs?.p95 ?? null) },
        { label: 'p99', color: COLORS.p99, values: points.map((p) => p.latencyMs?.p99 ?? null) },
      ]}
    />
  );
}

export function ThroughputChart({
  points,
  title = 'Inferences and error rate',
  testId,
}: {
  points: TimeseriesPoint[];
  title?: string;
  testId?: string;
}) {
  return (
    <Chart
      title={title}
      testId={testId ?? 'chart-throughput'}
      x={times(points)}
      yLabel="inferences"
      y2Label="error rate %"
      series={[
        {
          label: 'inferences',
          color: COLORS.inferences,
          fill: 'rgba(99,102,241,0.12)',
          values: points.map((p) => (p.reports > 0 ? p.inferences : null)),
        },
        {
          label: 'error rate %',
          color: COLORS.errorRate,
          scale: 'y2',
          values: points.map((p) => (p.errorRate === null ? null : p.errorRate * 100)),
        },
      ]}
    />
  );
}

/** PSI of every input feature and the output over time (line per feature), beside the heat map. */
export function DriftLinesChart({ points, testId }: { points: TimeseriesPoint[]; testId?: string }) {
  const names = [...new Set(points.flatMap((p) => Object.keys(p.drift?.inputs ?? {})))].sort();
  return (
    <Chart
      title="Max drift (PSI / JS)"
      testId={testId ?? 'chart-drift'}
      x={times(points)}
      yLabel="distance"
      series={[
        { label: 'max PSI', color: '#ef4444', values: points.map((p) => p.drift?.maxPsi ?? null) },
        { label: 'max JS', color: '#8b5cf6', values: points.map((p) => p.drift?.maxJs ?? null) },
        ...names.slice(0, 6).map((name, i) => ({
          label: `PSI ${name}`,
          color: paletteColor(i + 1),
          dash: [4, 3],
          values: points.map((p) => p.drift?.inputs[name]?.psi ?? null),
        })),
      ]}
    />
  );
}

export function ClassMixChart({
  points,
  baseline,
  testId,
}: {
  points: TimeseriesPoint[];
  baseline: Record<string, number> | null;
  testId?: string;
}) {
  const labels = [
    ...new Set([...points.flatMap((p) => Object.keys(p.classMix ?? {})), ...Object.keys(baseline ?? {})]),
  ].sort();
  return (
    <Chart
      title="Class mix (share) — dashed: baseline"
      testId={testId ?? 'chart-classmix'}
      x={times(points)}
      yLabel="share %"
      yRange={[0, 100]}
      series={labels.flatMap((label, i) => [
        {
          label,
          color: paletteColor(i),
          values: points.map((p) => (p.classMix ? (p.classMix[label] ?? 0) * 100 : null)),
        },
        ...(baseline && baseline[label] !== undefined
          ? [
              {
                label: `${label} (baseline)`,
                color: paletteColor(i),
                dash: [6, 4],
                values: points.map(() => (baseline[label] ?? 0) * 100),
              },
            ]
          : []),
      ])}
    />
  );
}

export function ConfidenceChart({
  points,
  baselineMean,
  testId,
}: {
  points: TimeseriesPoint[];
  baselineMean: number | null;
  testId?: string;
}) {
  return (
    <Chart
      title="Confidence — dashed: baseline mean"
      testId={testId ?? 'chart-confidence'}
      x={times(points)}
      yLabel="confidence"
      series={[
        { label: 'mean', color: COLORS.confidence, values: points.map((p) => p.confidence?.mean ?? null) },
        { label: 'p50', color: '#14b8a6', values: points.map((p) => p.confidence?.p50 ?? null) },
        ...(baselineMean !== null
          ? [
              {
                label: 'baseline mean',
                color: COLORS.baseline,
                dash: [6, 4],
                values: points.map(() => baselineMean),
              },
            ]
          : []),
      ]}
    />
  );
}

/** The current confidence histogram (bars) against the baseline's (line), as shares of each. */
export function ConfidenceHistogram({
  bins,
  current,
  baseline,
  testId,
}: {
  bins: string[];
  current: number[];
  baseline: number[] | null;
  testId?: string;
}) {
  return (
    <Chart
      title="Confidence histogram — bars: this range, line: baseline"
      testId={testId ?? 'chart-confidence-histogram'}
      time={false}
      height={200}
      x={bins.map((_, i) => i)}
      xTicks={bins}
      yLabel="share %"
      series={[
        {
          label: 'current',
          color: COLORS.confidence,
          fill: 'rgba(14,165,233,0.45)',
          bars: true,
          values: current.map((v) => v * 100),
        },
        ...(baseline
          ? [{ label: 'baseline', color: '#475569', dash: [6, 4], values: baseline.map((v) => v * 100) }]
          : []),
      ]}
    />
  );
}
