import type { ProfileJSON } from '@edgefleet/shared';
import { TokenBuckets } from '../auth/rate-limit';
import type { ReportEnvelope } from './report-envelope';

/** Limits every telemetry report meets, whichever path it came by (HTTP, MQTT over TCP or WebSocket). */
export interface TelemetryLimits {
  /** Most inferences per second of window one client may claim; also the refill of its inference budget. */
  maxInferencesPerS: number;
  /** Longest window one report may cover (an outbox merges offline windows up to this). */
  maxWindowMs: number;
  /** Reports per second one client id (and one device) may send, sustained; bursts of 600 (a catch-up). */
  clientReportsPerS: number;
  /** Reports per second one app key (all its browsers together) may send, sustained; bursts of 5 s of it. */
  appReportsPerS: number;
}

/** Defaults: generous for a station at 100 inferences/s, tight for a script posting as many clients. */
export const DEFAULT_TELEMETRY_LIMITS: TelemetryLimits = {
  maxInferencesPerS: 1000,
  maxWindowMs: 7 * 86_400_000,
  clientReportsPerS: 2,
  appReportsPerS: 100,
};

/** Seconds of inferences at the full rate a client may have in hand at once (one hour: an outbox catching up). */
const INFERENCE_BURST_S = 3_600;
const CLIENT_REPORT_BURST = 600;
const APP_REPORT_BURST_S = 5;

/** Why a report was refused by the guards. */
export type GuardVerdict =
  | { ok: true }
  | { ok: false; reason: 'implausible' | 'rate_limited'; message: string };

const valuesIn = (m: readonly number[]): number => (m[0] ?? 0) + (m[5] ?? 0) + (m[6] ?? 0) + (m[7] ?? 0);
const countsIn = (c: { c: readonly (readonly [string, number])[]; other: number }): number =>
  c.c.reduce((sum, [, count]) => sum + count, 0) + c.other;

/**
 * Whether a (schema-valid) report's numbers can be true: a window no longer than `maxWindowMs`, at most
 * `maxInferencesPerS` inferences per second of it, and sketches that agree with its inference count (every
 * inference adds exactly one value, or one missing, to each input feature; top-1 classes, outputs, shadow
 * comparisons and errors never exceed it). `inferences: 2^53−1` with histograms that count 2 fails here.
 */
export function implausibility(report: ReportEnvelope, limits: TelemetryLimits): string | null {
  const profile = report.profile as ProfileJSON;
  const n = profile.inferences;
  const windowMs = report.window.endMs - report.window.startMs;
  if (windowMs > limits.maxWindowMs) return `window of ${windowMs} ms exceeds ${limits.maxWindowMs} ms`;
  const cap = Math.ceil((Math.max(windowMs, 1000) / 1000) * limits.maxInferencesPerS);
  if (n > cap) return `${n} inferences in a ${windowMs} ms window exceed ${limits.maxInferencesPerS}/s`;
  for (const [i, feature] of profile.inputs.entries()) {
    const values = valuesIn(feature.m);
    if (values !== n) return `inputs.${i} counts ${values} values for ${n} inferences`;
  }
  for (const [i, feature] of profile.outputs.entries()) {
    const values = valuesIn(feature.m);
    if (values > n) return `outputs.${i} counts ${values} values for ${n} inferences`;
  }
  const classes = countsIn(profile.classes);
  if (classes > n) return `classes count ${classes} top-1 results for ${n} inferences`;
  if (profile.shadow.compared > n) return `shadow compared ${profile.shadow.compared} of ${n} inferences`;
  const errors = countsIn(profile.errors);
  if (errors > cap) return `${errors} errors in a ${windowMs} ms window exceed ${limits.maxInferencesPerS}/s`;
  return null;
}

/**
 * Plausibility and budgets in one place, applied by the ingestor to every report of every path: per client id
 * (reports/s and inferences/s claimed), per app key (reports/s of all its browsers) and per device. A refused
 * report is not stored and not acked: an honest client keeps it and sends it again later.
 */
export class TelemetryGuards {
  private readonly clientReports: TokenBuckets;
  private readonly clientInferences: TokenBuckets;
  private readonly appReports: TokenBuckets;

  constructor(
    readonly limits: TelemetryLimits = DEFAULT_TELEMETRY_LIMITS,
    now: () => number = Date.now,
  ) {
    this.clientReports = new TokenBuckets(limits.clientReportsPerS, CLIENT_REPORT_BURST, now);
    this.clientInferences = new TokenBuckets(
      limits.maxInferencesPerS,
      limits.maxInferencesPerS * INFERENCE_BURST_S,
      now,
    );
    this.appReports = new TokenBuckets(
      limits.appReportsPerS,
      limits.appReportsPerS * APP_REPORT_BURST_S,
      now,
    );
  }

  /** Checks one report from `source` (`dev`: a device id, `app`: an app id). */
  check(source: { scope: 'dev' | 'app'; sourceId: string }, report: ReportEnvelope): GuardVerdict {
    const wrong = implausibility(report, this.limits);
    if (wrong) return { ok: false, reason: 'implausible', message: wrong };
    const client = `${source.scope}\u0000${source.sourceId}\u0000${report.clientId}`;
    if (source.scope === 'app' && this.appReports.take(source.sourceId) > 0) {
      return { ok: false, reason: 'rate_limited', message: `report budget of app ${source.sourceId} spent` };
    }
    if (this.clientReports.take(client) > 0) {
      return {
        ok: false,
        reason: 'rate_limited',
        message: `report budget of client ${report.clientId} spent`,
      };
    }
    const inferences = (report.profile as ProfileJSON).inferences;
    if (inferences > 0 && this.clientInferences.take(client, inferences) > 0) {
      return {
        ok: false,
        reason: 'rate_limited',
        message: `inference budget of client ${report.clientId} spent`,
      };
    }
    return { ok: true };
  }
}
