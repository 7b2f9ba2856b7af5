import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Structured JSON logger for one server instance: one line per event, ids as fields. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { svc: 'fleet-server' } });
}
