import type { GateValueView as GateValue, RolloutDetail } from '@edgefleet/shared/api';
import { Empty } from '../components/states';
import { Pill, ProgressBar, type Tone } from '../components/widgets';
import { formatDuration, formatNumber, formatTime } from '../format';
import { href } from '../router';

// The parts of the rollout page that show its state: stages, gates, targets, audit log.

/** Green when a gate passes with room, amber while waiting for data or within 20 % of its threshold, red on breach. */
export function gateTone(g: GateValue): Tone {
  if (g.status === 'breach') return 'bad';
  if (g.status === 'wait' || g.value === null) return 'warn';
  const near = g.bound === 'max' ? g.value > g.threshold * 0.8 : g.value < g.threshold * 1.2;
  return near && g.threshold !== 0 ? 'warn' : 'ok';
}

const FINAL = ['rolled_back', 'aborted'];

const TARGET_STATES: [keyof RolloutDetail['targets']['byState'], string, Tone | 'base'][] = [
  ['on_candidate', 'on candidate', 'ok'],
  ['switching', 'switching', 'info'],
  ['on_baseline', 'on baseline', 'base'],
  ['failed', 'failed', 'bad'],
  ['untouched', 'untouched', 'muted'],
];

export function Stages({ r }: { r: RolloutDetail }) {
  return (
    <div class="stages" data-testid="stages">
      {r.stages.map((s) => {
        let share = 0;
        let label = 'pending';
        if (s.state === 'done') {
          share = 1;
          label = 'done';
        } else if (s.state === 'current' && r.stage) {
          share = s.minDurationMs > 0 ? Math.min(1, r.stage.elapsedMs / s.minDurationMs) : 1;
          label =
            s.minDurationMs > 0
              ? `${formatDuration(r.stage.elapsedMs)} of ${formatDuration(s.minDurationMs)}`
              : 'until gates pass';
          if (r.status === 'paused') label += ' · paused';
        }
        if (s.state === 'current' && FINAL.includes(r.status)) {
          share = 1;
          label = `stopped: ${r.status.replace('_', ' ')}`;
        }
        const tone: Tone =
          s.state === 'done'
            ? 'ok'
            : r.status === 'rolled_back' || r.status === 'aborted'
              ? 'bad'
              : r.status === 'paused'
                ? 'warn'
                : 'info';
        return (
          <div class={`stage ${s.state}`} key={s.index} data-state={s.state}>
            <div class="stage-head">
              <strong>
                Stage {s.index + 1}: {s.percent}%
              </strong>
              <span class="muted small">
                {s.minDurationMs > 0 ? `≥ ${formatDuration(s.minDurationMs)}` : 'no minimum time'} · ≥{' '}
                {s.minReportingTargets} targets · ≥ {formatNumber(s.minInferences)} inferences
              </span>
            </div>
            <ProgressBar share={share} tone={tone} label={label} />
          </div>
        );
      })}
    </div>
  );
}

export function Gates({ r }: { r: RolloutDetail }) {
  const gates = r.evaluation?.gates ?? [];
  if (gates.length === 0) return <Empty>No evaluation yet: gates are judged once the rollout runs.</Empty>;
  return (
    <>
      <p class="muted small">
        Verdict <strong>{r.evaluation?.verdict ?? '—'}</strong> at {formatTime(r.evaluation?.at)}
        {r.evaluation?.note ? ` · ${r.evaluation.note}` : ''}
      </p>
      <table class="table compact" data-testid="gates">
        <thead>
          <tr>
            <th>Gate</th>
            <th class="num">Value</th>
            <th class="num">Threshold</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {gates.map((g) => (
            <tr key={g.gate} data-gate={g.gate} data-status={g.status}>
              <td class="mono">{g.gate}</td>
              <td class="num">{formatNumber(g.value)}</td>
              <td class="num">
                {g.bound === 'max' ? '≤' : '≥'} {formatNumber(g.threshold)}
              </td>
              <td>
                <Pill tone={gateTone(g)}>{g.status}</Pill>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

export function Targets({ r }: { r: RolloutDetail }) {
  const total = r.targets.total;
  // A first deployment has no baseline to be on: targets outside the stage run no version (untouched).
  const states = TARGET_STATES.filter(([key]) => key !== 'on_baseline' || r.baseline !== null);
  return (
    <div data-testid="targets">
      <div class="stack-bar" title="targets by state">
        {states.map(([key, , tone]) => {
          const n = r.targets.byState[key] ?? 0;
          return n > 0 ? (
            <div key={key} class={`stack-part ${tone}`} style={{ flexGrow: n }} title={`${key}: ${n}`} />
          ) : null;
        })}
      </div>
      <ul class="legend">
        {states.map(([key, label, tone]) => (
          <li key={key} data-state={key}>
            <span class={`swatch ${tone}`} /> {label} <strong>{r.targets.byState[key] ?? 0}</strong>
          </li>
        ))}
        <li>
          total <strong>{total}</strong>
        </li>
      </ul>
      {r.targets.failures.length > 0 && (
        <ul class="errors">
          {r.targets.failures.map((f) => (
            <li key={f.id}>
              <a href={href('devices', f.id)}>{f.id}</a>: {f.error}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Audit({ r }: { r: RolloutDetail }) {
  return (
    <ol class="timeline" data-testid="audit">
      {[...r.audit].reverse().map((a) => (
        <li key={a.id} class={`ev-${a.event}`}>
          <div class="timeline-head">
            <Pill
              tone={
                a.event === 'rolled_back' || a.event === 'aborted'
                  ? 'bad'
                  : a.event === 'paused'
                    ? 'warn'
                    : 'info'
              }
            >
              {a.event.replace('_', ' ')}
            </Pill>
            <span class="muted small">
              {formatTime(a.at)} · {a.actor} · stage {a.stageIndex + 1}
            </span>
          </div>
          {a.reason && <div class="timeline-reason">{a.reason}</div>}
        </li>
      ))}
    </ol>
  );
}
