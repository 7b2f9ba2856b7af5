// Readers of a rollout plan for people (zod-free, for every client): the dashboard and the CLI say a stage's
// duration the same way.

/** A stage duration in the unit that reads best: `45 min`, `3.5 h`, `2.0 d`. */
export function planDurationText(minutes: number): string {
  if (minutes < 120) return `${Math.ceil(minutes)} min`;
  if (minutes < 2_880) return `${(minutes / 60).toFixed(1)} h`;
  return `${(minutes / 1_440).toFixed(1)} d`;
}
