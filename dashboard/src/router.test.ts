import { describe, expect, it } from 'vitest';
import { href, parseRoute } from './router';

describe('hash routes', () => {
  it('round-trips ids that need escaping and drops empty query values', () => {
    const link = href('devices', 'st 1/ä?#', {
      selector: 'site=a,line in (1,2)',
      empty: '',
      none: undefined,
    });
    expect(link).toBe('#/devices/st%201%2F%C3%A4%3F%23?selector=site%3Da%2Cline+in+%281%2C2%29');
    const route = parseRoute(link);
    expect(route.parts).toEqual(['devices', 'st 1/ä?#']);
    expect(route.query.get('selector')).toBe('site=a,line in (1,2)');
  });

  it('keeps malformed escapes as they are instead of throwing', () => {
    expect(parseRoute('#/devices/%E0%A4%A').parts).toEqual(['devices', '%E0%A4%A']);
    expect(parseRoute('').parts).toEqual([]);
    expect(parseRoute('#//rollouts//new?').parts).toEqual(['rollouts', 'new']);
  });
});
