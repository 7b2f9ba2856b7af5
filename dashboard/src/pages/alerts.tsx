import type { Alert, AlertStatus } from '@edgefleet/shared/api';
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { Async, Empty } from '../components/states';
import { Card, Pill, type Tone } from '../components/widgets';
import { formatAgo, formatTime } from '../format';
import { href } from '../router';

const KIND_TEXT: Record<string, string> = {
  gate_breach: 'gate breach',
  apply_failed: 'apply failed',
  device_silent: 'device silent',
  drift: 'drift',
  quality: 'quality',
  change: 'slow change',
  storage: 'server storage',
};

/** The test behind a statistical alert and its stated false-alarm rate, where the alert carries them. */
export function alertTestText(details: Alert['details']): string | null {
  if (!('test' in details)) return null;
  if (details.test === 'cusum') {
    const streams = details.streams.map((s) => s.stream).join(', ');
    return (
      `CUSUM over hourly windows (k ${details.k}, h ${details.h.toFixed(1)}) on ${streams}; ` +
      `false alerts ≤ ${details.falseAlarmsPerDay} per day for this version (Bonferroni over ${details.streamsTested} streams)`
    );
  }
  if (
    (details.test === 'psi_lower_bound' || details.test === 'lower_bound') &&
    details.confidence !== undefined
  ) {
    const pct = (x: number) => `${Math.round(x * 10_000) / 100} %`;
    const bounds = (details.bounds ?? [])
      .map((b) => `${b.test} in [${fmt(b.lower)}, ${fmt(b.upper)}] vs ${fmt(b.threshold)}`)
      .join('; ');
    return (
      `lower bound past the threshold, ${pct(details.confidence)} family-wise over ${details.tests} tests ` +
      `(false alerts ≤ ${pct(1 - details.confidence)} per evaluation)${bounds ? `: ${bounds}` : ''}`
    );
  }
  return null;
}

const fmt = (x: number | null | undefined) =>
  x === null || x === undefined ? '∞' : Math.abs(x) >= 10 ? x.toFixed(0) : x.toPrecision(3);

/** The subject as links where it names a device, rollout or version. */
function Subject({ subject }: { subject: Alert['subject'] }) {
  if (typeof subject === 'string') return <span class="mono">{subject}</span>;
  const s = subject as Record<string, string | undefined>;
  if (s.deviceId)
    return (
      <a class="mono" href={href('devices', s.deviceId)}>
        {s.deviceId}
      </a>
    );
  if (s.rolloutId)
    return (
      <a class="mono" href={href('rollouts', s.rolloutId)}>
        {s.rolloutId}
      </a>
    );
  if (s.model && s.version)
    return (
      <a class="mono" href={href('monitoring', { model: s.model, version: s.version })}>
        {s.model}@{s.version}
      </a>
    );
  return (
    <span class="mono">
      {Object.entries(subject)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')}
    </span>
  );
}

const severityTone = (severity: string): Tone =>
  severity === 'critical' || severity === 'error' || severity === 'alert'
    ? 'bad'
    : severity === 'warning' || severity === 'warn'
      ? 'warn'
      : 'info';

function AckButton({ alert, onDone }: { alert: Alert; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const ack = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.ackAlert(alert.id);
      onDone();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="btn small info" disabled={busy} onClick={ack} data-action="ack">
        {busy ? 'Acknowledging…' : 'Acknowledge'}
      </button>
      {error && <div class="form-error small">{error}</div>}
    </>
  );
}

function AlertRow({ alert, onChanged }: { alert: Alert; onChanged: () => void }) {
  const state =
    alert.status ?? (alert.resolvedAt ? 'resolved' : alert.acknowledgedAt ? 'acknowledged' : 'open');
  return (
    <tr data-alert={String(alert.id)} data-state={state}>
      <td>
        <Pill tone={severityTone(alert.severity)}>{alert.severity}</Pill>
      </td>
      <td>{KIND_TEXT[alert.kind] ?? alert.kind}</td>
      <td>
        <Subject subject={alert.subject} />
      </td>
      <td>
        {alert.message}
        {alert.count > 1 && <span class="muted small"> ×{alert.count}</span>}
        {alertTestText(alert.details) && (
          <div class="muted small" data-testid="alert-test">
            {alertTestText(alert.details)}
          </div>
        )}
      </td>
      <td title={formatTime(alert.firstSeenAt)}>
        {formatAgo(alert.lastSeenAt)}
        <div class="muted small">since {formatTime(alert.firstSeenAt)}</div>
      </td>
      <td>
        {state === 'open' ? (
          <AckButton alert={alert} onDone={onChanged} />
        ) : state === 'acknowledged' ? (
          <span class="muted small">
            acknowledged by {alert.acknowledgedBy ?? '?'} {formatAgo(alert.acknowledgedAt)}
          </span>
        ) : (
          <span class="muted small">resolved {formatAgo(alert.resolvedAt)}</span>
        )}
      </td>
    </tr>
  );
}

/** Alerts: gate breaches, failed applies, silent devices, drift; acknowledge the open ones. */
export function AlertsPage() {
  const [status, setStatus] = useState<AlertStatus | 'all'>('open');
  const alerts = useLive(() => api.alerts(status), [status], ['alert']);
  return (
    <div class="page" data-testid="page-alerts">
      <h1>Alerts</h1>
      <Card
        title="Alerts"
        actions={
          <fieldset class="segmented" aria-label="alert status">
            {(['open', 'acknowledged', 'resolved', 'all'] as const).map((s) => (
              <button type="button" key={s} class={status === s ? 'active' : ''} onClick={() => setStatus(s)}>
                {s}
              </button>
            ))}
          </fieldset>
        }
      >
        <Async resource={alerts} what="Loading alerts">
          {({ alerts: list }) =>
            list.length === 0 ? (
              <Empty>
                {status === 'open'
                  ? 'No open alerts. All quiet.'
                  : `No ${status === 'all' ? '' : `${status} `}alerts.`}
              </Empty>
            ) : (
              <table class="table" data-testid="alerts-table">
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Kind</th>
                    <th>Subject</th>
                    <th>Message</th>
                    <th>Last seen</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {list.map((a) => (
                    <AlertRow key={a.id} alert={a} onChanged={alerts.reload} />
                  ))}
                </tbody>
              </table>
            )
          }
        </Async>
      </Card>
    </div>
  );
}
