import type { RolloutStrategy } from '@edgefleet/shared';
import type { RolloutCreateInput as RolloutCreate } from '@edgefleet/shared/api';
import { fieldIssuesOf, runningModelsOf } from '@edgefleet/shared/api/client';
import { useState } from 'preact/hooks';
import { ApiError, api } from '../api/client';
import { useLive } from '../api/use-live';
import { Async, Empty } from '../components/states';
import { Card } from '../components/widgets';
import { href, navigate } from '../router';
import { PlanEstimate, toPlanBody } from './rollout-plan';

const GATES: [string, string, string][] = [
  ['latencyP95Ms', 'Latency p95 ≤ (ms)', 'e.g. 40'],
  ['latencyP99Ms', 'Latency p99 ≤ (ms)', ''],
  ['latencyP95Ratio', 'p95 ÷ baseline p95 ≤', 'e.g. 1.3'],
  ['maxErrorRate', 'Error rate ≤ (0…1)', 'e.g. 0.01'],
  ['maxPsi', 'Drift PSI ≤', 'e.g. 0.2'],
  ['maxJs', 'Drift JS ≤ (0…1)', ''],
  ['minShadowAgreement', 'Shadow agreement ≥ (0…1)', ''],
];

/** Gates measured against the baseline version: the server refuses them in a first deployment. */
const RELATIVE_GATES = ['latencyP95Ratio', 'latencyP99Ratio', 'minShadowAgreement'];
const STRATEGIES: readonly RolloutStrategy[] = ['canary', 'shadow', 'blue-green', 'all-at-once'];
/** Strategies that need no version beside the candidate: all a first deployment allows. */
const FIRST_STRATEGIES: readonly RolloutStrategy[] = ['canary', 'all-at-once'];
/** The baseline choice that says "no baseline": a first deployment (sent as `baseline: null`). */
export const FIRST_DEPLOYMENT = '(none)';

type TargetKind = 'selector' | 'devices' | 'app';

interface FormState {
  model: string;
  candidate: string;
  /** A version; '' lets the server pick what the targets run (none: a first deployment); FIRST_DEPLOYMENT: none. */
  baseline: string;
  targetKind: TargetKind;
  target: string;
  strategy: string;
  stages: string;
  minReportingTargets: string;
  minInferences: string;
  onBreach: 'rollback' | 'pause';
  gates: Record<string, string>;
}

/** Turns the form into the API body; throws with the field at fault when a value is not a number. */
export function toCreateBody(f: FormState): RolloutCreate {
  const num = (text: string, field: string): number => {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value))
      throw new Error(`${field}: expected a number, got '${text}'`);
    return value;
  };
  const first = f.baseline === FIRST_DEPLOYMENT;
  const gates: Record<string, number> = {};
  for (const [key, text] of Object.entries(f.gates)) {
    if (text.trim() !== '' && !(first && RELATIVE_GATES.includes(key))) gates[key] = num(text, key);
  }
  const target =
    f.targetKind === 'selector'
      ? { selector: f.target.trim() }
      : f.targetKind === 'devices'
        ? { devices: f.target.split(/[\s,]+/).filter(Boolean) }
        : { app: f.target.trim() };
  return {
    model: f.model,
    candidate: f.candidate,
    ...(first ? { baseline: null } : f.baseline ? { baseline: f.baseline } : {}),
    target,
    strategy: STRATEGIES.find((known) => known === f.strategy) ?? 'canary',
    ...(f.stages.trim() ? { stages: f.stages.trim() } : {}),
    minReportingTargets: num(f.minReportingTargets, 'minReportingTargets'),
    minInferences: num(f.minInferences, 'minInferences'),
    gates,
    onBreach: f.onBreach,
  };
}

/**
 * Whether no target anywhere can run `model`: no device reports it and every rollout of it was a first deployment
 * that was rolled back or aborted. Then the server finds no baseline for any target (a first deployment).
 */
async function neverDeployed(model: string): Promise<boolean> {
  const [rollouts, devices] = await Promise.all([api.rollouts({ model }), api.devices({ limit: 1000 })]);
  if (devices.total > devices.devices.length) return false; // not all seen: cannot tell
  const runs = devices.devices.some((d) =>
    Object.values(runningModelsOf(d.reportedState) ?? {}).some((m) => m?.name === model),
  );
  const left = rollouts.rollouts.some(
    (r) => r.model === model && !(r.baseline === null && ['rolled_back', 'aborted'].includes(r.status)),
  );
  return !runs && !left;
}

function Form({ models }: { models: { name: string }[] }) {
  const [f, setF] = useState<FormState>({
    model: models[0]?.name ?? '',
    candidate: '',
    baseline: '',
    targetKind: 'selector',
    target: '',
    strategy: 'canary',
    stages: '5%:30m,25%:2h,100%',
    minReportingTargets: '1',
    minInferences: '100',
    onBreach: 'rollback',
    gates: { latencyP95Ms: '', maxErrorRate: '0.05', maxPsi: '0.25' },
  });
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const versions = useLive(
    () => (f.model ? api.versions(f.model) : Promise.resolve({ versions: [] })),
    [f.model],
  );
  const set = (patch: Partial<FormState>) => {
    setError(null);
    setF((s) => ({ ...s, ...patch }));
  };
  const input = (key: keyof FormState) => (e: Event) =>
    set({ [key]: (e.target as HTMLInputElement).value } as Partial<FormState>);
  const fresh = useLive(() => (f.model ? neverDeployed(f.model) : Promise.resolve(false)), [f.model]);
  const versionList = versions.data?.versions.map((v) => v.version).reverse() ?? [];
  const candidate = f.candidate || versionList[0] || '';
  // A first deployment: asked for, or what the server will find (no target runs the model).
  const first = f.baseline === FIRST_DEPLOYMENT || (f.baseline === '' && fresh.data === true);
  const strategies = first ? FIRST_STRATEGIES : STRATEGIES;
  const strategy = strategies.find((known) => known === f.strategy) ?? 'canary';
  const gateFields = first ? GATES.filter(([key]) => !RELATIVE_GATES.includes(key)) : GATES;
  const gates = Object.fromEntries(
    Object.entries(f.gates).filter(([key]) => !(first && RELATIVE_GATES.includes(key))),
  );

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const created = await api.createRollout(toCreateBody({ ...f, candidate, strategy, gates }));
      navigate(href('rollouts', created.id));
    } catch (err) {
      const field = fieldIssuesOf(err instanceof ApiError ? err.details : undefined)[0]?.field;
      setError({ message: (err as Error).message, ...(field ? { field } : {}) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="form" onSubmit={submit} data-testid="rollout-form">
      <div class="form-grid">
        <label>
          Model
          <select
            name="model"
            value={f.model}
            onChange={(e) =>
              set({ model: (e.target as HTMLSelectElement).value, candidate: '', baseline: '' })
            }
          >
            {models.map((m) => (
              <option key={m.name}>{m.name}</option>
            ))}
          </select>
        </label>
        <label>
          Candidate version
          <select name="candidate" value={candidate} onChange={input('candidate')}>
            {versionList.map((v) => (
              <option key={v}>{v}</option>
            ))}
          </select>
        </label>
        <label>
          Replaces (baseline)
          <select name="baseline" value={f.baseline} onChange={input('baseline')}>
            <option value="">
              {fresh.data === true ? 'auto: none yet (first deployment)' : 'auto: what the targets run now'}
            </option>
            <option value={FIRST_DEPLOYMENT}>none: first deployment</option>
            {versionList
              .filter((v) => v !== candidate)
              .map((v) => (
                <option key={v}>{v}</option>
              ))}
          </select>
        </label>
        <label>
          Strategy
          <select name="strategy" value={strategy} onChange={input('strategy')}>
            {strategies.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Target
          <select name="targetKind" value={f.targetKind} onChange={input('targetKind')}>
            <option value="selector">devices by label selector</option>
            <option value="devices">device ids</option>
            <option value="app">web app</option>
          </select>
        </label>
        <label>
          {f.targetKind === 'selector'
            ? 'Selector (empty: all devices)'
            : f.targetKind === 'devices'
              ? 'Device ids (comma separated)'
              : 'App id'}
          <input
            name="target"
            value={f.target}
            onInput={input('target')}
            placeholder={f.targetKind === 'selector' ? 'site=plant-a,line in (3,4)' : ''}
          />
        </label>
        <label class="wide">
          Stages
          <input name="stages" value={f.stages} onInput={input('stages')} placeholder="5%:30m,25%:2h,100%" />
        </label>
        <label>
          Min reporting targets per stage
          <input
            name="minReportingTargets"
            inputMode="numeric"
            value={f.minReportingTargets}
            onInput={input('minReportingTargets')}
          />
        </label>
        <label>
          Min inferences per stage
          <input
            name="minInferences"
            inputMode="numeric"
            value={f.minInferences}
            onInput={input('minInferences')}
          />
        </label>
        <label>
          On a breached gate
          <select name="onBreach" value={f.onBreach} onChange={input('onBreach')}>
            <option value="rollback">roll back</option>
            <option value="pause">pause</option>
          </select>
        </label>
      </div>
      {first && (
        <p class="muted small" data-testid="first-deployment-hint">
          First deployment of {f.model}: no target runs it yet, so there is no baseline. Canary or all-at-once
          only, no gates relative to a baseline; targets outside a stage (and all after a rollback) run no
          version of it.
        </p>
      )}
      <fieldset>
        <legend>Gates (empty: not checked)</legend>
        <div class="form-grid">
          {gateFields.map(([key, label, placeholder]) => (
            <label key={key}>
              {label}
              <input
                name={`gate-${key}`}
                inputMode="decimal"
                value={f.gates[key] ?? ''}
                placeholder={placeholder}
                onInput={(e) => set({ gates: { ...f.gates, [key]: (e.target as HTMLInputElement).value } })}
              />
            </label>
          ))}
        </div>
      </fieldset>
      <PlanEstimate
        request={() => toPlanBody(toCreateBody({ ...f, candidate, strategy, gates }))}
        onUseMinInferences={(n) => set({ minInferences: String(n) })}
      />
      {error && (
        <p class="form-error" role="alert" data-testid="form-error">
          {error.message}
        </p>
      )}
      <div class="dialog-actions">
        <a class="btn muted" href={href('rollouts')}>
          Cancel
        </a>
        <button type="submit" class="btn info" disabled={busy || !candidate}>
          {busy ? 'Creating…' : 'Create rollout'}
        </button>
      </div>
    </form>
  );
}

/** The create-rollout form. */
export function RolloutFormPage() {
  const models = useLive(() => api.models(), []);
  return (
    <div class="page" data-testid="page-rollout-form">
      <p class="crumbs">
        <a href={href('rollouts')}>Rollouts</a> / new
      </p>
      <h1>New rollout</h1>
      <Card>
        <Async resource={models} what="Loading models">
          {({ models: list }) =>
            list.length === 0 ? <Empty>Register a model version first.</Empty> : <Form models={list} />
          }
        </Async>
      </Card>
    </div>
  );
}
