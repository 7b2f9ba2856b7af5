import type { Config } from '../config';
import type { FleetDb } from '../db';
import type { EventBus } from '../events/bus';
import type { Logger } from '../logging';
import type { SpecResolver } from '../models';
import type { StageDeadline } from '../rollouts/controller';
import { CONTROLLER } from '../rollouts/decide';
import { getRolloutRow } from '../rollouts/store';
import type { Transition } from '../rollouts/types';
import type { StorageState } from '../storage/health';
import { ChangeMonitor } from './change';
import { ConceptDriftMonitor } from './concept-drift';
import { applyFailedConditions, silentConditions } from './conditions';
import type { AlertKind } from './schema';
import { type AlertChange, type AlertCondition, raiseAlert, resolveCleared, resolveKey } from './store';
import { windowConditions } from './window-conditions';

/** Key of the one `storage` alert of a server. */
export const STORAGE_ALERT_KEY = 'storage:data-dir';

/** Options of {@link AlertEvaluator}. */
export interface AlertEvaluatorOptions {
  db: FleetDb;
  specs: SpecResolver;
  bus: EventBus;
  logger: Logger;
  now: () => number;
  config: Pick<
    Config,
    | 'alertTickMs'
    | 'alertSilentMs'
    | 'alertDriftWindowMs'
    | 'alertDriftPsi'
    | 'alertDriftMinInferences'
    | 'alertErrorRate'
    | 'alertLatencyP95Ms'
    | 'alertConfidence'
    | 'alertSliceLabels'
    | 'alertChangeFalseAlarmsPerDay'
    | 'alertChangeLookbackMs'
    | 'alertConceptDriftFalseAlarmsPerDay'
    | 'alertConceptDriftMinLabels'
    | 'timeseriesRowBudget'
  >;
  /** Least time between two event-triggered evaluations (real ms). Default 1000. */
  minEventGapMs?: number;
}

/**
 * Raises and resolves alerts. Condition kinds (`apply_failed`, `device_silent`, `drift`, `quality`, `change`, `concept_drift`) are evaluated every
 * `alertTickMs` and soon after a device or telemetry event ({@link evaluateSoon}); a condition that holds updates its open alert, one
 * that cleared resolves it. `gate_breach` is raised by the rollout controller's transitions and resolved when an
 * admin resumes the rollout. Every opened, resolved or acknowledged alert goes to the event bus.
 */
export class AlertEvaluator {
  readonly stats = { evaluations: 0, raised: 0, resolved: 0, failures: 0 };
  private readonly lastReportAt = new Map<string, number>();
  private readonly startedMs: number;
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private lastEventRunMs = 0;
  private closed = false;
  private readonly change: ChangeMonitor | null;
  private readonly conceptDrift: ConceptDriftMonitor | null;
  /** The storage episode whose alert is written (its `sinceMs`), so it is raised once per episode. */
  private storageRaisedFor: number | null = null;
  /** The failing storage state of the current episode (null while storage is ok). */
  private storageFailing: StorageState | null = null;

  constructor(private readonly options: AlertEvaluatorOptions) {
    this.startedMs = options.now();
    const { config } = options;
    this.change =
      config.alertChangeFalseAlarmsPerDay > 0
        ? new ChangeMonitor(options.db, options.specs, {
            falseAlarmsPerDay: config.alertChangeFalseAlarmsPerDay,
            lookbackMs: config.alertChangeLookbackMs,
            minInferences: config.alertDriftMinInferences,
          })
        : null;
    this.conceptDrift =
      config.alertConceptDriftFalseAlarmsPerDay > 0
        ? new ConceptDriftMonitor(options.db, {
            falseAlarmsPerDay: config.alertConceptDriftFalseAlarmsPerDay,
            minLabels: config.alertConceptDriftMinLabels,
            lookbackMs: config.alertChangeLookbackMs,
            sliceLabels: config.alertSliceLabels,
          })
        : null;
  }

  /** Starts the timer (unless `alertTickMs` is 0). */
  start(): void {
    this.closed = false;
    const tickMs = this.options.config.alertTickMs;
    if (tickMs > 0) {
      this.timer = setInterval(() => this.evaluateSafely(), tickMs);
      this.timer.unref();
    }
  }

  /** Stops timers and listeners. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    this.timer = null;
    this.soon = null;
  }

  /** Notes stored reports of devices (their silence ends) and schedules an evaluation. */
  noteReports(deviceIds: Iterable<string>): void {
    const now = this.options.now();
    for (const id of deviceIds) this.lastReportAt.set(id, now);
    this.evaluateSoon();
  }

  /**
   * Raises `gate_breach` for a controller transition decided on a breached gate (rolled back, paused, or the
   * automation ladder stepped down); resolves it on `resumed`, `advanced` or `completed`.
   */
  onTransition(rolloutId: string, transition: Transition): void {
    const key = `gate_breach:${rolloutId}`;
    const now = this.options.now();
    // A stage that moved on (or stopped) is no longer undecided at its deadline; the deadline tick that paused or
    // rolled it back raises its alert after this transition, so only later transitions resolve it.
    if (transition.event !== 'paused' && transition.event !== 'rolled_back')
      this.announce([resolveKey(this.options.db, `gate_inconclusive:${rolloutId}`, now)]);
    // A stage that passed after the automation ladder stepped down (the rollout kept running) ends its alert too.
    if (
      transition.event === 'resumed' ||
      transition.event === 'advanced' ||
      transition.event === 'completed'
    ) {
      this.announce([resolveKey(this.options.db, key, now)]);
      return;
    }
    const breached = transition.gates.filter((g) => g.status === 'breach');
    if (transition.actor !== CONTROLLER || breached.length === 0) return;
    const acted = ['rolled_back', 'paused', 'stepped_down'];
    if (!acted.includes(transition.event)) return;
    const spec = getRolloutRow(this.options.db, rolloutId);
    this.announce([
      raiseAlert(
        this.options.db,
        {
          kind: 'gate_breach',
          key,
          // A step down of the automation ladder keeps the candidate serving, with humans deciding more.
          severity: transition.event === 'stepped_down' ? 'warning' : 'critical',
          subject: { rolloutId, model: spec.modelName, candidate: spec.candidate, baseline: spec.baseline },
          message: transition.reason,
          details: { action: transition.event, stageIndex: transition.from.stageIndex, gates: breached },
        },
        now,
      ),
    ]);
  }

  /**
   * Raises `gate_inconclusive` for a stage past its deadline with gates undecided (warning when the rollout keeps
   * waiting, critical when it paused or rolled back); the message names the gates and ≈ how many more inferences
   * would decide each. Resolved by the next transition of the rollout (resumed, advanced, rolled back…).
   */
  onDeadline(rolloutId: string, deadline: StageDeadline): void {
    const spec = getRolloutRow(this.options.db, rolloutId);
    this.announce([
      raiseAlert(
        this.options.db,
        {
          kind: 'gate_inconclusive',
          key: `gate_inconclusive:${rolloutId}`,
          severity: deadline.action === 'extend' ? 'warning' : 'critical',
          subject: { rolloutId, model: spec.modelName, candidate: spec.candidate, baseline: spec.baseline },
          message: deadline.reason,
          details: { action: deadline.action, stageIndex: deadline.stageIndex, gates: deadline.gates },
        },
        this.options.now(),
      ),
    ]);
  }

  /**
   * Raises `storage` (critical) while the server's storage fails and resolves it once a write probe passes. The
   * alert lives in the same database: on a disk that is full it is written at the first write that gets through
   * (SQLite often has a page left; else when space returns), with `firstSeenAt` when the failure began. Health
   * (`/healthz`, `/readyz`) and the `edgefleet_storage_errors_total` metric say it at once.
   */
  onStorage(state: StorageState): void {
    const { db, logger } = this.options;
    try {
      if (state.status !== 'ok' && state.sinceMs !== null) {
        this.storageFailing = state;
        if (this.storageRaisedFor !== state.sinceMs) this.raiseStorage(state);
        return;
      }
      // Back to ok: an episode whose alert never got written is written now, then resolved.
      const failing = this.storageFailing;
      if (failing && this.storageRaisedFor !== failing.sinceMs) this.raiseStorage(failing);
      if (failing) this.announce([resolveKey(db, STORAGE_ALERT_KEY, this.options.now())]);
      this.storageFailing = null;
      this.storageRaisedFor = null;
    } catch (err) {
      // The database is on the failing storage: tried again at the next probe or error.
      logger.warn({ err }, 'storage alert could not be written yet');
    }
  }

  private raiseStorage(state: StorageState): void {
    const message = (state.message ?? '').slice(0, 500);
    const change = raiseAlert(
      this.options.db,
      {
        kind: 'storage',
        key: STORAGE_ALERT_KEY,
        severity: 'critical',
        subject: {},
        message: `storage writes fail (${state.status}): ${message}`,
        details: {
          storage: state.status as 'full',
          message,
          sinceMs: state.sinceMs ?? 0,
          errors: state.errors,
        },
      },
      state.sinceMs ?? this.options.now(),
    );
    this.storageRaisedFor = state.sinceMs;
    this.announce([change]);
  }

  /**
   * One evaluation; returns what opened or resolved. `drift: false` (the event-triggered runs) skips the drift
   * check, which merges a window of telemetry per version and so runs on the timer only.
   */
  evaluate(options: { drift?: boolean } = {}): AlertChange[] {
    const { db, specs, config, now } = this.options;
    const nowMs = now();
    this.stats.evaluations++;
    const changes: (AlertChange | null)[] = [];
    changes.push(...this.reconcile('apply_failed', applyFailedConditions(db), nowMs));
    const silent = silentConditions(db, {
      nowMs,
      silentMs: config.alertSilentMs,
      lastReportAt: this.lastReportAt,
      sinceMs: this.startedMs,
    });
    changes.push(...this.reconcile('device_silent', silent, nowMs));
    if (options.drift !== false) {
      const { drift, quality } = windowConditions(db, specs, {
        nowMs,
        windowMs: config.alertDriftWindowMs,
        psiThreshold: config.alertDriftPsi,
        errorRate: config.alertErrorRate,
        latencyP95Ms: config.alertLatencyP95Ms,
        confidence: config.alertConfidence,
        sliceLabels: config.alertSliceLabels,
        minInferences: config.alertDriftMinInferences,
        rowBudget: config.timeseriesRowBudget,
      });
      changes.push(...this.reconcile('drift', drift.conditions, nowMs, drift.undecided));
      changes.push(...this.reconcile('quality', quality.conditions, nowMs, quality.undecided));
      if (this.change) {
        const change = this.change.evaluate(nowMs);
        changes.push(...this.reconcile('change', change.conditions, nowMs, change.undecided));
      }
      if (this.conceptDrift) {
        const drifted = this.conceptDrift.evaluate(nowMs);
        changes.push(...this.reconcile('concept_drift', drifted.conditions, nowMs, drifted.undecided));
      }
    }
    return this.announce(changes);
  }

  /** Raises what holds and resolves the rest of `kind`, in one transaction (a fleet of silent devices is one write). */
  private reconcile(kind: AlertKind, holding: AlertCondition[], nowMs: number, keep: string[] = []) {
    const { db } = this.options;
    return db.transaction(() => {
      const changes = holding.map((condition) => raiseAlert(db, condition, nowMs));
      const keys = new Set([...holding.map((c) => c.key), ...keep]);
      return [...changes, ...resolveCleared(db, kind, keys, nowMs)];
    });
  }

  private announce(changes: (AlertChange | null)[]): AlertChange[] {
    const real = changes.filter((c): c is AlertChange => c !== null);
    for (const change of real) {
      if (change.status === 'resolved') this.stats.resolved++;
      else this.stats.raised++;
      this.options.bus.publish({ type: 'alert', data: change });
    }
    return real;
  }

  private evaluateSafely(options: { drift?: boolean } = {}): void {
    if (this.closed) return;
    try {
      this.evaluate(options);
    } catch (err) {
      this.stats.failures++;
      this.options.logger.error({ err }, 'alert evaluation failed');
    }
  }

  /** Evaluates after a short delay, at most once per `minEventGapMs` (device and telemetry events come in bursts). */
  evaluateSoon(): void {
    if (this.soon || this.closed) return;
    const gapMs = this.options.minEventGapMs ?? 1_000;
    const waitMs = Math.max(0, this.lastEventRunMs + gapMs - Date.now());
    this.soon = setTimeout(() => {
      this.soon = null;
      this.lastEventRunMs = Date.now();
      this.evaluateSafely({ drift: false });
    }, waitMs);
    this.soon.unref();
  }
}
