import type { Proportion } from '@edgefleet/shared/api';
import { formatPercent } from '../format';
import { describeProportion, proportionBand } from './proportion';

/** A proportion on a 0…100 % bar (the gate bar's look, without a threshold): interval as a band, estimate as a tick. */
export function ProportionBar({ p, confidence }: { p: Proportion; confidence: number }) {
  const band = proportionBand(p);
  const label = describeProportion(p, confidence);
  const at = (x: number) => `${x.toFixed(2)}%`;
  return (
    <div class="proportion">
      <div class="gate-bar info" role="img" aria-label={label} title={label} data-testid="proportion-bar">
        {band && (
          <>
            <div
              class="gate-bar-band"
              style={{ left: at(band.fromPct), width: at(Math.max(0, band.toPct - band.fromPct)) }}
            />
            <div class="gate-bar-estimate" style={{ left: at(band.estimatePct) }} />
          </>
        )}
      </div>
      <div class="gate-numbers small muted">
        <span>{band ? formatPercent(p.lower) : ''}</span>
        <span>
          {p.successes}/{p.trials}
        </span>
        <span>{band ? formatPercent(p.upper) : ''}</span>
      </div>
    </div>
  );
}
