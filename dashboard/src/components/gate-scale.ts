import type { GateValueView as GateValue } from '@edgefleet/shared/api';
import { formatConfidence, formatNumber } from '../format';

// Where a gate's estimate, interval and threshold sit on a small horizontal scale (the gate table's bar).

/** What a gate value carries as evidence: an interval, a point estimate (no bound derivable), a stage count, nothing. */
export type GateEvidence = 'interval' | 'point' | 'count' | 'none';

/** A position on the scale in percent of its width (0…100); `clipped` when the value lies past that end. */
export interface ScalePosition {
  pct: number;
  clipped: 'low' | 'high' | null;
}

export interface GateScale {
  /** The scale's ends, in the gate's unit. */
  lo: number;
  hi: number;
  evidence: GateEvidence;
  threshold: ScalePosition;
  estimate: ScalePosition | null;
  /** The interval as drawn; an open end (unbounded, or past the scale) is drawn to the edge with an arrow. */
  band: { fromPct: number; toPct: number; openLow: boolean; openHigh: boolean } | null;
}

/** How far past the threshold the scale reaches, in units of |threshold|: anything further is clipped. */
const REACH = 3;

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** The evidence behind a gate value (rows written before gates were tests have no `test`: point estimates). */
export function gateEvidence(g: GateValue): GateEvidence {
  if (g.test === 'minimum') return 'count';
  if (g.test === 'none' || (!finite(g.value) && !finite(g.lower) && !finite(g.upper))) return 'none';
  if (!g.test || g.test === 'point') return 'point';
  return finite(g.lower) || finite(g.upper) ? 'interval' : 'point';
}

/**
 * The scale for one gate: from min(0, 2·threshold, the numbers) to max(0, 2·threshold, the numbers), but never
 * more than {@link REACH}·|threshold| past the threshold on either side, so a huge or unbounded upper bound does not
 * squash the rest (it is clipped and marked). A null bound of an interval is unbounded on that side (JSON has no
 * ∞). Example: a PSI gate ≤ 0.25 with estimate 0.04 and interval [0, 0.31] gets 0…0.5, threshold at 50 %.
 */
export function gateScale(g: GateValue): GateScale {
  const evidence = gateEvidence(g);
  const t = g.threshold;
  const numbers = [
    g.value,
    evidence === 'interval' ? g.lower : null,
    evidence === 'interval' ? g.upper : null,
  ].filter(finite);
  const base = t !== 0 ? Math.abs(t) : Math.max(0, ...numbers.map(Math.abs)) || 1;
  let lo = Math.max(Math.min(0, 2 * t, ...numbers), t - REACH * base);
  let hi = Math.min(Math.max(0, 2 * t, ...numbers), t + REACH * base);
  if (!(hi > lo)) {
    lo -= base / 2;
    hi += base / 2;
  }
  const at = (x: number): ScalePosition => {
    if (x < lo) return { pct: 0, clipped: 'low' };
    if (x > hi) return { pct: 100, clipped: 'high' };
    return { pct: ((x - lo) / (hi - lo)) * 100, clipped: null };
  };
  const estimate = finite(g.value) ? at(g.value) : null;
  let band: GateScale['band'] = null;
  if (evidence === 'interval') {
    const from = finite(g.lower) ? at(g.lower) : { pct: 0, clipped: 'low' as const };
    const to = finite(g.upper) ? at(g.upper) : { pct: 100, clipped: 'high' as const };
    band = {
      fromPct: from.pct,
      toPct: to.pct,
      openLow: from.clipped === 'low',
      openHigh: to.clipped === 'high',
    };
  }
  return { lo, hi, evidence, threshold: at(t), estimate, band };
}

/** One line with the numbers behind a gate's bar, for its title and aria-label. */
export function describeGate(g: GateValue): string {
  const threshold = `threshold ${g.bound === 'max' ? '≤' : '≥'} ${formatNumber(g.threshold)}`;
  const evidence = gateEvidence(g);
  const estimate = `estimate ${formatNumber(g.value)}`;
  if (evidence === 'none') return `${g.gate}: no data yet, ${threshold}`;
  if (evidence === 'count') return `${g.gate}: ${formatNumber(g.value)}, ${threshold}`;
  if (evidence === 'point') return `${g.gate}: ${estimate} (point estimate, no interval), ${threshold}`;
  const lower = finite(g.lower) ? formatNumber(g.lower) : '−∞';
  const upper = finite(g.upper) ? formatNumber(g.upper) : '∞';
  const level = finite(g.confidence) ? `${formatConfidence(g.confidence)} ` : '';
  return `${g.gate}: ${estimate}, ${level}interval ${lower} to ${upper}, ${threshold}`;
}
