import { runningModelsOf } from '@edgefleet/shared/api/client';
import type { AdminApi } from './api';
import { MODEL_NAME, VERSIONS } from './models';
import { FLEET_SELECTOR, getRollout, type RolloutView } from './rollouts';

/** What one status line says, also used by the test through the printed line. */
export interface FleetStatus {
  rollout: RolloutView | null;
  appRollout: RolloutView | null;
  online: number;
  devices: number;
  /** Devices by the version they report running (`none` before the first model). */
  running: Record<string, number>;
  /** Telemetry reports stored per version over the last 24 h. */
  reports: Record<string, number>;
  /** The closed data loop: its dataset and the version trained on it (see the demo's state). */
  dataLoop?: { dataset: string; version: string };
}

/** Reads the rollouts, devices and report counts through the admin API. */
export async function readStatus(
  api: AdminApi,
  rolloutId: string | null,
  appRolloutId: string | null,
): Promise<FleetStatus> {
  const [rollout, appRollout, devices, ...reports] = await Promise.all([
    rolloutId ? getRollout(api, rolloutId) : null,
    appRolloutId ? getRollout(api, appRolloutId) : null,
    api.call('GET /api/v1/devices', { query: { limit: 500, selector: FLEET_SELECTOR } }),
    ...VERSIONS.map((v) =>
      api.call('GET /api/v1/models/{name}/versions/{version}/metrics', {
        params: { name: MODEL_NAME, version: v.version },
      }),
    ),
  ]);
  const running: Record<string, number> = {};
  for (const d of devices.devices) {
    const active = runningModelsOf(d.reportedState)?.active;
    const version = active && active.name === MODEL_NAME ? active.version : 'none';
    running[version] = (running[version] ?? 0) + 1;
  }
  return {
    rollout,
    appRollout,
    online: devices.devices.filter((d) => d.online).length,
    devices: devices.devices.length,
    running,
    reports: Object.fromEntries(VERSIONS.map((v, i) => [v.version, reports[i]?.reports ?? 0])),
  };
}

const levelText = (a: NonNullable<NonNullable<RolloutView['stage']>['automation']>) =>
  a.level === 'partial' ? `partial(${a.minConfidence},${a.minMargin})` : a.level;

function describeRollout(r: RolloutView): string {
  const stage = `stage ${Math.min(r.stageIndex + 1, r.stageCount)}/${r.stageCount}`;
  const level = r.stage?.automation ? `@${levelText(r.stage.automation)}` : '';
  const share = r.stage ? ` ${r.stage.percent}%${level}` : '';
  const elapsed = r.stage && r.status === 'running' ? ` ${Math.round(r.stage.elapsedMs / 1000)}s` : '';
  const verdict = r.status === 'running' && r.evaluation?.verdict ? ` gates ${r.evaluation.verdict}` : '';
  return `${r.id} ${r.strategy} ${r.baseline ?? 'none'}→${r.candidate} ${stage}${share}${elapsed} ${r.status}${verdict}`;
}

const counts = (record: Record<string, number>) =>
  Object.entries(record)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');

/**
 * One status line, e.g.
 * `12:00:05 rollout ro_1a2b canary 1.0.0→1.1.0 stage 1/2 34% 21s running gates wait | devices 6/6 online 1.0.0:4 1.1.0:2 | reports 1.0.0:40 1.1.0:12 | app … | data loop ds-… → cls 1.2.0`
 */
export function formatStatus(s: FleetStatus, at = new Date()): string {
  const time = at.toISOString().slice(11, 19);
  const rollout = s.rollout ? `rollout ${describeRollout(s.rollout)}` : 'rollout (none yet)';
  const app = s.appRollout
    ? ` | app ${s.appRollout.status} stage ${Math.min(s.appRollout.stageIndex + 1, s.appRollout.stageCount)}/${s.appRollout.stageCount}`
    : '';
  const loop = s.dataLoop ? ` | data loop ${s.dataLoop.dataset} → ${MODEL_NAME} ${s.dataLoop.version}` : '';
  return `${time} ${rollout} | devices ${s.online}/${s.devices} online ${counts(s.running)} | reports ${counts(s.reports)}${app}${loop}`;
}

/** The last breach or transition reason worth printing once (audit entries not printed yet). */
export function newAuditLines(r: RolloutView, printed: Set<string>): string[] {
  const lines: string[] = [];
  for (const entry of r.audit) {
    const key = `${r.id}:${entry.id ?? entry.at ?? ''}:${entry.event}`;
    if (printed.has(key)) continue;
    printed.add(key);
    lines.push(`  ${r.id} ${entry.event} by ${entry.actor}${entry.reason ? `: ${entry.reason}` : ''}`);
  }
  return lines;
}
