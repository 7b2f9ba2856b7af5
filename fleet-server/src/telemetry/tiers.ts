import { setImmediate as yieldToIngest } from 'node:timers/promises';
import { type FeedbackAggregate, mergeJsonInto, Profile } from '@edgefleet/shared';
import pino, { type Logger } from 'pino';
import type { FleetDb } from '../db';
import type { SpecResolver } from '../models';
import { addFeedbackInto } from './aggregates';
import { mergeCutoffMs } from './ingest';
import { packProfile, profileText } from './profile-codec';
import { type DayFigures, type HourRow, type SourceDay, TierStore } from './tier-store';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** How long each tier keeps its rows (ms; 0 keeps them forever). */
export interface TierRetention {
  /** Raw reports, by the time they were received. */
  rawMs: number;
  /** Per-source and fleet-wide hourly rows (whole UTC days go at once). */
  hourlyMs: number;
  /** Per-source and fleet-wide daily rows. */
  dailyMs: number;
}

/** What one maintenance pass did. */
export interface TierPassStats {
  daysRolledUp: number;
  rawDeleted: number;
  hoursDeleted: number;
  daysDeleted: number;
  /** Client marks deleted: every report they covered would be stored `expired` if it came again. */
  marksDeleted: number;
  transactions: number;
}

/** Options of {@link TierMaintenance}. */
export interface TierMaintenanceOptions {
  db: FleetDb;
  specs: SpecResolver;
  retention: TierRetention;
  now?: () => number;
  logger?: Logger;
  /** Rows one transaction deletes or rolls up at most (short write locks while ingest runs). Default 2000. */
  batchRows?: number;
  /**
   * Raw reports at or above this id are kept whatever their age (a reader, e.g. a rollout stage's persisted merge,
   * has not read them yet). Default: none held.
   */
  rawHeldFromId?: () => number;
}

const ROLLUP_CURSOR = 'daily_rollup';
const RAW_CURSOR = 'raw_deleted_before';
/** Hourly rows merged into this long before a pass began are rolled up again (idempotent; covers clock steps). */
const ROLLUP_OVERLAP_MS = 5 * 60_000;

/**
 * Rolls hourly rows up into daily ones and deletes what each tier's retention let go: raw reports (raising each
 * client epoch's mark first, so a resent old report stays a duplicate), the marks no longer needed (a resend of
 * what they cover would be stored `expired`), then hourly, then daily rows. Every step is
 * a small transaction with a yield between them, so ingest runs in between; a pass interrupted anywhere is
 * completed by the next (roll-ups are recomputed from the hours, never added to).
 */
export class TierMaintenance {
  private readonly store: TierStore;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly batchRows: number;
  private running: Promise<TierPassStats> | null = null;

  constructor(private readonly options: TierMaintenanceOptions) {
    this.store = new TierStore(options.db);
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? pino({ level: 'silent' });
    this.batchRows = options.batchRows ?? 2000;
  }

  /** Runs one pass (or joins the one running). */
  runPass(): Promise<TierPassStats> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Sets which raw reports are held from deletion (see `rawHeldFromId`). */
  holdRaw(heldFromId: () => number): void {
    this.options.rawHeldFromId = heldFromId;
  }

  /** Resolves once no pass runs (close waits for it before the database closes). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private async pass(): Promise<TierPassStats> {
    const nowMs = this.now();
    const stats: TierPassStats = {
      daysRolledUp: 0,
      rawDeleted: 0,
      hoursDeleted: 0,
      daysDeleted: 0,
      marksDeleted: 0,
      transactions: 0,
    };
    await this.rollUpDays(nowMs, stats);
    const { rawMs, hourlyMs, dailyMs } = this.options.retention;
    if (rawMs > 0) await this.deleteRaw(nowMs - rawMs, stats);
    if (hourlyMs > 0) {
      const before = mergeCutoffMs(nowMs, hourlyMs);
      // A mark only keeps resent reports from merging twice; past the merge cutoff ingest stores them `expired`.
      await this.deleteUntilDone(stats, (n) => this.store.deleteMarks(before, n), 'marks');
      await this.deleteEach(stats, (v, n) => this.store.deleteHours(v.name, v.version, before, n), 'hours');
      await this.deleteUntilDone(stats, (n) => this.store.deleteFleet('hour', before, n), 'hours');
    }
    if (dailyMs > 0) {
      const before = Math.floor((nowMs - dailyMs) / DAY_MS) * DAY_MS;
      await this.deleteEach(stats, (v, n) => this.store.deleteDays(v.name, v.version, before, n), 'days');
      await this.deleteUntilDone(stats, (n) => this.store.deleteFleet('day', before, n), 'days');
    }
    this.log.debug({ ...stats }, 'telemetry tiers maintained');
    return stats;
  }

  /** Recomputes the daily rows (per source and fleet-wide) of every day with an hour merged into since the last pass. */
  private async rollUpDays(nowMs: number, stats: TierPassStats): Promise<void> {
    const after = (this.store.cursor(ROLLUP_CURSOR) ?? -1) - ROLLUP_OVERLAP_MS;
    const days = this.store.touchedSourceDays(after, nowMs);
    const fleetDays = new Map<string, { model: string; version: string; role: string; dayMs: number }>();
    const perTransaction = Math.max(1, Math.floor(this.batchRows / 24)); // a day reads up to 24 hours
    for (let i = 0; i < days.length; i += perTransaction) {
      const chunk = days.slice(i, i + perTransaction);
      this.store.transaction(() => {
        for (const day of chunk) {
          const figures = this.mergeHours(
            day.model_name,
            day.model_version,
            this.store.hoursOfDay(day),
            nowMs,
          );
          if (figures) this.store.saveDay({ ...day, ...figures });
          stats.daysRolledUp++;
          const { model_name: model, model_version: version, role, day_ms: dayMs } = day;
          fleetDays.set(`${model}\u0000${version}\u0000${role}\u0000${dayMs}`, {
            model,
            version,
            role,
            dayMs,
          });
        }
      });
      stats.transactions++;
      await yieldToIngest();
    }
    this.store.transaction(() => {
      for (const { model, version, role, dayMs } of fleetDays.values()) {
        const figures = this.mergeHours(
          model,
          version,
          this.store.fleetHoursOfDay(model, version, role, dayMs),
          nowMs,
        );
        if (figures) {
          this.store.saveFleetDay({
            model_name: model,
            model_version: version,
            role,
            day_ms: dayMs,
            ...figures,
          });
        }
      }
      this.store.setCursor(ROLLUP_CURSOR, nowMs);
    });
    stats.transactions++;
  }

  /** The merge of a day's hourly rows; null when the version is unknown or no hour reads. */
  private mergeHours(model: string, version: string, hours: HourRow[], nowMs: number): DayFigures | null {
    const spec = this.options.specs.baselineOf(model, version)?.spec;
    if (!spec || hours.length === 0) return null;
    const profile = new Profile(spec);
    const sum: { feedback: FeedbackAggregate | null; feedbackReports: number } = {
      feedback: null,
      feedbackReports: 0,
    };
    let reports = 0;
    let feedbackReports = 0;
    for (const hour of hours) {
      if (!mergeJsonInto(profile, JSON.parse(profileText(hour.profile))).ok) {
        this.log.error({ model, version }, 'unreadable hourly aggregate; left out of its day');
        continue;
      }
      reports += hour.reports;
      // The JSON column holds the text `null` for an hour without feedback.
      const feedback =
        hour.feedback === null ? null : (JSON.parse(hour.feedback) as FeedbackAggregate | null);
      if (feedback) {
        addFeedbackInto(sum, feedback, this.log);
        feedbackReports += hour.feedback_reports;
      }
    }
    if (reports === 0) return null;
    return {
      spec_hash: profile.specHash,
      reports,
      inferences: profile.inferences,
      errors: profile.errorCount,
      profile: packProfile(JSON.stringify(profile.toJSON())),
      feedback: sum.feedback ? JSON.stringify(sum.feedback) : null,
      feedback_reports: feedbackReports,
      updated_at: nowMs,
    };
  }

  /** Deletes raw reports received before `beforeMs`, oldest first, in batches that also raise the client marks. */
  private async deleteRaw(beforeMs: number, stats: TierPassStats): Promise<void> {
    const heldFrom = this.options.rawHeldFromId?.() ?? Number.POSITIVE_INFINITY;
    let afterId = 0;
    // Readers split raw / hourly at this cursor (monitoring's rawKeptFromMs): it moves before any row goes.
    this.store.transaction(() => {
      if ((this.store.cursor(RAW_CURSOR) ?? -1) < beforeMs) this.store.setCursor(RAW_CURSOR, beforeMs);
    });
    for (;;) {
      const done = this.store.transaction(() => {
        const rows = this.store.rawAfter(afterId, this.batchRows);
        const old = [];
        for (const row of rows) {
          if (row.received_at >= beforeMs || row.id >= heldFrom) break;
          old.push(row);
        }
        this.store.deleteRaw(old);
        stats.rawDeleted += old.length;
        afterId = old[old.length - 1]?.id ?? afterId;
        return old.length < rows.length || rows.length < this.batchRows;
      });
      stats.transactions++;
      if (done) return;
      await yieldToIngest();
    }
  }

  private async deleteEach(
    stats: TierPassStats,
    remove: (v: { name: string; version: string }, limit: number) => number,
    counter: 'hours' | 'days',
  ): Promise<void> {
    for (const v of this.store.versions()) await this.deleteUntilDone(stats, (n) => remove(v, n), counter);
  }

  private async deleteUntilDone(
    stats: TierPassStats,
    remove: (limit: number) => number,
    counter: 'hours' | 'days' | 'marks',
  ): Promise<void> {
    for (;;) {
      const removed = this.store.transaction(() => remove(this.batchRows));
      stats.transactions++;
      if (counter === 'hours') stats.hoursDeleted += removed;
      else if (counter === 'days') stats.daysDeleted += removed;
      else stats.marksDeleted += removed;
      if (removed < this.batchRows) return;
      await yieldToIngest();
    }
  }
}

export type { SourceDay };
