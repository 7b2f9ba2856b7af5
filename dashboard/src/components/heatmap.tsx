import type { TimeseriesPoint } from '@edgefleet/shared/api';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { formatNumber, formatTime } from '../format';

export type DriftMetric = 'psi' | 'js';

/** Warn / alert levels per metric (the shared defaults: PSI 0.1 / 0.25, JS 0.1 / 0.2). */
export const DRIFT_LEVELS: Record<DriftMetric, [number, number]> = { psi: [0.1, 0.25], js: [0.1, 0.2] };

/** Cell colour: green below warn, amber to alert, red above; lightness by how far into the band. */
export function driftColor(value: number | null | undefined, metric: DriftMetric): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return 'var(--cell-empty)';
  const [warn, alert] = DRIFT_LEVELS[metric];
  if (value < warn) return `hsl(145 55% ${92 - (value / warn) * 22}%)`;
  if (value < alert) return `hsl(40 90% ${78 - ((value - warn) / (alert - warn)) * 20}%)`;
  return `hsl(4 75% ${Math.max(42, 62 - Math.min(1, (value - alert) / alert) * 20)}%)`;
}

/** Row keys: input features by name, numeric outputs prefixed, and the class mix. */
const OUTPUT_ROW = '\u0000classes';
const OUTPUT_PREFIX = '\u0000out:';

/** Drift per input feature and the output over time: a coloured grid, one row per feature, one column per step. */
export function DriftHeatmap({ points, metric }: { points: TimeseriesPoint[]; metric: DriftMetric }) {
  const features = new Set<string>();
  const outputs = new Set<string>();
  let hasOutput = false;
  for (const p of points) {
    for (const name of Object.keys(p.drift?.inputs ?? {})) features.add(name);
    for (const name of Object.keys(p.drift?.outputs ?? {})) outputs.add(name);
    if (p.drift?.output) hasOutput = true;
  }
  const rows = [
    ...[...features].sort(),
    ...[...outputs].sort().map((name) => `${OUTPUT_PREFIX}${name}`),
    ...(hasOutput ? [OUTPUT_ROW] : []),
  ];
  const scroller = useRef<HTMLDivElement>(null);
  // The newest steps matter most: start scrolled to the right end.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el) el.scrollLeft = el.scrollWidth;
  });
  if (rows.length === 0)
    return <div class="state empty">No drift data in this range (no reports, or no baseline).</div>;
  const cell = (p: TimeseriesPoint, row: string) => {
    if (row === OUTPUT_ROW) return p.drift?.output?.[metric];
    if (row.startsWith(OUTPUT_PREFIX)) return p.drift?.outputs?.[row.slice(OUTPUT_PREFIX.length)]?.[metric];
    return p.drift?.inputs[row]?.[metric];
  };
  const [warn, alert] = DRIFT_LEVELS[metric];
  return (
    <div class="heatmap" data-testid={`heatmap-${metric}`}>
      <div class="heatmap-scroll" ref={scroller}>
        <table>
          <thead>
            <tr>
              <th />
              {points.map((p, i) => (
                <th key={p.t} class="heat-time">
                  {i % Math.max(1, Math.ceil(points.length / 8)) === 0 ? formatTime(p.t).slice(11, 16) : ''}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row}>
                <th scope="row" class={row.startsWith('\u0000') ? 'heat-output' : ''}>
                  {row === OUTPUT_ROW
                    ? 'output: class mix'
                    : row.startsWith(OUTPUT_PREFIX)
                      ? `output: ${row.slice(OUTPUT_PREFIX.length)}`
                      : row}
                </th>
                {points.map((p) => {
                  const value = cell(p, row);
                  return (
                    <td
                      key={p.t}
                      class="heat-cell"
                      style={{ background: driftColor(value, metric) }}
                      title={`${row} @ ${formatTime(p.t)}: ${metric.toUpperCase()} ${formatNumber(value ?? null)}`}
                      data-value={value ?? ''}
                    />
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="heat-legend">
        <span class="swatch" style={{ background: driftColor(0, metric) }} /> &lt; {warn}
        <span class="swatch" style={{ background: driftColor((warn + alert) / 2, metric) }} /> {warn}–{alert}{' '}
        warn
        <span class="swatch" style={{ background: driftColor(alert * 1.5, metric) }} /> ≥ {alert} alert
        <span class="swatch" style={{ background: 'var(--cell-empty)' }} /> no data
      </div>
    </div>
  );
}
