import type { RolloutCreateInput, RolloutPlan, RolloutPlanRequestInput } from '@edgefleet/shared/api';
import { planDurationText } from '@edgefleet/shared/api/client';
import { useState } from 'preact/hooks';
import { api } from '../api/client';

/** The plan request of a create body: the same target, stages and gates (baseline and breach action do not count). */
export function toPlanBody(body: RolloutCreateInput): RolloutPlanRequestInput {
  return {
    model: body.model,
    candidate: body.candidate,
    target: body.target,
    ...(body.strategy ? { strategy: body.strategy } : {}),
    ...(body.stages ? { stages: body.stages } : {}),
    ...(body.minInferences !== undefined ? { minInferences: body.minInferences } : {}),
    ...(body.gates ? { gates: body.gates } : {}),
  };
}

const count = (x: number) => Math.round(x).toLocaleString('en-US');

/**
 * "Estimate durations": how long each stage needs to decide its gates for a healthy candidate, from the targets'
 * recent traffic (`POST /api/v1/rollouts/plan`), with a button that takes the suggested minimum inferences.
 */
export function PlanEstimate({
  request,
  onUseMinInferences,
}: {
  /** The plan request of the form as it stands; throws with the field at fault. */
  request: () => RolloutPlanRequestInput;
  onUseMinInferences: (n: number) => void;
}) {
  const [plan, setPlan] = useState<RolloutPlan | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const estimate = async () => {
    setBusy(true);
    setError(null);
    try {
      setPlan(await api.planRollout(request()));
    } catch (err) {
      setPlan(null);
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <fieldset data-testid="rollout-plan">
      <legend>Planning</legend>
      <button type="button" class="btn small info" onClick={estimate} disabled={busy} data-action="estimate">
        {busy ? 'Estimating…' : 'Estimate stage durations'}
      </button>
      {error && <p class="form-error small">{error}</p>}
      {plan && (
        <div class="small">
          <p>
            Traffic: {count(plan.traffic.inferencesPerMinute)} inferences/min from{' '}
            {plan.traffic.reportingTargets} of {plan.traffic.targets} targets; {plan.tests} gated tests at{' '}
            {plan.confidence * 100} % family-wise.
          </p>
          <table class="table">
            <thead>
              <tr>
                <th>Gate</th>
                <th>Threshold</th>
                <th>Needs (healthy candidate)</th>
              </tr>
            </thead>
            <tbody>
              {plan.gates.map((g) => (
                <tr key={g.gate}>
                  <td class="mono">{g.gate}</td>
                  <td>{g.threshold}</td>
                  <td>
                    {g.inferencesNeeded === null
                      ? `not decidable: ${g.note ?? ''}`
                      : `≈ ${count(g.inferencesNeeded)} inferences`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <table class="table" data-testid="plan-stages">
            <thead>
              <tr>
                <th>Stage</th>
                <th>Inferences/min</th>
                <th>Needs</th>
              </tr>
            </thead>
            <tbody>
              {plan.stages.map((s) => (
                <tr key={s.percent} data-enough={String(s.enoughTime)}>
                  <td>{s.percent}%</td>
                  <td>{count(s.inferencesPerMinute)}</td>
                  <td>
                    {s.minutesNeeded === null ? 'n/a' : `≈ ${planDurationText(s.minutesNeeded)}`}
                    {s.minutesNeeded !== null && !s.enoughTime && s.minDurationMs > 0 && (
                      <span class="muted">
                        {' '}
                        (longer than the stage's {planDurationText(s.minDurationMs / 60_000)})
                      </span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {plan.suggestedMinInferences !== null && (
            <button
              type="button"
              class="btn small"
              onClick={() => onUseMinInferences(plan.suggestedMinInferences!)}
              data-action="use-min-inferences"
            >
              Use {count(plan.suggestedMinInferences)} as min inferences per stage
            </button>
          )}
          {plan.notes.map((n) => (
            <p key={n} class="muted">
              {n}
            </p>
          ))}
        </div>
      )}
    </fieldset>
  );
}
