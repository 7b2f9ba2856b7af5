import { formatAutomation } from '@edgefleet/shared';
import type { GateValueView as GateValue, RolloutDetail } from '@edgefleet/shared/api';
import { GateBar } from '../components/gate-bar';
import { gateEvidence } from '../components/gate-scale';
import { Empty } from '../components/states';
import { Pill, ProgressBar, type Tone } from '../components/widgets';
import { formatConfidence, formatDuration, formatNumber, formatTime } from '../format';
import { href } from '../router';

// The parts of the rollout page that show its state: stages, gates, targets, audit log.

/**
 * Red on breach; amber while waiting for data or inconclusive; green on a pass, except a pass judged on a point
 * estimate alone (no interval) within 20 % of its threshold, which stays amber.
 */
export function gateTone(g: GateValue): Tone {
  if (g.status === 'breach') return 'bad';
  if (g.status === 'wait' || g.status === 'inconclusive' || g.value === null) return 'warn';
  if (gateEvidence(g) !== 'point') return 'ok';
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

/** A stage's time rule: its minimum and, where it has one, the deadline for its gates ("≥ 30m, decide by 2h"). */
export function stageTimes(s: { minDurationMs: number; maxDurationMs: number | null }): string {
  const min = s.minDurationMs > 0 ? `≥ ${formatDuration(s.minDurationMs)}` : 'no minimum time';
  return s.maxDurationMs === null ? min : `${min}, decide by ${formatDuration(s.maxDurationMs)}`;
}

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
                {s.automation ? (
                  <span class="mono" data-testid="stage-level">
                    {' '}
                    @{formatAutomation(s.automation)}
                  </span>
                ) : null}
              </strong>
              {s.state === 'current' && r.stage?.stepsDown ? (
                <span class="small" data-testid="stage-stepped-down">
                  {' '}
                  now {formatAutomation(r.stage.automation ?? s.automation!)}: stepped down{' '}
                  {r.stage.stepsDown}× (quality gate breached)
                </span>
              ) : null}
              <span class="muted small">
                {stageTimes(s)} · ≥ {s.minReportingTargets} targets · ≥ {formatNumber(s.minInferences)}{' '}
                inferences
              </span>
            </div>
            <ProgressBar share={share} tone={tone} label={label} />
          </div>
        );
      })}
    </div>
  );
}

/** What an inconclusive gate still needs; nothing for the other statuses. */
export function gateNeeds(g: GateValue): string | null {
  if (g.status !== 'inconclusive') return null;
  if (g.needMore === null || g.needMore === undefined) return 'more data alone will not decide';
  if (g.needMore === 0) return 'may decide at the next look';
  // Quality and ladder gates count operators' labels, the others inferences.
  const unit = g.gate.startsWith('quality.') || g.gate.startsWith('ladder.') ? 'labels' : 'inferences';
  return `needs ≈ ${formatNumber(g.needMore)} more ${unit}`;
}

/** The test and the observations behind a gate value ("clopper-pearson · n 420 · control 300"). */
function evidenceOf(g: GateValue): string {
  const evidence = gateEvidence(g);
  if (evidence === 'count') return 'stage minimum';
  if (evidence === 'none') return 'no data';
  const parts = [evidence === 'point' ? 'point estimate' : (g.test ?? 'point estimate')];
  if (typeof g.n === 'number') parts.push(`n ${formatNumber(g.n)}`);
  if (typeof g.controlN === 'number') parts.push(`control ${formatNumber(g.controlN)}`);
  return parts.join(' · ');
}

export function Gates({ r }: { r: RolloutDetail }) {
  const gates = r.evaluation?.gates ?? [];
  const look = r.evaluation?.look;
  return (
    <>
      <p class="muted small" data-testid="gates-policy">
        Decided at <strong>{formatConfidence(r.confidence)}</strong> confidence over all gates and looks ·
        undecided at the deadline: <strong>{r.onInconclusive}</strong> · on breach:{' '}
        <strong>{r.onBreach}</strong>
      </p>
      {gates.length === 0 ? (
        <Empty>No evaluation yet: gates are judged once the rollout runs.</Empty>
      ) : (
        <>
          <p class="muted small">
            Verdict <strong>{r.evaluation?.verdict ?? '—'}</strong> at {formatTime(r.evaluation?.at)}
            {look ? ` · look ${look.look} (${formatNumber(look.n)} inferences)` : ''}
            {r.evaluation?.note ? ` · ${r.evaluation.note}` : ''}
          </p>
          <table class="table compact gates-table" data-testid="gates">
            <thead>
              <tr>
                <th>Gate</th>
                <th>Interval vs threshold</th>
                <th class="num">Confidence</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {gates.map((g) => (
                <GateRow key={g.gate} g={g} />
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

function GateRow({ g }: { g: GateValue }) {
  const tone = gateTone(g);
  const evidence = gateEvidence(g);
  const needs = gateNeeds(g);
  const interval =
    evidence === 'interval'
      ? ` [${typeof g.lower === 'number' ? formatNumber(g.lower) : '−∞'}, ${typeof g.upper === 'number' ? formatNumber(g.upper) : '∞'}]`
      : '';
  return (
    <tr data-gate={g.gate} data-status={g.status}>
      <td>
        <div class="mono">{g.gate}</div>
        <div class="muted small" data-testid="gate-evidence">
          {evidenceOf(g)}
        </div>
      </td>
      <td class="gate-bar-cell">
        <GateBar g={g} tone={tone} />
        <div class="muted small gate-numbers">
          <span>
            {formatNumber(g.value)}
            {interval}
          </span>
          <span>
            {g.bound === 'max' ? '≤' : '≥'} {formatNumber(g.threshold)}
          </span>
        </div>
      </td>
      <td class="num">{typeof g.confidence === 'number' ? formatConfidence(g.confidence) : '—'}</td>
      <td>
        <Pill tone={tone}>{g.status}</Pill>
        {needs && <div class="muted small gate-needs">{needs}</div>}
      </td>
    </tr>
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
