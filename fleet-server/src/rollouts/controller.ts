import type {
  AppPlan,
  AppPlanInput,
  DesiredState,
  DesiredStateInput,
  TelemetryConfig,
} from '@edgefleet/shared';
import { and, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { appLevelInForce, deviceLevelsInForce, insertSetting } from '../automation/store';
import type { ServerContext } from '../context';
import { schema } from '../db';
import { Conflict } from '../errors';
import type { Logger } from '../logging';
import type { SpecResolver } from '../models';
import { applyAction, type Decision, decide, plannedChanges, type RolloutAction } from './decide';
import { DEFAULT_TELEMETRY, desiredStateFor, ModelRefs, nextAppPlan } from './desired-state';
import { loadFacts } from './facts';
import { ladderAt } from './ladder';
import { StageTelemetry } from './stage-telemetry';
import {
  commitTransition,
  getRolloutRow,
  recordEvaluation,
  rolloutOf,
  rolloutsToReconcile,
  stepsDownOf,
} from './store';
import type { DesiredChange, Rollout, StageLook, Transition } from './types';

/** A stage undecided at its deadline (see `Decision.deadline`). */
export type StageDeadline = NonNullable<Decision['deadline']>;

/** Where desired states go: the server's device sessions (or a fake in tests). */
export interface RolloutPublisher {
  publishDesired(deviceId: string, input: DesiredStateInput): Promise<unknown>;
  /** Many desired states at once (one transaction per chunk); one result per entry, in order. */
  publishDesiredMany?(
    items: readonly { deviceId: string; input: DesiredStateInput }[],
  ): Promise<readonly ({ ok: true } | { ok: false; error: unknown })[]>;
  publishAppPlan(appId: string, input: AppPlanInput): Promise<unknown>;
}

/** Options of {@link RolloutController}. */
export interface RolloutControllerOptions {
  ctx: Pick<ServerContext, 'db' | 'now'> & { logger: Logger };
  specs: SpecResolver;
  /** Evaluation interval in ms. */
  tickMs: number;
  /** Desired states in flight at once. Default 1000. */
  publishConcurrency?: number;
  /** Stage telemetry reports merged per rollout per tick (a rebuild catches up over several). Default 20,000. */
  stageRowBudget?: number;
  /** Cap on the inferences one browser client id carries in a stage's cohort (app rollouts). */
  appClientInferenceCap?: number;
  /** Telemetry settings of a target that has none yet. Default {@link DEFAULT_TELEMETRY}. */
  telemetry?: TelemetryConfig;
}

/**
 * The thin adapter around {@link decide}: each tick loads the facts of every rollout still at work, writes
 * the transition (if any) with its audit row in one transaction guarded by the rollout's version, then
 * publishes the desired states that differ. All state lives in the database, so a restarted server continues
 * where the last one stopped; a crash between commit and publish is repaired by the next tick's diff.
 */
export class RolloutController {
  private publisher: RolloutPublisher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;
  /** Stage telemetry merged so far, per running rollout (persisted: a restart continues where it was saved). */
  private readonly telemetry: StageTelemetry;
  readonly stats = { ticks: 0, transitions: 0, desiredPublished: 0, publishFailures: 0 };
  /** Told of every committed transition (live events, alerts); see {@link onTransition}. */
  private readonly transitionListeners: ((rolloutId: string, transition: Transition) => void)[] = [];
  private readonly deadlineListeners: ((rolloutId: string, deadline: StageDeadline) => void)[] = [];

  constructor(private readonly options: RolloutControllerOptions) {
    this.telemetry = new StageTelemetry(
      options.ctx.db,
      options.specs,
      options.stageRowBudget,
      options.appClientInferenceCap,
      { now: options.ctx.now },
    );
  }

  /** Calls `listener` after each transition is committed (tick or admin action); it must not throw. */
  onTransition(listener: (rolloutId: string, transition: Transition) => void): void {
    this.transitionListeners.push(listener);
  }

  /** Calls `listener` at each tick where a stage is past its deadline with gates undecided; it must not throw. */
  onDeadline(listener: (rolloutId: string, deadline: StageDeadline) => void): void {
    this.deadlineListeners.push(listener);
  }

  private notifyDeadline(rolloutId: string, deadline: StageDeadline): void {
    for (const listener of this.deadlineListeners) {
      try {
        listener(rolloutId, deadline);
      } catch (err) {
        this.options.ctx.logger.error({ err, rolloutId }, 'rollout deadline listener failed');
      }
    }
  }

  private notifyTransition(rolloutId: string, transition: Transition): void {
    for (const listener of this.transitionListeners) {
      try {
        listener(rolloutId, transition);
      } catch (err) {
        this.options.ctx.logger.error({ err, rolloutId }, 'rollout transition listener failed');
      }
    }
  }

  /** Connects the publisher (the MQTT side starts after the HTTP routes) and starts the tick loop. */
  start(publisher: RolloutPublisher): void {
    this.publisher = publisher;
    this.stopped = false;
    this.schedule();
  }

  /** Stops the loop and waits for the tick or action in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.queue.catch(() => undefined);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick()
        .catch((err: unknown) => this.options.ctx.logger.error({ err }, 'rollout tick failed'))
        .finally(() => this.schedule());
    }, this.options.tickMs);
    this.timer.unref();
  }

  /** One pass over every rollout still at work (serialised with admin actions). */
  tick(): Promise<void> {
    return this.serialised(async () => {
      this.stats.ticks++;
      const rows = rolloutsToReconcile(this.options.ctx.db);
      this.telemetry.retain(
        new Set(
          rows.filter((row) => row.status === 'running' || row.status === 'paused').map((row) => row.id),
        ),
      );
      for (const row of rows) {
        try {
          await this.reconcile(rolloutOf(row), {
            decideTransitions: true,
            look: row.lastEvaluation?.look ?? row.lastEvaluation?.evaluation?.look ?? null,
          });
        } catch (err) {
          this.options.ctx.logger.error({ err, rolloutId: row.id }, 'rollout reconcile failed');
        }
      }
    });
  }

  /** Applies an admin action (audit row included), then publishes what it changes. */
  act(id: string, action: RolloutAction, actor: string, reason: string): Promise<Transition> {
    return this.serialised(async () => {
      const { db, now } = this.options.ctx;
      const rollout = rolloutOf(getRolloutRow(db, id));
      const result = applyAction(rollout, action, now(), actor, reason || `${action} by ${actor}`);
      if (!result.ok) throw new Conflict(result.error, { field: 'status', status: rollout.state.status });
      if (!commitTransition(db, id, result.value, now())) {
        throw new Conflict(`rollout ${id} changed meanwhile; retry`, { field: 'version' });
      }
      this.stats.transitions++;
      this.options.ctx.logger.info(
        { rolloutId: id, event: result.value.event, actor, reason },
        'rollout admin action',
      );
      this.notifyTransition(id, result.value);
      await this.reconcile({ ...rollout, state: result.value.to }, { decideTransitions: false });
      return result.value;
    });
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Decides, commits and publishes one rollout. */
  private async reconcile(
    rollout: Rollout,
    options: { decideTransitions: boolean; look?: StageLook | null } = { decideTransitions: true },
  ): Promise<Decision> {
    const { db, now, logger } = this.options.ctx;
    const at = now();
    const loaded = loadFacts(db, this.options.specs, rollout, this.telemetry, at);
    const facts = {
      ...loaded,
      look: options.look ?? null,
      stepsDown: stepsDownOf(db, rollout.spec.id),
      storedLevels: deviceLevelsInForce(
        db,
        rollout.spec.modelName,
        loaded.targets.map((t) => t.id),
      ),
    };
    // Partial stage telemetry (still catching up after a restart or a target change) is never judged.
    const decision: Decision =
      options.decideTransitions && !facts.catchingUp
        ? decide(rollout, facts, at)
        : {
            transitions: [],
            next: rollout.state,
            evaluation: null,
            note: options.decideTransitions
              ? 'waiting for data: stage telemetry still catching up'
              : 'admin action',
            deadline: null,
            ...plannedChanges(rollout, facts, rollout.state),
          };
    for (const t of decision.transitions) {
      if (!commitTransition(db, rollout.spec.id, t, at)) {
        logger.warn({ rolloutId: rollout.spec.id }, 'rollout moved by someone else; re-deciding next tick');
        return decision;
      }
      this.stats.transitions++;
      logger.info(
        { rolloutId: rollout.spec.id, event: t.event, stage: t.to.stageIndex, reason: t.reason },
        'rollout transition',
      );
      if (t.event === 'completed') this.recordFinalLevel(rollout, facts.stepsDown, at);
      this.notifyTransition(rollout.spec.id, t);
    }
    if (decision.deadline) {
      logger.warn(
        { rolloutId: rollout.spec.id, stage: decision.deadline.stageIndex, action: decision.deadline.action },
        'rollout stage undecided at its deadline',
      );
      this.notifyDeadline(rollout.spec.id, decision.deadline);
    }
    const failures = await this.publish(rollout, decision);
    const finished = !['scheduled', 'running', 'paused'].includes(decision.next.status);
    recordEvaluation(
      db,
      rollout.spec.id,
      {
        at,
        note: decision.note,
        evaluation: decision.evaluation,
        // Kept across ticks that test nothing (catching up), so a look is never spent twice.
        look: decision.evaluation?.look ?? facts.look,
      },
      finished && failures === 0,
    );
    return decision;
  }

  /**
   * A completed ladder leaves its targets at its last rung: stored in the automation store (actor `rollout:<id>`,
   * for the rollout's target), so the level in force says so and a later rollout keeps it.
   */
  private recordFinalLevel(rollout: Rollout, stepsDown: number, at: number): void {
    const { spec } = rollout;
    const level = ladderAt(spec.stages, spec.stages.length - 1, stepsDown).level;
    if (!level) return;
    const target =
      spec.target.kind === 'selector'
        ? { kind: 'selector' as const, selector: spec.target.selector }
        : spec.target.kind === 'devices'
          ? { kind: 'devices' as const, ids: spec.target.ids }
          : { kind: 'app' as const, appId: spec.target.appId };
    insertSetting(this.options.ctx.db, {
      model: spec.modelName,
      target,
      level,
      actor: `rollout:${spec.id}`,
      setAt: at,
    });
  }

  /** Publishes the decision's desired states and app plan; returns the number that failed. */
  private async publish(rollout: Rollout, decision: Decision): Promise<number> {
    const publisher = this.publisher;
    const { db, logger } = this.options.ctx;
    if (!publisher) return decision.changes.length + (decision.app ? 1 : 0);
    const refs = new ModelRefs(db);
    const { spec } = rollout;
    let failures = 0;
    if (decision.app && spec.target.kind === 'app') {
      const row = db
        .select({ plan: schema.apps.plan })
        .from(schema.apps)
        .where(eq(schema.apps.id, spec.target.appId))
        .get();
      const next = nextAppPlan(
        refs,
        rollout,
        decision.app,
        (row?.plan as AppPlan | null) ?? null,
        this.options.telemetry,
        appLevelInForce(db, spec.modelName, spec.target.appId),
      );
      if (next) {
        try {
          await publisher.publishAppPlan(spec.target.appId, next);
          this.stats.desiredPublished++;
        } catch (err) {
          failures++;
          logger.warn({ err, rolloutId: spec.id, appId: spec.target.appId }, 'app plan publish failed');
        }
      }
    }
    const inputs = desiredInputsOf(
      db,
      refs,
      spec.modelName,
      decision.changes,
      this.options.telemetry ?? DEFAULT_TELEMETRY,
    );
    const failed = (deviceId: string, err: unknown) => {
      failures++;
      this.stats.publishFailures++;
      logger.warn({ err, rolloutId: spec.id, deviceId }, 'desired publish failed');
    };
    if (publisher.publishDesiredMany) {
      const items = decision.changes.map((c, i) => ({ deviceId: c.targetId, input: inputs[i]! }));
      let results: readonly ({ ok: true } | { ok: false; error: unknown })[];
      try {
        results = await publisher.publishDesiredMany(items);
      } catch (err) {
        results = items.map(() => ({ ok: false as const, error: err }));
      }
      for (const [i, result] of results.entries()) {
        if (result.ok) this.stats.desiredPublished++;
        else failed(items[i]!.deviceId, result.error);
      }
      return failures;
    }
    const concurrency = this.options.publishConcurrency ?? 1_000;
    for (let i = 0; i < decision.changes.length; i += concurrency) {
      const batch = decision.changes.slice(i, i + concurrency);
      const results = await Promise.allSettled(
        batch.map((change, j) => publisher.publishDesired(change.targetId, inputs[i + j]!)),
      );
      for (const [j, result] of results.entries()) {
        if (result.status === 'fulfilled') this.stats.desiredPublished++;
        else failed(batch[j]!.targetId, result.reason);
      }
    }
    return failures;
  }
}

/**
 * The desired-state inputs of `changes`, in order. Targets with the same assignment, telemetry settings and
 * policies share one input object, so the publisher validates each distinct state once.
 */
function desiredInputsOf(
  db: ServerContext['db'],
  refs: ModelRefs,
  modelName: string,
  changes: readonly DesiredChange[],
  defaultTelemetry: TelemetryConfig,
): DesiredStateInput[] {
  const d = schema.devices;
  const stored = d.desiredState;
  const keptSettings = sql<
    string | null
  >`json_array(json_extract(${stored}, '$.telemetry'), json_extract(${stored}, '$.policies'), json_extract(${stored}, '$.automation'))`;
  const kept = new Map<string, string>();
  const ids = changes.map((c) => c.targetId);
  for (let i = 0; i < ids.length; i += 500) {
    // Only the settings a new state keeps, as JSON text: no need to parse every stored state.
    const rows = db
      .select({
        id: d.id,
        keep: keptSettings,
      })
      .from(d)
      .where(and(inArray(d.id, ids.slice(i, i + 500)), isNotNull(d.desiredState)))
      .all();
    for (const row of rows) if (row.keep) kept.set(row.id, row.keep);
  }
  const shared = new Map<string, DesiredStateInput>();
  return changes.map(({ targetId, assignment, automation: level }) => {
    const keep = kept.get(targetId) ?? 'null';
    const wanted = level ? JSON.stringify(level) : '';
    const key = `${assignment.active}|${assignment.shadow}|${assignment.standby}|${keep}|${wanted}`;
    let input = shared.get(key);
    if (!input) {
      const [telemetry, policies, stored] = (JSON.parse(keep) as [unknown, unknown, unknown] | null) ?? [];
      const automation = level ?? stored;
      const previous = {
        telemetry,
        policies,
        ...(automation ? { automation } : {}),
      } as Partial<DesiredState> as DesiredState;
      input = desiredStateFor(
        refs,
        modelName,
        assignment,
        keep === 'null' ? null : previous,
        defaultTelemetry,
      );
      // A level the rollout gives (its ladder's rung, or the level in force in the automation store) wins.
      if (level) input = { ...input, automation: level };
      shared.set(key, input);
    }
    return input;
  });
}
