import { correctTotal, labelledTotal } from '@edgefleet/shared';
import type { QualitySlice } from '@edgefleet/shared/api';
import { ConceptDriftDetector, type ConceptDriftView } from '@edgefleet/shared/stats';
import { type FleetDb, schema } from '../db';
import { HOUR_MS } from '../monitoring/timeseries';
import { sliceOf } from '../quality/breakdown';
import { feedbackRowsOf } from '../quality/store';
import { CHANGE_GRACE_MS, type ChangeOutcome } from './change';
import type { AlertCondition } from './store';

/** What {@link ConceptDriftMonitor} needs from the config. */
export interface ConceptDriftMonitorOptions {
  /** Expected false alerts per stream (a version, or a version in one slice) and day. */
  falseAlarmsPerDay: number;
  /** Fewest labels a batch pools before it is scored. */
  minLabels: number;
  /** How far back a version's streams start when the server first sees it (ms). */
  lookbackMs: number;
  /** Device label keys whose values are streams of their own (web apps always are, when `sliceLabels` is set). */
  sliceLabels: readonly string[];
}

interface SliceStream {
  slice: QualitySlice['slice'] | null;
  detector: ConceptDriftDetector;
}

interface VersionStreams {
  nextHourMs: number;
  streams: Map<string, SliceStream>;
}

const sliceName = (slice: QualitySlice['slice'] | null) =>
  slice === null ? 'all' : `${slice.key}=${slice.value ?? '(none)'}`;

/**
 * Concept drift: per model version, and per slice of it (each value of the `sliceLabels` device labels, each
 * web app), a Bernoulli CUSUM over the share of operator labels that disagree with the model's answer, hour by
 * hour (pooled into batches of `minLabels`), each batch against the stream's earlier batches. Data-drift alerts
 * watch the inputs; this watches the answers humans give, which is what moves when the right answer for the
 * same input changes. An hour is scored once, {@link CHANGE_GRACE_MS} after it ended; state is in memory and
 * rebuilt from the last `lookbackMs` at start.
 */
export class ConceptDriftMonitor {
  private readonly versions = new Map<string, VersionStreams>();

  constructor(
    private readonly db: FleetDb,
    private readonly options: ConceptDriftMonitorOptions,
  ) {}

  /** Scores every completed hour not scored yet and returns what holds. */
  evaluate(nowMs: number): ChangeOutcome {
    const v = schema.modelVersions;
    const versions = this.db.select({ name: v.modelName, version: v.version }).from(v).all();
    const outcome: ChangeOutcome = { conditions: [], undecided: [] };
    const lastHourMs = Math.floor((nowMs - CHANGE_GRACE_MS) / HOUR_MS) * HOUR_MS - HOUR_MS;
    for (const { name, version } of versions) {
      const label = `${name}@${version}`;
      let state = this.versions.get(label);
      if (!state) {
        state = {
          nextHourMs: Math.floor((nowMs - this.options.lookbackMs) / HOUR_MS) * HOUR_MS,
          streams: new Map(),
        };
        this.versions.set(label, state);
      }
      for (; state.nextHourMs <= lastHourMs; state.nextHourMs += HOUR_MS)
        this.scoreHour(name, version, state);
      for (const [streamKey, s] of state.streams) {
        const view = s.detector.view();
        if (!view.open) continue;
        const key = `concept_drift:${label}:${streamKey}`;
        if (!view.alarm) outcome.undecided.push(key);
        else outcome.conditions.push(this.condition(key, { name, version }, s, view));
      }
    }
    return outcome;
  }

  private scoreHour(name: string, version: string, state: VersionStreams): void {
    const fromMs = state.nextHourMs;
    const rows = feedbackRowsOf(this.db, { modelName: name, version, fromMs, toMs: fromMs + HOUR_MS });
    const hour = new Map<string, { slice: QualitySlice['slice'] | null; labelled: number; wrong: number }>();
    const add = (slice: QualitySlice['slice'] | null, labelled: number, wrong: number) => {
      const key = sliceName(slice);
      const h = hour.get(key) ?? { slice, labelled: 0, wrong: 0 };
      h.labelled += labelled;
      h.wrong += wrong;
      hour.set(key, h);
    };
    for (const row of rows) {
      const labelled = labelledTotal(row.feedback);
      if (labelled === 0) continue;
      const wrong = labelled - correctTotal(row.feedback);
      add(null, labelled, wrong);
      const seen = new Set<string>();
      for (const by of this.options.sliceLabels) {
        const slice = sliceOf(row, by);
        // An app is one slice whatever the label key.
        if (seen.has(sliceName(slice))) continue;
        seen.add(sliceName(slice));
        add(slice, labelled, wrong);
      }
    }
    for (const [key, h] of hour) {
      let s = state.streams.get(key);
      if (!s) {
        s = {
          slice: h.slice,
          detector: new ConceptDriftDetector({
            falseAlarmsPerDay: this.options.falseAlarmsPerDay,
            minLabels: this.options.minLabels,
          }),
        };
        state.streams.set(key, s);
      }
      s.detector.observeHour(fromMs, h.labelled, h.wrong);
    }
  }

  private condition(
    key: string,
    model: { name: string; version: string },
    s: SliceStream,
    view: ConceptDriftView,
  ): AlertCondition {
    const { design } = s.detector;
    const pct = (r: number | null) => (r === null ? 'n/a' : `${(100 * r).toFixed(1)} %`);
    const where = s.slice === null ? '' : ` on ${sliceName(s.slice)}`;
    const since = view.sinceMs === null ? '' : ` since ${new Date(view.sinceMs).toISOString()}`;
    return {
      kind: 'concept_drift',
      key,
      severity: 'warning',
      subject: { model: model.name, version: model.version, role: 'active' },
      message:
        `${model.name}@${model.version}${where}: operators disagree with the model more often${since}: ` +
        `error rate ${pct(view.before.rate)} (${view.before.labelled} labels) → ${pct(view.after.rate)} ` +
        `(${view.after.labelled} labels) (CUSUM ${view.cusum.toFixed(1)} > ${design.h.toFixed(1)}; false alerts ≤ ` +
        `${design.falseAlarmsPerDay}/day per stream)`,
      details: {
        test: 'bernoulli_cusum',
        falseAlarmsPerDay: design.falseAlarmsPerDay,
        windowMs: HOUR_MS,
        minLabels: this.options.minLabels,
        k: design.k,
        h: design.h,
        arl0: design.arl0,
        slice: s.slice === null ? null : { key: s.slice.key, value: s.slice.value },
        cusum: view.cusum,
        sinceMs: view.sinceMs,
        before: view.before,
        after: view.after,
      },
    };
  }
}
