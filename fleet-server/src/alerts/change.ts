import {
  ChangeDetector,
  type ChangeStreamView,
  type CusumDesign,
  designCusum,
  streamCount,
  summarizeProfile,
} from '@edgefleet/shared/stats';
import { type FleetDb, schema } from '../db';
import type { SpecResolver } from '../models';
import { HOUR_MS } from '../monitoring/timeseries';
import { mergedProfile } from '../monitoring/version-metrics';
import type { AlertCondition } from './store';

/** Windows of the change streams: the hourly aggregates. */
export const CHANGE_WINDOWS_PER_DAY = 24;
/** An hour is scored once this long after it ended (reports of its last windows are still arriving). */
export const CHANGE_GRACE_MS = 10 * 60_000;

/** What {@link ChangeMonitor} needs from the config. */
export interface ChangeMonitorOptions {
  /** Expected false alerts per version (and role) and day, over all its streams. */
  falseAlarmsPerDay: number;
  /** How far back a stream starts when the server first sees a version (ms). */
  lookbackMs: number;
  /** Fewest observations an hour needs in a stream to be scored. */
  minInferences: number;
}

interface VersionStream {
  detector: ChangeDetector;
  design: CusumDesign;
  /** Start of the next hour to score. */
  nextHourMs: number;
}

/** The conditions that hold, and the keys whose alert stays open (a stream that alarmed is not back at 0). */
export interface ChangeOutcome {
  conditions: AlertCondition[];
  undecided: string[];
}

/**
 * Sequential change detection per version and role over its hourly merged telemetry: one CUSUM per stream
 * (error rate, latency tail, each input and output distribution) on self-starting scores (each hour against
 * the version's earlier hours), with the threshold set for `falseAlarmsPerDay` false alerts per version and
 * day (Bonferroni over its streams). Finds slow drift that no single window shows. State lives in memory; a
 * restarted server rebuilds it from the last `lookbackMs` of aggregates. An hour is scored once, after
 * {@link CHANGE_GRACE_MS}: reports that arrive later (a device back from days offline) are left out of it.
 */
export class ChangeMonitor {
  private readonly streams = new Map<string, VersionStream>();

  constructor(
    private readonly db: FleetDb,
    private readonly specs: SpecResolver,
    private readonly options: ChangeMonitorOptions,
  ) {}

  /** Scores every completed hour not scored yet and returns what holds. */
  evaluate(nowMs: number): ChangeOutcome {
    const v = schema.modelVersions;
    const versions = this.db.select({ name: v.modelName, version: v.version }).from(v).all();
    const outcome: ChangeOutcome = { conditions: [], undecided: [] };
    const lastHourMs = Math.floor((nowMs - CHANGE_GRACE_MS) / HOUR_MS) * HOUR_MS - HOUR_MS;
    for (const { name, version } of versions) {
      const found = this.specs.baselineOf(name, version);
      if (!found) continue;
      for (const role of ['active', 'shadow'] as const) {
        const key = `change:${name}@${version}:${role}`;
        const stream = this.streamOf(key, found.spec, nowMs);
        for (; stream.nextHourMs <= lastHourMs; stream.nextHourMs += HOUR_MS) {
          const range = {
            modelName: name,
            version,
            role,
            fromMs: stream.nextHourMs,
            toMs: stream.nextHourMs + HOUR_MS,
          };
          const merged = mergedProfile(this.db, this.specs, range);
          if (merged.profile) stream.detector.observe(summarizeProfile(stream.nextHourMs, merged.profile));
        }
        if (!stream.detector.open) continue;
        const alarms = stream.detector.alarms();
        if (alarms.length === 0) {
          outcome.undecided.push(key);
          continue;
        }
        outcome.conditions.push(changeCondition(key, { name, version, role }, stream.design, alarms));
      }
    }
    return outcome;
  }

  /** A version's spec never changes (a new spec is a new version), so its stream lives as long as the server. */
  private streamOf(key: string, spec: Parameters<typeof streamCount>[0], nowMs: number): VersionStream {
    let stream = this.streams.get(key);
    if (!stream) {
      const design = designCusum({
        windowsPerDay: CHANGE_WINDOWS_PER_DAY,
        falseAlarmsPerDay: this.options.falseAlarmsPerDay,
        streams: streamCount(spec),
      });
      stream = {
        detector: new ChangeDetector({ design, minCount: this.options.minInferences }),
        design,
        nextHourMs: Math.floor((nowMs - this.options.lookbackMs) / HOUR_MS) * HOUR_MS,
      };
      this.streams.set(key, stream);
    }
    return stream;
  }
}

const describeEffect = (a: ChangeStreamView): string => {
  if (!a.effect) return '';
  const { name, current, reference } = a.effect;
  if (name === 'psi') return `PSI ${current.toFixed(3)} against its earlier hours`;
  const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
  const label = name === 'error_rate' ? 'error rate' : 'share slower than the earlier p95';
  return `${label} ${pct(current)}${reference === null ? '' : ` (was ${pct(reference)})`}`;
};

function changeCondition(
  key: string,
  subject: { name: string; version: string; role: 'active' | 'shadow' },
  design: CusumDesign,
  alarms: ChangeStreamView[],
): AlertCondition {
  const worst = [...alarms].sort((a, b) => b.cusum - a.cusum)[0]!;
  const since = Math.min(...alarms.map((a) => a.sinceMs ?? Number.POSITIVE_INFINITY));
  const more = alarms.length > 1 ? ` and ${alarms.length - 1} more` : '';
  return {
    kind: 'change',
    key,
    severity: 'warning',
    subject: { model: subject.name, version: subject.version, role: subject.role },
    message:
      `${subject.name}@${subject.version} (${subject.role}) changed: ${worst.stream}${more}` +
      `${Number.isFinite(since) ? ` since ${new Date(since).toISOString()}` : ''}; ${describeEffect(worst)} ` +
      `(CUSUM ${worst.cusum.toFixed(1)} > ${design.h.toFixed(1)}; false alerts ≤ ${design.falseAlarmsPerDay}/day)`,
    details: {
      test: 'cusum',
      falseAlarmsPerDay: design.falseAlarmsPerDay,
      windowMs: HOUR_MS,
      k: design.k,
      h: design.h,
      arl0: design.arl0,
      streamsTested: design.streams,
      streams: alarms.map((a) => ({
        stream: a.stream,
        kind: a.kind,
        cusum: a.cusum,
        windows: a.windows,
        sinceMs: a.sinceMs,
        lastScore: a.lastScore,
        effect: a.effect,
      })),
    },
  };
}
