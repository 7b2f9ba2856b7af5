import { sampleFilterSchema, sampleListQuerySchema } from '@edgefleet/shared/api';
import { CAPTURE_REASONS as SHARED_REASONS } from '@edgefleet/shared/capture';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { href, parseRoute } from '../router';
import {
  CAPTURE_REASONS,
  filterParamsOf,
  filterQueryOf,
  listQueryOf,
  NO_FILTER,
  SAMPLE_RANGES,
  type SampleFilterParams,
  sampleFilterOf,
} from './filter';

const NOW = 1_765_000_000_000;
const text = fc.string({ minLength: 0, maxLength: 40 }).map((s) => s.trim());
const id = fc.oneof(fc.constant(''), fc.stringMatching(/^[A-Za-z0-9][\w.-]{0,30}$/));
const params: fc.Arbitrary<SampleFilterParams> = fc.record({
  model: id,
  version: text,
  reason: fc.constantFrom('', ...CAPTURE_REASONS),
  predicted: text,
  label: text,
  labelled: fc.constantFrom('', 'true', 'false'),
  device: id,
  slice: text,
  range: fc.constantFrom('', ...SAMPLE_RANGES.map(([k]) => k)),
});

describe('sample filter ⇄ URL', () => {
  it('lists every capture reason of the shared contract', () => {
    expect([...CAPTURE_REASONS]).toEqual([...SHARED_REASONS]);
  });

  it('round-trips through the hash link for any filter', () => {
    fc.assert(
      fc.property(params, (p) => {
        const route = parseRoute(href('samples', filterQueryOf(p)));
        expect(route.parts).toEqual(['samples']);
        expect(filterParamsOf(route.query)).toEqual(p);
      }),
    );
  });

  it('leaves unfiltered fields out of the link', () => {
    expect(href('samples', filterQueryOf(NO_FILTER))).toBe('#/samples');
    expect(href('samples', filterQueryOf({ ...NO_FILTER, labelled: 'false', slice: 'line=2' }))).toBe(
      '#/samples?labelled=false&slice=line%3D2',
    );
  });

  it('drops values it does not know instead of guessing', () => {
    const p = filterParamsOf(
      new URLSearchParams('reason=bogus&labelled=yes&range=2y&model=%20cls%20&extra=1&device='),
    );
    expect(p).toEqual({ ...NO_FILTER, model: 'cls' });
    expect(filterParamsOf(new URLSearchParams(`slice=${'x'.repeat(10_000)}`)).slice).toHaveLength(4096);
  });

  it('gives the API a filter its schema accepts, the range as `from`', () => {
    fc.assert(
      fc.property(params, (p) => {
        const filter = sampleFilterOf(p, NOW);
        expect(sampleFilterSchema.safeParse(filter).success).toBe(true);
        expect(filter.labelled).toBe(p.labelled === '' ? undefined : p.labelled === 'true');
        if (p.range) expect(filter.from).toBe(NOW - SAMPLE_RANGES.find(([k]) => k === p.range)![1]);
        else expect(filter.from).toBeUndefined();
      }),
    );
  });

  it('builds list queries the server parses back to the same filter, with the cursor and page size', () => {
    const p = {
      ...NO_FILTER,
      model: 'cls',
      reason: 'random' as const,
      labelled: 'false' as const,
      range: '24h',
    };
    const query = listQueryOf(p, NOW, { cursor: 'c42', limit: 48 });
    const search = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    const parsed = sampleListQuerySchema.parse(Object.fromEntries(search));
    expect(parsed).toEqual({
      model: 'cls',
      reason: 'random',
      labelled: false,
      from: NOW - 86_400_000,
      cursor: 'c42',
      limit: 48,
    });
    expect(listQueryOf(NO_FILTER, NOW, { cursor: null, limit: 10 })).toEqual({ limit: 10 });
  });
});
