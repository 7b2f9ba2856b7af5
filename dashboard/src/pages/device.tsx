import type { Device, DeviceReport } from '@edgefleet/shared/api';
import { deployErrorsOf, runningModelsOf, versionLabel } from '@edgefleet/shared/api/client';
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { DriftHeatmap } from '../components/heatmap';
import { DriftLinesChart, LatencyChart } from '../components/metric-charts';
import { Async, Empty } from '../components/states';
import { Card, Facts, Pill } from '../components/widgets';
import { formatAgo, formatNumber, formatTime } from '../format';
import { href } from '../router';
import { deviceState } from './fleet';

/** Reports whose window ends a little ahead of this browser's clock (device clocks drift) still count. */
const CLOCK_SKEW_MS = 60_000;
const HOUR = 3_600_000;
const RANGES = [
  { label: '1h', ms: HOUR, stepMs: 60_000 },
  { label: '6h', ms: 6 * HOUR, stepMs: 5 * 60_000 },
  { label: '24h', ms: 24 * HOUR, stepMs: 20 * 60_000 },
  { label: '7d', ms: 7 * 24 * HOUR, stepMs: 3 * HOUR },
];

function latencyText(latency: DeviceReport['latencyMs']): string {
  if (latency === null || latency === undefined) return '—';
  if (typeof latency === 'number') return `${formatNumber(latency)} ms`;
  return `${formatNumber(latency.p50)} / ${formatNumber(latency.p95)} / ${formatNumber(latency.p99)}`;
}

function ReportsTable({ reports }: { reports: DeviceReport[] }) {
  if (reports.length === 0) return <Empty>No telemetry reports from this device yet.</Empty>;
  return (
    <table class="table" data-testid="device-reports">
      <thead>
        <tr>
          <th>Window</th>
          <th>Model</th>
          <th>Role</th>
          <th class="num">Inferences</th>
          <th class="num">Errors</th>
          <th>Latency p50/p95/p99 (ms)</th>
          <th>Received</th>
        </tr>
      </thead>
      <tbody>
        {reports.map((r) => (
          <tr key={r.id}>
            <td>{formatTime(r.windowStartMs)}</td>
            <td class="mono">
              {r.modelName}@{r.modelVersion}
            </td>
            <td>{r.role}</td>
            <td class="num">{formatNumber(r.inferences)}</td>
            <td class={`num ${r.errors > 0 ? 'bad-text' : ''}`}>{formatNumber(r.errors)}</td>
            <td>{latencyText(r.latencyMs)}</td>
            <td>{formatAgo(r.receivedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DeviceCharts({ device, reports }: { device: Device; reports: DeviceReport[] }) {
  const seen = new Set<string>();
  const active = versionLabel(runningModelsOf(device.reportedState)?.active);
  if (active) seen.add(active);
  for (const r of reports) seen.add(`${r.modelName}@${r.modelVersion}`);
  const versions = [...seen];
  const [picked, setPicked] = useState<string | null>(null);
  // The smallest range that holds the reports listed below.
  const oldest = Math.min(Date.now(), ...reports.map((r) => r.windowStartMs));
  const [range, setRange] = useState(
    () => RANGES.find((r) => Date.now() - oldest <= r.ms) ?? RANGES[RANGES.length - 1]!,
  );
  const current = picked && seen.has(picked) ? picked : (versions[0] ?? null);
  const [name = '', version = ''] = current ? current.split('@') : [];
  const series = useLive(
    async () => {
      if (!current) return { points: [] };
      const to = Date.now() + CLOCK_SKEW_MS;
      return api.timeseries(name, version, {
        from: to - range.ms,
        to,
        stepMs: range.stepMs,
        device: device.id,
      });
    },
    [current, device.id, range],
    ['telemetry'],
  );
  if (!current) return <Empty>This device has not run a model yet.</Empty>;
  return (
    <Card
      title={`Latency and drift, last ${range.label}`}
      actions={
        <>
          <select
            value={current}
            aria-label="model version"
            onChange={(e) => setPicked((e.target as HTMLSelectElement).value)}
          >
            {versions.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
          <select
            value={range.label}
            aria-label="time range"
            onChange={(e) =>
              setRange(RANGES.find((r) => r.label === (e.target as HTMLSelectElement).value) ?? range)
            }
          >
            {RANGES.map((r) => (
              <option key={r.label}>{r.label}</option>
            ))}
          </select>
        </>
      }
    >
      <Async resource={series} what="Loading the device's telemetry">
        {(s) =>
          s.points.every((p) => p.reports === 0) ? (
            <Empty>
              No reports for {current} in the last {range.label}.
            </Empty>
          ) : (
            <>
              <div class="grid two">
                <LatencyChart points={s.points} testId="device-latency" />
                <DriftLinesChart points={s.points} testId="device-drift" />
              </div>
              <DriftHeatmap points={s.points} metric="psi" />
            </>
          )
        }
      </Async>
    </Card>
  );
}

function DeviceView({ device, reports }: { device: Device; reports: DeviceReport[] }) {
  const state = deviceState(device);
  const reported = device.reportedState;
  const running = runningModelsOf(reported);
  const ref = (r: { name: string; version: string } | null | undefined) =>
    r ? `${r.name}@${r.version}` : '—';
  const errors = deployErrorsOf(reported);
  return (
    <>
      <div class="grid two">
        <Card title="Reported state" testId="device-state">
          <Facts
            rows={[
              ['State', <Pill tone={state.tone}>{state.text}</Pill>],
              ['Name', device.name ?? '—'],
              [
                'Labels',
                Object.keys(device.labels).length === 0
                  ? '—'
                  : Object.entries(device.labels).map(([k, v]) => (
                      <span class="tag" key={k}>
                        {k}={v}
                      </span>
                    )),
              ],
              ['Active model', <span class="mono">{ref(running?.active)}</span>],
              ['Shadow model', <span class="mono">{ref(running?.shadow)}</span>],
              ['Standby model', <span class="mono">{ref(running?.standby)}</span>],
              ['Applied / desired rev', `${device.appliedRev} / ${device.desiredRev}`],
              ['Agent', reported?.agentVersion ?? '—'],
              [
                'Platform',
                [
                  reported?.capabilities?.platform,
                  reported?.capabilities?.arch,
                  reported?.capabilities?.backends?.join(', '),
                ]
                  .filter(Boolean)
                  .join(' · ') || '—',
              ],
              ['Last seen', `${formatAgo(device.lastSeenAt)} (${formatTime(device.lastSeenAt)})`],
              ['Connected', formatTime(device.connectedAt)],
              ['Epoch', device.epoch],
              [
                'Clock offset',
                device.clockOffsetMs === null
                  ? '—'
                  : `${device.clockOffsetMs >= 0 ? '+' : ''}${(device.clockOffsetMs / 1000).toFixed(1)} s${Math.abs(device.clockOffsetMs) >= 60_000 ? ' (telemetry windows are corrected by it)' : ''}`,
              ],
            ]}
          />
        </Card>
        <Card title={`Errors (${errors.length})`} testId="device-errors">
          {errors.length === 0 ? (
            <Empty>No deploy or serving errors reported.</Empty>
          ) : (
            <ul class="errors">
              {errors.map((e) => (
                <li key={`${e.at}-${e.step}`}>
                  <Pill tone="bad">{e.step}</Pill> <span class="mono">{versionLabel(e.model) ?? ''}</span>{' '}
                  {e.message}
                  <div class="muted small">
                    {formatTime(e.at)}
                    {e.rev !== undefined ? ` · rev ${e.rev}` : ''}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
      <DeviceCharts device={device} reports={reports} />
      <Card title="Last reports">
        <ReportsTable reports={reports} />
      </Card>
    </>
  );
}

/** One device: reported state, errors, last reports, latency and drift over time. */
export function DevicePage({ id }: { id: string }) {
  const data = useLive(
    async () => {
      const [device, reports] = await Promise.all([api.device(id), api.deviceReports(id, 20)]);
      return { device, reports: reports.reports };
    },
    [id],
    ['device', 'telemetry'],
  );
  return (
    <div class="page" data-testid="page-device">
      <p class="crumbs">
        <a href={href('fleet')}>Fleet</a> / <span class="mono">{id}</span>
      </p>
      <h1>{id}</h1>
      <Async resource={data} what="Loading the device">
        {(d) => <DeviceView device={d.device} reports={d.reports} />}
      </Async>
    </div>
  );
}
