/**
 * A bucket width for `points` steps over `rangeMs`, at least `minMs`: whole seconds below a minute, whole
 * minutes below an hour, whole hours above (the server merges hourly aggregates only in whole hours).
 */
export function stepOf(rangeMs: number, points = 60, minMs = 60_000): number {
  const raw = Math.max(minMs, rangeMs / points);
  const unit = raw < 60_000 ? 1_000 : raw < 3_600_000 ? 60_000 : 3_600_000;
  return Math.max(unit, Math.round(raw / unit) * unit);
}
