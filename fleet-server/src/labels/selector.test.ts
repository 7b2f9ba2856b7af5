import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatSelector, matchesSelector, parseSelector, type Selector } from './selector';

const parse = (text: string): Selector => {
  const result = parseSelector(text);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
};

describe('parseSelector', () => {
  it('reads every operator', () => {
    expect(parse('site=plant-a, line!=3,station in (7, 8),zone notin (x),gpu,!canary').requirements).toEqual([
      { key: 'site', op: 'eq', values: ['plant-a'] },
      { key: 'line', op: 'neq', values: ['3'] },
      { key: 'station', op: 'in', values: ['7', '8'] },
      { key: 'zone', op: 'notin', values: ['x'] },
      { key: 'gpu', op: 'exists', values: [] },
      { key: 'canary', op: 'notexists', values: [] },
    ]);
    expect(parse('a==b').requirements).toEqual([{ key: 'a', op: 'eq', values: ['b'] }]);
    expect(parse('   ').requirements).toEqual([]);
  });

  it('refuses malformed selectors with the position', () => {
    for (const bad of [
      '=x',
      'a in b',
      'a in (b',
      'a in ()',
      'a=b,',
      ',a',
      'a=b c',
      '!',
      'a in (b,,c)',
      'a=(b)',
    ]) {
      const result = parseSelector(bad);
      expect(result.ok, bad).toBe(false);
      if (!result.ok) expect(result.error.message).toMatch(/position \d+/);
    }
    expect(parseSelector('a'.repeat(5000)).ok).toBe(false);
  });

  it('matches labels', () => {
    const labels = { site: 'plant-a', line: '3', station: '7' };
    expect(matchesSelector(parse(''), labels)).toBe(true);
    expect(matchesSelector(parse('site=plant-a,station in (7,8)'), labels)).toBe(true);
    expect(matchesSelector(parse('line!=3'), labels)).toBe(false);
    expect(matchesSelector(parse('zone!=x,zone notin (a),!zone'), labels)).toBe(true);
    expect(matchesSelector(parse('zone in (a)'), labels)).toBe(false);
    expect(matchesSelector(parse('toString'), labels)).toBe(false);
  });

  it('round-trips through formatSelector', () => {
    const key = fc.stringMatching(/^[a-z][a-z0-9.-]{0,8}$/);
    const value = fc.stringMatching(/^[a-z0-9._-]{1,6}$/);
    const requirement = fc.oneof(
      fc.record({ key, op: fc.constantFrom('eq' as const, 'neq' as const), values: fc.tuple(value) }),
      fc.record({
        key,
        op: fc.constantFrom('in' as const, 'notin' as const),
        values: fc.array(value, { minLength: 1, maxLength: 4 }),
      }),
      fc.record({
        key,
        op: fc.constantFrom('exists' as const, 'notexists' as const),
        values: fc.constant([] as []),
      }),
    );
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 6 }), (requirements) => {
        const selector = { requirements } as Selector;
        expect(parse(formatSelector(selector))).toEqual(selector);
      }),
    );
  });
});
