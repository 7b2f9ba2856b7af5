import type { SampleFilter } from '@edgefleet/shared/api';
import { parseDuration } from './flags';
import { UsageError } from './io';
import { printable } from './output';

// The sample filter as flags, one definition for `samples list` and `dataset create`.

/** The filter flags (the server checks the values against the shared sampleFilterSchema). */
export const SAMPLE_FILTER_OPTIONS = {
  model: { type: 'string' },
  version: { type: 'string' },
  reason: { type: 'string' },
  predicted: { type: 'string' },
  label: { type: 'string' },
  device: { type: 'string' },
  app: { type: 'string' },
  slice: { type: 'string' },
  since: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
} as const;

type FilterValues = { [K in keyof typeof SAMPLE_FILTER_OPTIONS]?: string | undefined };

/** `2026-12-01T10:00:00Z` or epoch ms → ms. */
export function timeOf(text: string, flag: string): number {
  const ms = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isSafeInteger(ms) || ms < 0)
    throw new UsageError(`${flag}: expected an ISO 8601 time or epoch ms, got '${printable(text)}'`);
  return ms;
}

/** The filter the flags name; `--since 24h` is `--from` 24 h before `nowMs`. */
export function sampleFilterOf(values: FilterValues, nowMs: number): SampleFilter {
  if (values.since !== undefined && values.from !== undefined)
    throw new UsageError('give --since or --from, not both');
  const from =
    values.since !== undefined
      ? nowMs - parseDuration(values.since, '--since')
      : values.from !== undefined
        ? timeOf(values.from, '--from')
        : undefined;
  const filter: SampleFilter = {
    model: values.model,
    version: values.version,
    reason: values.reason as SampleFilter['reason'],
    predicted: values.predicted,
    label: values.label,
    device: values.device,
    app: values.app,
    slice: values.slice,
    from,
    to: values.to === undefined ? undefined : timeOf(values.to, '--to'),
  };
  for (const key of Object.keys(filter) as (keyof SampleFilter)[])
    if (filter[key] === undefined) delete filter[key];
  return filter;
}
