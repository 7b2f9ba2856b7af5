import type { FeedbackAggregate } from '@edgefleet/shared';
import type { QualityPoint, QualitySlice } from '@edgefleet/shared/api';
import { figuresOf, sumFeedback } from './quality';
import type { FeedbackRow } from './store';

/** Where a report belongs when slicing by label `by`: its device's value of that label, or its web app. */
export function sliceOf(
  row: Pick<FeedbackRow, 'scope' | 'sourceId' | 'deviceLabels'>,
  by: string,
): QualitySlice['slice'] {
  if (row.scope === 'app') return { kind: 'app', key: 'app', value: row.sourceId };
  return { kind: 'label', key: by, value: row.deviceLabels?.[by] ?? null };
}

/** `buckets` equal time buckets over `[fromMs, toMs)`, each the figures of the reports whose window ends in it. */
export function seriesOf(
  rows: readonly FeedbackRow[],
  fromMs: number,
  toMs: number,
  buckets: number,
): QualityPoint[] {
  const widthMs = (toMs - fromMs) / buckets;
  const edge = (i: number) => (i === buckets ? toMs : Math.round(fromMs + i * widthMs));
  const parts: FeedbackAggregate[][] = Array.from({ length: buckets }, () => []);
  for (const row of rows) {
    let i = Math.min(buckets - 1, Math.floor((row.windowEndMs - fromMs) / widthMs));
    // Rounded edges: a window end on the boundary belongs to the bucket whose [from, to) holds it.
    while (i > 0 && row.windowEndMs < edge(i)) i--;
    while (i < buckets - 1 && row.windowEndMs >= edge(i + 1)) i++;
    parts[i]!.push(row.feedback);
  }
  return parts.map((aggregates, i) => ({
    fromMs: edge(i),
    toMs: edge(i + 1),
    ...figuresOf(sumFeedback(aggregates).sum, aggregates.length),
  }));
}

/** The figures per slice (devices by label `by`, each web app alone), largest by labels first. */
export function slicesOf(rows: readonly FeedbackRow[], by: string): QualitySlice[] {
  const groups = new Map<
    string,
    { slice: QualitySlice['slice']; sources: Set<string>; aggregates: FeedbackAggregate[] }
  >();
  for (const row of rows) {
    const slice = sliceOf(row, by);
    const key = JSON.stringify(slice);
    let g = groups.get(key);
    if (!g) {
      g = { slice, sources: new Set(), aggregates: [] };
      groups.set(key, g);
    }
    g.sources.add(`${row.scope}/${row.sourceId}`);
    g.aggregates.push(row.feedback);
  }
  return [...groups.values()]
    .map((g) => ({
      slice: g.slice,
      sources: g.sources.size,
      ...figuresOf(sumFeedback(g.aggregates).sum, g.aggregates.length),
    }))
    .sort((a, b) => b.labelled - a.labelled || String(a.slice.value).localeCompare(String(b.slice.value)));
}
