import { describe, expect, it } from 'vitest';
import { admitSample, captureDayOf } from './budget';

const DAY = 86_400_000;
const budget = { maxSamplesPerDay: 3, maxBytesPerDay: 250, classQuotas: { b: 1 } };

describe('admitSample', () => {
  it('admits within the day bounds, refuses and counts beyond them, starts over the next UTC day', () => {
    const t0 = 10 * DAY + 5_000;
    let day = captureDayOf(t0);
    const admit = (sizeBytes: number, label: string | undefined, now = t0) => {
      const r = admitSample(budget, day, { sizeBytes, label }, now);
      day = r.day;
      return r.refused ?? 'ok';
    };
    expect(admit(100, 'a')).toBe('ok');
    expect(admit(100, 'b')).toBe('ok');
    expect(admit(10, 'b')).toBe('class_quota');
    expect(admit(60, 'a')).toBe('bytes');
    expect(admit(50, undefined)).toBe('ok');
    expect(admit(1, 'a')).toBe('samples');
    expect(day).toMatchObject({ samples: 3, bytes: 250, refused: { samples: 1, bytes: 1, class_quota: 1 } });
    expect(admit(100, 'b', t0 + DAY)).toBe('ok');
    expect(day).toMatchObject({
      dayMs: 11 * DAY,
      samples: 1,
      bytes: 100,
      refused: { samples: 0, bytes: 0, class_quota: 0 },
    });
  });

  it('keeps class names that are Object.prototype keys as plain counts', () => {
    const r = admitSample(
      { maxSamplesPerDay: 5, maxBytesPerDay: 10 },
      captureDayOf(0),
      { sizeBytes: 1, label: '__proto__' },
      0,
    );
    expect(r.refused).toBeUndefined();
    expect(Object.hasOwn(r.day.perClass, '__proto__')).toBe(true);
  });
});
