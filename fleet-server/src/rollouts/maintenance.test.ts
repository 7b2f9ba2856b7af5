import { describe, expect, it } from 'vitest';
import { advanceAllowed, checkMaintenanceWindow, localTime, type MaintenanceWindow } from './maintenance';

// 2026-11-23 is a Monday. Berlin is UTC+1 in November.
const utc = (day: number, hour: number, minute = 0) => Date.UTC(2026, 10, day, hour, minute);
const nights: MaintenanceWindow = {
  days: ['mon', 'tue', 'wed', 'thu', 'fri'],
  start: '22:00',
  end: '06:00',
  timeZone: 'Europe/Berlin',
};

describe('maintenance windows', () => {
  it('reads local weekday and time through Intl', () => {
    expect(localTime(utc(23, 21, 30), 'Europe/Berlin')).toEqual({ day: 1, minute: 22 * 60 + 30 });
    expect(localTime(utc(23, 23, 0), 'Asia/Tokyo')).toEqual({ day: 2, minute: 8 * 60 });
  });

  it('allows advances inside an overnight window in the site zone, holds outside', () => {
    expect(advanceAllowed([nights], utc(23, 20, 59))).toBe(false); // Mon 21:59 Berlin
    expect(advanceAllowed([nights], utc(23, 21, 0))).toBe(true); // Mon 22:00 Berlin
    expect(advanceAllowed([nights], utc(24, 4, 59))).toBe(true); // Tue 05:59 Berlin, from Monday night
    expect(advanceAllowed([nights], utc(24, 5, 0))).toBe(false); // Tue 06:00 Berlin
  });

  it('follows the day the window starts on across midnight', () => {
    // Sat 23:00 Berlin: Saturday is not a listed day; Sun 03:00 Berlin: Saturday night is not either.
    expect(advanceAllowed([nights], utc(28, 22, 0))).toBe(false);
    expect(advanceAllowed([nights], utc(29, 2, 0))).toBe(false);
    // Sat 03:00 Berlin belongs to Friday night.
    expect(advanceAllowed([nights], utc(28, 2, 0))).toBe(true);
  });

  it('always allows without windows; any window suffices', () => {
    expect(advanceAllowed([], utc(29, 12))).toBe(true);
    const sundayNoon: MaintenanceWindow = { days: ['sun'], start: '11:00', end: '13:00', timeZone: 'UTC' };
    expect(advanceAllowed([nights, sundayNoon], utc(29, 12))).toBe(true);
    expect(advanceAllowed([nights, sundayNoon], utc(29, 13))).toBe(false);
  });

  it('checks windows', () => {
    expect(checkMaintenanceWindow(nights)).toBeNull();
    expect(checkMaintenanceWindow({ ...nights, timeZone: 'Mars/Olympus' })).toContain('unknown IANA');
    expect(checkMaintenanceWindow({ ...nights, start: '25:00' })).toContain('start');
    expect(checkMaintenanceWindow({ ...nights, days: [] })).toContain('day');
  });
});
