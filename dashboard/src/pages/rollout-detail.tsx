import type { RolloutAction, RolloutDetail } from '@edgefleet/shared/api';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { Async } from '../components/states';
import { Card, ConfirmButton, Facts, Pill, ROLLOUT_TONE, type Tone } from '../components/widgets';
import { formatTime } from '../format';
import { href } from '../router';
import { Audit, Gates, Stages, Targets } from './rollout-sections';
import { CandidateChart } from './rollout-telemetry';
import { targetText, VersionChange } from './rollouts';

const ACTIONS: { action: RolloutAction; label: string; tone: Tone; when: string[] }[] = [
  { action: 'pause', label: 'Pause', tone: 'warn', when: ['scheduled', 'running'] },
  { action: 'resume', label: 'Resume', tone: 'ok', when: ['paused'] },
  { action: 'promote', label: 'Promote', tone: 'info', when: ['running', 'paused'] },
  { action: 'abort', label: 'Abort', tone: 'bad', when: ['scheduled', 'running', 'paused'] },
  { action: 'rollback', label: 'Roll back', tone: 'bad', when: ['scheduled', 'running', 'paused'] },
];

function RolloutView({ r, onChanged }: { r: RolloutDetail; onChanged: () => void }) {
  const act = async (action: RolloutAction, reason: string) => {
    await api.rolloutAction(r.id, action, reason);
    onChanged();
  };
  return (
    <>
      <div class="page-head">
        <h1>
          Rollout <span class="mono">{r.id}</span>{' '}
          <Pill tone={ROLLOUT_TONE[r.status] ?? 'muted'}>
            <span data-testid="rollout-status">{r.status.replace('_', ' ')}</span>
          </Pill>
        </h1>
        <div class="actions" data-testid="rollout-actions">
          {ACTIONS.filter((a) => a.when.includes(r.status)).map((a) => (
            <ConfirmButton
              key={a.action}
              label={a.label}
              tone={a.tone}
              title={`${a.label} rollout ${r.id}?`}
              onConfirm={(reason) => act(a.action, reason)}
            />
          ))}
        </div>
      </div>
      <div class="grid two">
        <Card title="Rollout" testId="rollout-facts">
          <Facts
            rows={[
              [
                'Model',
                <span class="mono">
                  {r.model}: <VersionChange r={r} />
                </span>,
              ],
              ['Strategy', r.strategy],
              ['Target', targetText(r.target)],
              [
                'Stage',
                `${Math.min(r.stageIndex + 1, r.stageCount)} of ${r.stageCount} · ${r.percent}% of targets`,
              ],
              ['On breach', r.onBreach],
              ['Created', `${formatTime(r.createdAt)} by ${r.createdBy}`],
              [
                'Monitoring',
                <a
                  href={href('monitoring', {
                    model: r.model,
                    version: r.candidate,
                    compare: r.baseline ?? undefined,
                    selector: r.target.kind === 'selector' ? r.target.selector : undefined,
                  })}
                >
                  {r.baseline === null ? 'candidate' : 'candidate vs baseline'}
                </a>,
              ],
            ]}
          />
        </Card>
        <Card title="Targets by state">
          <Targets r={r} />
        </Card>
      </div>
      <Card title="Stages">
        <Stages r={r} />
      </Card>
      <div class="grid two">
        <Card title="Gates (candidate)">
          <Gates r={r} />
        </Card>
        <Card title="Audit log">
          <Audit r={r} />
        </Card>
      </div>
      <Card
        title={r.baseline === null ? 'Candidate (first deployment: no baseline)' : 'Candidate vs baseline'}
      >
        <CandidateChart r={r} />
      </Card>
    </>
  );
}

/** One rollout: stage progress, gates against thresholds, targets by state, audit, live charts, admin actions. */
export function RolloutDetailPage({ id }: { id: string }) {
  const rollout = useLive(() => api.rollout(id), [id], ['rollout', 'telemetry', 'device']);
  return (
    <div class="page" data-testid="page-rollout">
      <p class="crumbs">
        <a href={href('rollouts')}>Rollouts</a> / <span class="mono">{id}</span>
      </p>
      <Async resource={rollout} what="Loading the rollout">
        {(r) => <RolloutView r={r} onChanged={rollout.reload} />}
      </Async>
    </div>
  );
}
