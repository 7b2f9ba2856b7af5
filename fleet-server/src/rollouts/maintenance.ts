import { WEEKDAYS } from '@edgefleet/shared/api';

/** Days of the week as written in maintenance windows. */
export { WEEKDAYS };
/** A day of the week. */
export type Weekday = (typeof WEEKDAYS)[number];

/**
 * A recurring maintenance window in a site's time zone, e.g. Mon–Fri 22:00–06:00 Europe/Berlin.
 * A window whose end is at or before its start runs past midnight; `days` name the day it starts on.
 */
export interface MaintenanceWindow {
  days: Weekday[];
  /** `HH:MM`, local time. */
  start: string;
  /** `HH:MM`, local time; `24:00` allowed. */
  end: string;
  /** IANA zone, e.g. `Europe/Berlin`. */
  timeZone: string;
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/;

/** Minutes after local midnight of `HH:MM`. */
function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** Local weekday and minute of the day of `nowMs` in `timeZone` (via Intl; no tz database of our own). */
export function localTime(nowMs: number, timeZone: string): { day: number; minute: number } {
  const parts = formatterOf(timeZone).formatToParts(new Date(nowMs));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = WEEKDAYS.indexOf(get('weekday').toLowerCase().slice(0, 3) as Weekday);
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

/** Why a window is unusable (bad time, unknown zone, no days), or null. */
export function checkMaintenanceWindow(window: MaintenanceWindow): string | null {
  if (window.days.length === 0) return 'expected at least one day';
  if (!HHMM.test(window.start) || window.start === '24:00')
    return `start: expected HH:MM, got '${window.start}'`;
  if (!HHMM.test(window.end)) return `end: expected HH:MM, got '${window.end}'`;
  try {
    formatterOf(window.timeZone);
  } catch {
    return `timeZone: unknown IANA time zone '${window.timeZone}'`;
  }
  return null;
}

function inWindow(window: MaintenanceWindow, nowMs: number): boolean {
  const { day, minute } = localTime(nowMs, window.timeZone);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  const startsOn = (d: number) => window.days.includes(WEEKDAYS[(d + 7) % 7]!);
  if (end > start) return startsOn(day) && minute >= start && minute < end;
  // Past midnight: in the evening part of a listed day, or the morning part of the day after one.
  return (startsOn(day) && minute >= start) || (startsOn(day - 1) && minute < end);
}

/** Whether a stage may start or advance at `nowMs`: always without windows, else inside any of them. */
export function advanceAllowed(windows: readonly MaintenanceWindow[], nowMs: number): boolean {
  return windows.length === 0 || windows.some((window) => inWindow(window, nowMs));
}
