import type { Device, FleetOverview } from '@edgefleet/shared/api';
import { deployErrorsOf, runningModelsOf, versionLabel } from '@edgefleet/shared/api/client';
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { Async, Empty } from '../components/states';
import { Card, Pill, ProgressBar, Stat } from '../components/widgets';
import { formatAgo } from '../format';
import { href, navigate } from '../router';

/** What a device runs as `name@version` (active role), or null. */
export function runningOf(device: Device): string | null {
  return versionLabel(runningModelsOf(device.reportedState)?.active);
}

export function deviceState(device: Device): { tone: 'ok' | 'warn' | 'bad' | 'muted'; text: string } {
  if (device.disabled) return { tone: 'muted', text: 'disabled' };
  if (deployErrorsOf(device.reportedState).length > 0) return { tone: 'bad', text: 'failing' };
  return device.online ? { tone: 'ok', text: 'online' } : { tone: 'warn', text: 'offline' };
}

function CountTable({
  title,
  counts,
  total,
  testId,
}: {
  title: string;
  counts: Record<string, number>;
  total: number;
  testId: string;
}) {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return (
    <div class="count-table" data-testid={testId}>
      <h3>{title}</h3>
      {rows.length === 0 ? (
        <p class="muted">none</p>
      ) : (
        rows.map(([key, n]) => (
          <div class="count-row" key={key}>
            <span class="count-key">{key}</span>
            <ProgressBar share={total > 0 ? n / total : 0} />
            <span class="count-n">{n}</span>
          </div>
        ))
      )}
    </div>
  );
}

function Overview({ overview }: { overview: FleetOverview }) {
  const d = overview.devices;
  return (
    <>
      <div class="stats">
        <Stat label="Devices" value={d.total} />
        <Stat label="Online" value={d.online} tone="ok" />
        <Stat label="Offline" value={d.offline} tone={d.offline > 0 ? 'warn' : undefined} />
        <Stat label="Failing" value={d.failing} tone={d.failing > 0 ? 'bad' : undefined} />
        <Stat label="Disabled" value={d.disabled} />
        <Stat
          label="Active rollouts"
          value={overview.rollouts.active}
          tone={overview.rollouts.active > 0 ? 'info' : undefined}
        />
      </div>
      <div class="grid two">
        <Card title="Running versions">
          <CountTable title="" counts={overview.byVersion} total={d.total} testId="by-version" />
        </Card>
        <Card title="Labels">
          <div class="label-groups" data-testid="by-label">
            {Object.keys(overview.byLabel).length === 0 && <p class="muted">No labels yet.</p>}
            {Object.entries(overview.byLabel).map(([key, values]) => (
              <CountTable key={key} title={key} counts={values} total={d.total} testId={`label-${key}`} />
            ))}
          </div>
        </Card>
      </div>
    </>
  );
}

function DeviceTable({ devices, search }: { devices: Device[]; search: string }) {
  const needle = search.trim().toLowerCase();
  const shown = needle
    ? devices.filter((d) =>
        [d.id, d.name ?? '', runningOf(d) ?? '', ...Object.entries(d.labels).map(([k, v]) => `${k}=${v}`)]
          .join(' ')
          .toLowerCase()
          .includes(needle),
      )
    : devices;
  if (shown.length === 0) return <Empty>No device matches.</Empty>;
  return (
    <table class="table" data-testid="device-table">
      <thead>
        <tr>
          <th>Device</th>
          <th>State</th>
          <th>Labels</th>
          <th>Running</th>
          <th>Rev</th>
          <th>Last seen</th>
        </tr>
      </thead>
      <tbody>
        {shown.map((d) => {
          const state = deviceState(d);
          return (
            <tr key={d.id} class="clickable" onClick={() => navigate(href('devices', d.id))}>
              <td>
                <a href={href('devices', d.id)}>{d.id}</a>
                {d.name && <div class="muted small">{d.name}</div>}
              </td>
              <td>
                <Pill tone={state.tone}>{state.text}</Pill>
              </td>
              <td>
                {Object.entries(d.labels).map(([k, v]) => (
                  <span class="tag" key={k}>
                    {k}={v}
                  </span>
                ))}
              </td>
              <td class="mono">{runningOf(d) ?? '—'}</td>
              <td class={d.appliedRev < d.desiredRev ? 'warn-text' : ''}>
                {d.appliedRev}/{d.desiredRev}
              </td>
              <td>{formatAgo(d.lastSeenAt)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Fleet: counts by state, version and label; a searchable, filterable device list. */
export function FleetPage({ query }: { query: URLSearchParams }) {
  const [selector, setSelector] = useState(query.get('selector') ?? '');
  const [applied, setApplied] = useState(selector);
  const [online, setOnline] = useState<'' | 'true' | 'false'>('');
  const [search, setSearch] = useState('');
  const overview = useLive(() => api.overview(), [], ['device', 'rollout']);
  const devices = useLive(
    () => api.devices({ selector: applied, limit: 1000, ...(online ? { online } : {}) }),
    [applied, online],
    ['device', 'rollout'],
  );
  return (
    <div class="page" data-testid="page-fleet">
      <h1>Fleet</h1>
      <Async resource={overview} what="Loading the fleet overview">
        {(o) => <Overview overview={o} />}
      </Async>
      <Card
        title={`Devices${devices.data ? ` (${devices.data.total})` : ''}`}
        actions={
          <form
            class="filters"
            onSubmit={(e) => {
              e.preventDefault();
              setApplied(selector);
            }}
          >
            <input
              type="search"
              placeholder="search id, name, label, version"
              value={search}
              aria-label="search devices"
              onInput={(e) => setSearch((e.target as HTMLInputElement).value)}
            />
            <input
              name="selector"
              placeholder="selector: site=plant-a,line in (1,2)"
              value={selector}
              aria-label="label selector"
              onInput={(e) => setSelector((e.target as HTMLInputElement).value)}
            />
            <select
              aria-label="online filter"
              value={online}
              onChange={(e) => setOnline((e.target as HTMLSelectElement).value as '' | 'true' | 'false')}
            >
              <option value="">any state</option>
              <option value="true">online</option>
              <option value="false">offline</option>
            </select>
            <button type="submit" class="btn muted small">
              Filter
            </button>
          </form>
        }
      >
        <Async resource={devices} what="Loading devices">
          {(d) =>
            d.devices.length === 0 ? (
              <Empty>
                No devices
                {applied
                  ? ` match ${applied}`
                  : ' enrolled yet: create an enrollment token and run the agent'}
                .
              </Empty>
            ) : (
              <DeviceTable devices={d.devices} search={search} />
            )
          }
        </Async>
      </Card>
    </div>
  );
}
