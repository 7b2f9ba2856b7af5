// Seeded simulation of a version's labelled error stream through the real ConceptDriftDetector: the evidence
// behind the concept-drift alert's stated false-alarm rate and its detection delay (small in CI, full size in
// `pnpm bench`).

import { ConceptDriftDetector } from './concept-drift';
import { createRandom } from './random';

/** One simulated stream: hours of labels at an error rate that may step up at `changeAtHour`. */
export interface ConceptDriftScenario {
  seed: number;
  hours: number;
  /** Mean labels per hour; each hour draws uniformly within ±50 % of it (operators label unevenly). */
  labelsPerHour: number;
  errorRate: number;
  falseAlarmsPerDay: number;
  minLabels?: number;
  /** The error rate becomes `errorRateAfter` from this hour on. */
  changeAtHour?: number;
  errorRateAfter?: number;
}

/** One stream's run: alerts raised and the hour of the first alarm (null: none). */
export function simulateConceptDriftRun(s: ConceptDriftScenario): {
  raised: number;
  firstAlarmHour: number | null;
} {
  const rng = createRandom(s.seed);
  const d = new ConceptDriftDetector({
    falseAlarmsPerDay: s.falseAlarmsPerDay,
    ...(s.minLabels !== undefined ? { minLabels: s.minLabels } : {}),
  });
  let firstAlarmHour: number | null = null;
  for (let h = 0; h < s.hours; h++) {
    const n = Math.max(1, Math.round(s.labelsPerHour * (0.5 + rng.uniform())));
    const changed = s.changeAtHour !== undefined && h >= s.changeAtHour;
    const p = changed ? (s.errorRateAfter ?? s.errorRate) : s.errorRate;
    d.observeHour(h * 3_600_000, n, rng.binomial(n, p));
    if (firstAlarmHour === null && d.view().alarm) firstAlarmHour = h;
  }
  return { raised: d.raised, firstAlarmHour };
}

/** False alerts per stream-day over `streams` healthy streams (seeds `seed`, `seed + 1`, …), with a Poisson 95 % upper bound. */
export function simulateConceptDriftFalseAlarms(
  s: Omit<ConceptDriftScenario, 'changeAtHour'>,
  streams: number,
) {
  let raised = 0;
  for (let v = 0; v < streams; v++) raised += simulateConceptDriftRun({ ...s, seed: s.seed + v }).raised;
  const days = (streams * s.hours) / 24;
  // Poisson upper bound (normal approximation plus 2; exact for 0: −ln 0.05 ≈ 3.0).
  const upper = (raised + 1.96 * Math.sqrt(raised) + 2) / days;
  return { raised, days, perDay: raised / days, upperPerDay: upper };
}

/** Hours from the change to the first alarm over `streams` changed streams (null: not within the stream; negative: before it). */
export function simulateConceptDriftDelays(
  s: ConceptDriftScenario & { changeAtHour: number; errorRateAfter: number },
  streams: number,
): (number | null)[] {
  const delays: (number | null)[] = [];
  for (let v = 0; v < streams; v++) {
    const { firstAlarmHour } = simulateConceptDriftRun({ ...s, seed: s.seed + v });
    delays.push(firstAlarmHour === null ? null : firstAlarmHour - s.changeAtHour);
  }
  return delays;
}
