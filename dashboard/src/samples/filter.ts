import type { SampleFilter } from '@edgefleet/shared/api';
import type { CaptureReason } from '@edgefleet/shared/capture';
import type { SampleListQuery } from '../api/client';

/** The Samples page's time ranges: captured within the last … (empty: any time). */
export const SAMPLE_RANGES: [string, number][] = [
  ['1h', 3_600_000],
  ['24h', 24 * 3_600_000],
  ['7d', 7 * 24 * 3_600_000],
  ['30d', 30 * 24 * 3_600_000],
];

/**
 * The capture reasons, spelled here because `@edgefleet/shared/capture`'s runtime list sits beside its zod schemas
 * (importing it would put zod in the bundle); the type below fails to compile when shared adds a reason.
 */
export const CAPTURE_REASONS = [
  'low_confidence',
  'low_margin',
  'out_of_range',
  'random',
  'disagreement',
] as const satisfies readonly CaptureReason[];
type Unlisted = Exclude<CaptureReason, (typeof CAPTURE_REASONS)[number]>;
const _everyReasonListed: [Unlisted] extends [never] ? true : never = true;

/** The Samples page's filter as the URL keeps it: every field a string, empty = not filtered. */
export interface SampleFilterParams {
  model: string;
  version: string;
  reason: CaptureReason | '';
  predicted: string;
  label: string;
  labelled: 'true' | 'false' | '';
  device: string;
  slice: string;
  range: string;
}

export const NO_FILTER: SampleFilterParams = {
  model: '',
  version: '',
  reason: '',
  predicted: '',
  label: '',
  labelled: '',
  device: '',
  slice: '',
  range: '',
};

const TEXT_FIELDS = ['model', 'version', 'predicted', 'label', 'device', 'slice'] as const;
const MAX_TEXT = 4096;

const isReason = (v: string): v is CaptureReason => (CAPTURE_REASONS as readonly string[]).includes(v);

/** The filter in a hash query (`#/samples?model=cls&labelled=false`); unknown values are dropped, not guessed. */
export function filterParamsOf(query: URLSearchParams): SampleFilterParams {
  const p = { ...NO_FILTER };
  for (const key of TEXT_FIELDS) p[key] = (query.get(key) ?? '').trim().slice(0, MAX_TEXT);
  const reason = query.get('reason') ?? '';
  if (isReason(reason)) p.reason = reason;
  const labelled = query.get('labelled');
  if (labelled === 'true' || labelled === 'false') p.labelled = labelled;
  const range = query.get('range') ?? '';
  if (SAMPLE_RANGES.some(([k]) => k === range)) p.range = range;
  return p;
}

/** The filter as hash query entries for `href('samples', …)`: empty fields are left out. */
export function filterQueryOf(p: SampleFilterParams): Record<string, string | undefined> {
  const query: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(p)) if (value) query[key] = value;
  return query;
}

/** The filter as the API takes it (`POST /datasets` body, the list's query): the range becomes `from` at `nowMs`. */
export function sampleFilterOf(p: SampleFilterParams, nowMs: number): SampleFilter {
  const filter: SampleFilter = {};
  for (const key of TEXT_FIELDS) if (p[key]) filter[key] = p[key];
  if (p.reason) filter.reason = p.reason;
  if (p.labelled) filter.labelled = p.labelled === 'true';
  const rangeMs = SAMPLE_RANGES.find(([k]) => k === p.range)?.[1];
  if (rangeMs !== undefined) filter.from = Math.max(0, nowMs - rangeMs);
  return filter;
}

/** The query of one page of `GET /api/v1/samples`. */
export function listQueryOf(
  p: SampleFilterParams,
  nowMs: number,
  page: { cursor?: string | null; limit: number },
): SampleListQuery {
  const { labelled, ...filter } = sampleFilterOf(p, nowMs);
  return {
    ...filter,
    ...(labelled !== undefined ? { labelled: labelled ? 'true' : 'false' } : {}),
    ...(page.cursor ? { cursor: page.cursor } : {}),
    limit: page.limit,
  };
}
