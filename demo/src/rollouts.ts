import { inStage } from '@edgefleet/shared';
import type { RolloutCreateInput, RolloutDetail, RolloutSummary } from '@edgefleet/shared/api';
import { type AdminApi, ApiError } from './api';
import type { DemoConfig } from './config';
import { MODEL_NAME } from './models';

/** Label selector of every demo station. */
export const FLEET_SELECTOR = 'site=plant-a';
/** The browser demo page's app. */
export const APP_ID = 'inspector';

/** A rollout as `GET /api/v1/rollouts/{id}` shows it. */
export type RolloutView = RolloutDetail;

/**
 * The salt that puts `round(percent × n)` of `ids` (at least 1, at most n − 1) into the first stage, so the
 * canary visibly splits even a small demo fleet; among those, the first whose members satisfy `prefer`
 * (the demo wants a line-2 station in the canary, where `d` dims the lights). Buckets are the server's
 * (`inStage`), so this is exact.
 */
export function saltFor(
  ids: readonly string[],
  percent: number,
  prefer: (members: string[]) => boolean = () => true,
): string {
  const want = Math.min(Math.max(1, Math.round((percent / 100) * ids.length)), Math.max(1, ids.length - 1));
  let sized: string | null = null;
  let any: string | null = null;
  for (let i = 0; i < 5000; i++) {
    const salt = `demo-${i}`;
    const members = ids.filter((id) => inStage(id, salt, percent));
    if (members.length === want) {
      if (prefer(members)) return salt;
      sized ??= salt;
    }
    if (members.length > 0) any ??= salt;
  }
  return sized ?? any ?? 'demo-0';
}

/** The share of the first stage of a stage list such as `34%:1m,100%`. */
export function firstStagePercent(stages: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)%/.exec(stages);
  if (!match) throw new TypeError(`--stages: expected a list like 34%:1m,100%, got '${stages}'`);
  return Number(match[1]);
}

/** Rollout statuses after which a rollout no longer changes what its targets run. */
const GIVEN_UP: readonly RolloutSummary['status'][] = ['rolled_back', 'aborted'];

/**
 * Body of a first deployment of `version` (no target runs the model yet, `baseline: null` says so): all at once,
 * completing without telemetry (no minimum reporting targets or inferences), so it also completes for an app
 * while no browser has the page open.
 */
export function firstDeploymentRequest(
  target: { selector: string } | { devices: string[] } | { app: string },
  version = '1.0.0',
): RolloutCreateInput {
  return {
    model: MODEL_NAME,
    candidate: version,
    baseline: null,
    target,
    strategy: 'all-at-once',
    minReportingTargets: 0,
    minInferences: 0,
  };
}

/**
 * The first deployment of 1.0.0 to `target` (the stations' selector or the app): the one an earlier run created
 * and did not give up on (it may have stopped before saving its id), else a new one. Returns its id and whether
 * it was created now.
 */
async function ensureFirstDeployment(
  api: AdminApi,
  target: { selector: string } | { app: string },
): Promise<{ id: string; created: boolean }> {
  const { rollouts } = await api.call('GET /api/v1/rollouts', { query: { model: MODEL_NAME } });
  const sameTarget = (t: RolloutSummary['target']) =>
    'app' in target
      ? t.kind === 'app' && t.appId === target.app
      : t.kind === 'selector' && t.selector === target.selector;
  const existing = rollouts.find(
    (r) =>
      r.baseline === null && r.candidate === '1.0.0' && !GIVEN_UP.includes(r.status) && sameTarget(r.target),
  );
  if (existing) return { id: existing.id, created: false };
  const created = await api.call('POST /api/v1/rollouts', { body: firstDeploymentRequest(target) });
  return { id: created.id, created: true };
}

/** Deploys 1.0.0 to every station by an all-at-once first-deployment rollout over the fleet's selector. */
export const deployInitialVersion = (api: AdminApi) =>
  ensureFirstDeployment(api, { selector: FLEET_SELECTOR });

/** Deploys 1.0.0 to the browser app by an all-at-once first-deployment rollout (the plan's current version). */
export const deployInitialAppVersion = (api: AdminApi) => ensureFirstDeployment(api, { app: APP_ID });

/**
 * Deploys `version` to stations that joined a fleet that already runs the model (a resumed demo with more
 * `--devices`). Returns the rollout id; `covered` when an active rollout covers them already (409: they get a
 * version when it reaches them); `running` when they run the model already (a completed rollout's desired state
 * reached them first, so there is nothing to deploy: the server refuses a first deployment to targets that run it).
 */
export async function deployToNewStations(
  api: AdminApi,
  deviceIds: string[],
  version: string,
): Promise<string | 'covered' | 'running'> {
  try {
    const created = await api.call('POST /api/v1/rollouts', {
      body: firstDeploymentRequest({ devices: deviceIds }, version),
    });
    return created.id;
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) return 'covered';
    const details = error instanceof ApiError && !Array.isArray(error.details) ? error.details : undefined;
    if (error instanceof ApiError && error.status === 400 && details?.field === 'baseline') return 'running';
    throw error;
  }
}

/** Creates the browser app; returns its publishable key (shown once: the demo keeps it). */
export async function createApp(api: AdminApi): Promise<{ id: string; publishableKey: string }> {
  const app = await api.call('POST /api/v1/apps', {
    body: { id: APP_ID, name: 'Inspector (browser demo page)', allowedOrigins: [] },
  });
  return { id: app.id, publishableKey: app.publishableKey };
}

/**
 * The canary's quality gates on the operators' labels: its accuracy may not be surely 5 points below the control
 * stations' in the same window, and a ladder stage steps up only when the candidate's agreement with the
 * operators is surely above 92 % over at least 200 reviews.
 */
export const QUALITY_GATES = {
  maxAccuracyDrop: 0.05,
  minLabels: 100,
  minStepUpAgreement: 0.92,
  minStepUpReviews: 200,
} as const;

/** Body of the canary rollout of 1.1.0 for the stations, with the demo's stages and gates. */
export function canaryRequest(config: DemoConfig, salt: string): RolloutCreateInput {
  return {
    model: MODEL_NAME,
    candidate: '1.1.0',
    baseline: '1.0.0',
    target: { selector: FLEET_SELECTOR },
    strategy: 'canary',
    stages: config.stages,
    minReportingTargets: 1,
    minInferences: config.minInferences,
    gates: {
      latencyP95Ms: config.latencyP95Ms,
      features: { brightness: { maxPsi: config.maxPsi }, contrast: { maxPsi: config.maxPsi } },
      ...QUALITY_GATES,
    },
    onBreach: 'rollback',
    salt,
  };
}

/**
 * Body of the browser app's canary: the same stages; a person drops a few images, not hundreds, and no gate can
 * show anything at 99 % from 10 inferences (a distribution-free p95 bound alone needs ≈ 100), so it has no
 * telemetry gates: the stage needs its duration and 10 inferences. A real app's canary gates like the stations'.
 */
export function appCanaryRequest(config: DemoConfig): RolloutCreateInput {
  return {
    ...canaryRequest(config, 'demo-app'),
    target: { app: APP_ID },
    // An app plan has one automation level per model, set with `edgefleet automation set`, not by a ladder.
    stages: withoutLevels(config.stages),
    minInferences: Math.min(config.minInferences, 10),
    gates: {},
  };
}

/**
 * Starts the canary of 1.1.0 over the stations; the salt splits the first stage visibly and, when it can,
 * puts a station of `preferredIds` (line 2) in it. Returns the rollout and the first stage's members.
 */
export async function startCanary(
  api: AdminApi,
  deviceIds: readonly string[],
  preferredIds: readonly string[],
  config: DemoConfig,
) {
  const percent = firstStagePercent(config.stages);
  const salt = saltFor(deviceIds, percent, (members) => members.some((id) => preferredIds.includes(id)));
  const rollout = await api.call('POST /api/v1/rollouts', { body: canaryRequest(config, salt) });
  return { rollout, firstStage: deviceIds.filter((id) => inStage(id, salt, percent)) };
}

/**
 * A stage list without its automation levels, and without the stages that only raised the level
 * (`34%:1m@shadow,34%:1m@partial(0.99,0),100%` → `34%:1m,100%`).
 */
export function withoutLevels(stages: string): string {
  const kept: string[] = [];
  for (const stage of stages.replace(/@(shadow|assist|full|partial\([^)]*\))/g, '').split(',')) {
    const share = stage.split(':')[0];
    if (kept.length > 0 && kept.at(-1)!.split(':')[0] === share) continue;
    kept.push(stage);
  }
  return kept.join(',');
}

/** Starts the canary of 1.1.0 for the browser app (it waits for a browser to report). */
export async function startAppCanary(api: AdminApi, config: DemoConfig) {
  return api.call('POST /api/v1/rollouts', { body: appCanaryRequest(config) });
}

/** A rollout by id. */
export const getRollout = (api: AdminApi, id: string) =>
  api.call('GET /api/v1/rollouts/{id}', { params: { id } });
