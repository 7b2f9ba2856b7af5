import type { GateValueView as GateValue } from '@edgefleet/shared/api';
import { describeGate, gateScale } from './gate-scale';
import type { Tone } from './widgets';

/**
 * A gate's interval against its threshold: the interval as a band, the estimate as a tick (a dot when there is no
 * interval), the threshold as a dashed line; an end past the scale (or unbounded) runs to the edge with an arrow,
 * and an estimate past it is only the arrow (the number is under the bar).
 */
export function GateBar({ g, tone }: { g: GateValue; tone: Tone }) {
  const s = gateScale(g);
  const low = s.band?.openLow || s.estimate?.clipped === 'low';
  const high = s.band?.openHigh || s.estimate?.clipped === 'high';
  const label = describeGate(g);
  const pct = (x: number) => `${x.toFixed(2)}%`;
  return (
    <div
      class={`gate-bar ${tone}`}
      role="img"
      aria-label={label}
      title={label}
      data-testid="gate-bar"
      data-evidence={s.evidence}
    >
      {s.band && (
        <div
          class={`gate-bar-band${s.band.openLow ? ' open-low' : ''}${s.band.openHigh ? ' open-high' : ''}`}
          style={{ left: pct(s.band.fromPct), width: pct(Math.max(0, s.band.toPct - s.band.fromPct)) }}
        />
      )}
      <div class="gate-bar-threshold" style={{ left: pct(s.threshold.pct) }} />
      {s.estimate && s.estimate.clipped === null && (
        <div
          class={`gate-bar-estimate${s.evidence === 'interval' ? '' : ' alone'}`}
          style={{ left: pct(s.estimate.pct) }}
        />
      )}
      {low && <span class="gate-bar-clip low">◂</span>}
      {high && <span class="gate-bar-clip high">▸</span>}
    </div>
  );
}
