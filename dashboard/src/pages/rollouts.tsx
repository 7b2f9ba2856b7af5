import type { RolloutSummary, RolloutTarget } from '@edgefleet/shared/api';
import { useState } from 'preact/hooks';
import { api } from '../api/client';
import { useLive } from '../api/use-live';
import { Async, Empty } from '../components/states';
import { Card, Pill, ProgressBar, ROLLOUT_TONE } from '../components/widgets';
import { formatAgo } from '../format';
import { href, navigate } from '../router';

export function targetText(target: RolloutTarget): string {
  if (target.kind === 'selector') return target.selector || 'all devices';
  if (target.kind === 'devices') return `${target.ids.length} devices`;
  return `app ${target.appId}`;
}

/** `baseline → candidate`, or the candidate marked as the model's first deployment (no baseline). */
export function VersionChange({ r }: { r: Pick<RolloutSummary, 'baseline' | 'candidate'> }) {
  return r.baseline === null ? (
    <>
      <strong>{r.candidate}</strong>{' '}
      <span class="muted" data-testid="first-deployment">
        (first deployment)
      </span>
    </>
  ) : (
    <>
      {r.baseline} → <strong>{r.candidate}</strong>
    </>
  );
}

const STATUSES = ['', 'scheduled', 'running', 'paused', 'completed', 'rolled_back', 'aborted'];

function RolloutRow({ r }: { r: RolloutSummary }) {
  return (
    <tr class="clickable" onClick={() => navigate(href('rollouts', r.id))}>
      <td>
        <a href={href('rollouts', r.id)} class="mono">
          {r.id}
        </a>
      </td>
      <td class="mono">
        {r.model} <VersionChange r={r} />
      </td>
      <td>{r.strategy}</td>
      <td>{targetText(r.target)}</td>
      <td>
        <Pill tone={ROLLOUT_TONE[r.status] ?? 'muted'}>{r.status.replace('_', ' ')}</Pill>
      </td>
      <td class="progress-cell">
        <ProgressBar
          share={r.percent / 100}
          tone={r.status === 'rolled_back' || r.status === 'aborted' ? 'bad' : 'info'}
          label={`stage ${Math.min(r.stageIndex + 1, r.stageCount)}/${r.stageCount} · ${r.percent}%`}
        />
      </td>
      <td>{formatAgo(r.updatedAt)}</td>
    </tr>
  );
}

/** Rollouts: every rollout with status and stage progress; link to the create form. */
export function RolloutsPage() {
  const [status, setStatus] = useState('');
  const list = useLive(() => api.rollouts(status ? { status } : {}), [status], ['rollout']);
  return (
    <div class="page" data-testid="page-rollouts">
      <div class="page-head">
        <h1>Rollouts</h1>
        <a class="btn info" href={href('rollouts', 'new')} data-testid="new-rollout">
          New rollout
        </a>
      </div>
      <Card
        actions={
          <select
            aria-label="status filter"
            value={status}
            onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}
          >
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s ? s.replace('_', ' ') : 'any status'}
              </option>
            ))}
          </select>
        }
        title="All rollouts"
      >
        <Async resource={list} what="Loading rollouts">
          {({ rollouts }) =>
            rollouts.length === 0 ? (
              <Empty>No rollouts{status ? ` with status ${status}` : ''} yet.</Empty>
            ) : (
              <table class="table" data-testid="rollouts-table">
                <thead>
                  <tr>
                    <th>Id</th>
                    <th>Model</th>
                    <th>Strategy</th>
                    <th>Target</th>
                    <th>Status</th>
                    <th>Progress</th>
                    <th>Updated</th>
                  </tr>
                </thead>
                <tbody>
                  {rollouts.map((r) => (
                    <RolloutRow key={r.id} r={r} />
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
