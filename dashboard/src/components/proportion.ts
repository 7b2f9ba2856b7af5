import type { Proportion } from '@edgefleet/shared/api';
import { formatConfidence, formatPercent } from '../format';

// Where a proportion and its interval sit on a 0…1 bar, its one-line description, and the confusion matrix's
// heat tone.

/** A proportion on a 0…100 % bar: the interval as a band, the estimate as a tick; null when there were no trials. */
export interface ProportionBand {
  fromPct: number;
  toPct: number;
  estimatePct: number;
}

const pct = (x: number) => Math.max(0, Math.min(1, x)) * 100;

/** Example: 93/100 with interval [0.861, 0.971] → band 86.1…97.1 %, tick at 93 %. */
export function proportionBand(p: Proportion): ProportionBand | null {
  if (p.trials === 0 || p.estimate === null) return null;
  return { fromPct: pct(p.lower), toPct: pct(p.upper), estimatePct: pct(p.estimate) };
}

/** `92.5% (111/120), 95% interval 86.3%–96.5%`; `no data (0 trials)` when there were none. */
export function describeProportion(p: Proportion, confidence: number): string {
  if (p.trials === 0 || p.estimate === null) return 'no data (0 trials)';
  return `${formatPercent(p.estimate)} (${p.successes}/${p.trials}), ${formatConfidence(confidence)} interval ${formatPercent(p.lower)}–${formatPercent(p.upper)}`;
}

/**
 * The background of a confusion-matrix cell: green on the diagonal (right answers), red off it (mistakes), as
 * opaque as the cell's share of its row (the true label's predictions); transparent for an empty cell.
 * Example: 4 of a row of 16 off the diagonal → `rgba(220, 38, 38, 0.25)`.
 */
export function confusionCellColor(count: number, rowTotal: number, diagonal: boolean): string {
  if (count <= 0 || rowTotal <= 0) return 'transparent';
  const alpha = Math.round(Math.min(1, count / rowTotal) * 100) / 100;
  return diagonal ? `rgba(22, 163, 74, ${alpha})` : `rgba(220, 38, 38, ${alpha})`;
}
