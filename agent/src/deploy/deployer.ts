import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  DEFAULT_AUTOMATION,
  type DeployError,
  type DesiredState,
  type ModelRef,
  type ModelVersionId,
  type RunningModels,
} from '@edgefleet/shared';
import type { Logger } from 'pino';
import { atStep, DeployFailure } from '../errors';
import { ModelSession, type SessionOptions } from '../runtime/model-session';
import type { ServingEngine, Slots } from '../serving/engine';
import type { ModelStore, StoredModel } from '../store/model-store';
import { type AgentState, readState, writeState } from '../store/state-file';
import { verifyInstalled } from '../store/verify-installed';
import { type FetchContext, fetchVersion } from './fetch-version';

/** What the deployer needs. */
export interface DeployerOptions {
  store: ModelStore;
  engine: ServingEngine;
  statePath: string;
  sessionOptions: SessionOptions;
  /** Versions kept on disk beyond those in use. */
  keepVersions: number;
  /** Absent until enrolled: then only the stored state can be restored. */
  fetchContext?: FetchContext;
  logger: Logger;
  now?: () => number;
  /** Tries of a failed download or state write before the failure is reported (default 3), and the first pause. */
  retry?: RetryPolicy;
}

/** Bounded retries with exponential backoff (`baseMs`, ×4 each time). */
export interface RetryPolicy {
  attempts: number;
  baseMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, baseMs: 2_000 };

// Steps worth trying again: the network or the disk may be back; a bad signature or a model that fails its
// golden check stays bad.
const RETRYABLE_STEPS = new Set(['download', 'verify_sha256', 'activate']);

/** Outcome of applying one desired state. */
export interface ApplyOutcome {
  rev: number;
  /** False when the switch could not be made durable (state file write failed): nothing changed. */
  applied: boolean;
  running: RunningModels;
  errors: DeployError[];
}

const ROLES = ['active', 'shadow', 'standby'] as const;
const sameId = (a: ModelVersionId | null | undefined, b: ModelVersionId | null | undefined): boolean =>
  !!a && !!b && a.name === b.name && a.version === b.version;

/**
 * Follows desired states: for each role, fetch → verify → load → warm up → golden check, and only when
 * all of that passed switch the serving pointers at once. A failed version is never served: its role
 * keeps what it had (the active role its previous version), and the step and message are returned for
 * `reported`. A session no role uses any more is released once its requests in flight finish.
 */
export class Deployer {
  state: AgentState;
  /** Why the state file could not be read at start (it is then rebuilt from the store by {@link restore}). */
  readonly stateProblem: string | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: DeployerOptions) {
    const read = readState(opts.statePath);
    this.state = read.state;
    this.stateProblem = read.problem;
  }

  private async withRetry<T>(what: string, run: () => Promise<T>): Promise<T> {
    const { attempts, baseMs } = this.opts.retry ?? DEFAULT_RETRY;
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        const step = err instanceof DeployFailure ? err.step : 'load';
        if (attempt >= attempts || !RETRYABLE_STEPS.has(step)) throw err;
        const waitMs = baseMs * 4 ** (attempt - 1);
        this.opts.logger.warn({ what, attempt, waitMs, err: (err as Error).message }, 'retrying');
        await new Promise((r) => setTimeout(r, waitMs));
      }
    }
  }

  running(): RunningModels {
    const s = this.opts.engine.current;
    return { active: s.active?.id ?? null, shadow: s.shadow?.id ?? null, standby: s.standby?.id ?? null };
  }

  /**
   * Serves the last good versions from the store at once, without the server (after a restart). Each is
   * verified again first (signature, size, sha256: {@link verifyInstalled}); one that fails is quarantined and
   * reported, the active role falls back to the newest stored version of the same model that still verifies,
   * and the applied rev is forgotten (in memory) so the fleet's next desired state installs a good copy again.
   */
  async restore(): Promise<DeployError[]> {
    const errors: DeployError[] = [];
    if (this.stateProblem) errors.push(await this.rebuildState(this.stateProblem));
    const next: Slots = { active: null, shadow: null, standby: null };
    let repair = false;
    for (const role of ROLES) {
      const id = this.state[role];
      if (!id) continue;
      try {
        next[role] = await this.restoreVerified(id);
      } catch (err) {
        const error = this.toError(err, id, this.state.appliedRev);
        errors.push(error);
        repair ||= error.step === 'verify_sha256' || error.step === 'verify_signature';
        if (role !== 'active') continue;
        const fallback = await this.fallBack(id);
        if (fallback) {
          next.active = fallback;
          error.message = `${error.message}; serving ${fallback.label}, the previous good version`.slice(
            0,
            1024,
          );
        }
      }
    }
    if (repair) this.state = { ...this.state, appliedRev: 0 };
    this.opts.engine.shadowSampleRate = this.state.shadowSampleRate;
    this.opts.engine.automation = this.state.automation ?? DEFAULT_AUTOMATION;
    this.opts.engine.switchTo(next);
    return errors;
  }

  /** Reads, re-verifies and loads a stored version; one that fails verification is quarantined. */
  private async restoreVerified(id: ModelVersionId): Promise<ModelSession> {
    const stored = await this.opts.store.read(id);
    if (!stored) {
      const quarantined = await this.opts.store.quarantineReason(id);
      if (quarantined) throw new DeployFailure(quarantined.step, `${quarantined.message} (quarantined)`);
      throw new DeployFailure('load', `version ${id.name}@${id.version} is not in the store`);
    }
    try {
      await verifyInstalled(stored, this.opts.fetchContext?.keys);
    } catch (err) {
      const why = {
        step:
          err instanceof DeployFailure && err.step === 'verify_signature'
            ? 'verify_signature'
            : 'verify_sha256',
        message: (err as Error).message,
      } as const;
      const to = await this.opts.store.quarantine(id, why).catch(() => null);
      this.opts.logger.error(
        { model: `${id.name}@${id.version}`, err: (err as Error).message, quarantinedTo: to },
        'installed model failed verification; quarantined',
      );
      throw err;
    }
    return this.loadChecked(stored, 'if_present');
  }

  /** The newest other stored version of the model that verifies and loads, or null. */
  private async fallBack(failed: ModelVersionId): Promise<ModelSession | null> {
    for (const id of await this.opts.store.versionsOf(failed.name, failed).catch(() => [])) {
      try {
        const session = await this.restoreVerified(id);
        this.opts.logger.warn(
          { model: session.label, instead: `${failed.name}@${failed.version}` },
          'fell back',
        );
        return session;
      } catch {
        // quarantined or unloadable: try the next older one
      }
    }
    return null;
  }

  // A state file that cannot be read: serve the newest complete, verified version of the store (a desired state
  // re-applies everything: appliedRev is 0), and say what happened.
  private async rebuildState(problem: string): Promise<DeployError> {
    let chosen: ModelVersionId | null = null;
    for (const id of await this.opts.store.list()) {
      const stored = await this.opts.store.read(id);
      if (stored && (await sha256Matches(stored.modelPath, stored.ref.manifest.sha256))) {
        chosen = id;
        break;
      }
    }
    this.state = { ...this.state, active: chosen };
    const outcome = chosen
      ? `rebuilt from the model store: serving ${chosen.name}@${chosen.version}`
      : 'no verified version in the model store: nothing to serve until the server sends one';
    this.opts.logger.error({ problem }, `state file unreadable; ${outcome}`);
    await writeState(this.opts.statePath, this.state).catch((err) =>
      this.opts.logger.warn({ err }, 'rebuilt state could not be saved yet'),
    );
    return {
      step: 'parse',
      message: `${problem}; ${outcome}`.slice(0, 1024),
      ...(chosen ? { model: chosen } : {}),
      at: (this.opts.now ?? Date.now)(),
    };
  }

  /** Applies a desired state unless its rev is at or below the applied one; runs one at a time. */
  apply(desired: DesiredState): Promise<ApplyOutcome | null> {
    const run = this.queue.then(() => this.applyNow(desired));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async applyNow(desired: DesiredState): Promise<ApplyOutcome | null> {
    if (desired.rev <= this.state.appliedRev) return null;
    const log = this.opts.logger.child({ rev: desired.rev });
    const current = this.opts.engine.current;
    const loaded = [current.active, current.shadow, current.standby].filter(
      (s): s is ModelSession => s !== null,
    );
    const fresh: ModelSession[] = [];
    const errors: DeployError[] = [];
    const next: Slots = { active: current.active, shadow: null, standby: null };
    for (const role of ROLES) {
      const ref: ModelRef | null = desired.models[role];
      if (!ref) {
        if (role === 'active') next.active = null;
        continue;
      }
      const id = { name: ref.manifest.name, version: ref.manifest.version };
      const reuse = [...loaded, ...fresh].find(
        (s) => sameId(s.id, id) && s.manifest.sha256 === ref.manifest.sha256,
      );
      if (reuse) {
        next[role] = reuse;
        continue;
      }
      try {
        if (!this.opts.fetchContext) throw new DeployFailure('download', 'not enrolled');
        const context = this.opts.fetchContext;
        const stored = await this.withRetry(`fetch ${id.name}@${id.version}`, () =>
          fetchVersion(context, ref),
        );
        const session = await this.loadChecked(stored, desired.policies.golden);
        fresh.push(session);
        next[role] = session;
        log.info({ model: session.label, role }, 'version ready');
      } catch (err) {
        const error = this.toError(err, id, desired.rev);
        errors.push(error);
        log.warn(
          { model: `${id.name}@${id.version}`, role, step: error.step, err: error.message },
          'version rejected',
        );
        // The active role keeps its previous version; shadow and standby stay empty.
      }
    }
    const state: AgentState = {
      appliedRev: desired.rev,
      active: next.active?.id ?? null,
      shadow: next.shadow?.id ?? null,
      standby: next.standby?.id ?? null,
      shadowSampleRate: desired.policies.shadowSampleRate,
      telemetry: desired.telemetry,
      ...(desired.automation ? { automation: desired.automation } : {}),
      ...(desired.capture ? { capture: desired.capture } : {}),
    };
    // The switch is durable first: a restart must serve what was reported. If the state cannot be saved (a full
    // disk), nothing switches, the rev stays, and every version of this desired state is reported failed.
    try {
      await this.withRetry('save state', () =>
        atStep('activate', () => writeState(this.opts.statePath, state)),
      );
    } catch (err) {
      for (const s of fresh) void s.release().catch(() => undefined);
      const message = `state could not be saved: ${(err as Error).message}`;
      log.error({ err: message }, 'desired state not applied');
      const failed = ROLES.flatMap((role) => {
        const ref = desired.models[role];
        return ref
          ? [
              this.toError(
                new DeployFailure('activate', message),
                { name: ref.manifest.name, version: ref.manifest.version },
                desired.rev,
              ),
            ]
          : [];
      });
      return { rev: desired.rev, applied: false, running: this.running(), errors: [...errors, ...failed] };
    }
    this.state = state;
    const retired = this.opts.engine.switchTo(next);
    this.opts.engine.shadowSampleRate = desired.policies.shadowSampleRate;
    this.opts.engine.inferenceTimeoutMs = desired.policies.inferenceTimeoutMs;
    this.opts.engine.automation = desired.automation ?? DEFAULT_AUTOMATION;
    for (const s of retired) void s.release().catch((err) => log.warn({ err }, 'session release failed'));
    const inUse = [next.active, next.shadow, next.standby].filter((s) => s !== null).map((s) => s.id);
    await this.opts.store
      .collect(this.opts.keepVersions, inUse)
      .catch((err) => log.warn({ err }, 'store gc failed'));
    return { rev: desired.rev, applied: true, running: this.running(), errors };
  }

  private async loadChecked(stored: StoredModel, golden: 'required' | 'if_present'): Promise<ModelSession> {
    const session = await ModelSession.load(stored, this.opts.sessionOptions, this.opts.logger);
    try {
      await session.warmUp();
      await session.checkGolden(golden);
      return session;
    } catch (err) {
      await session.release();
      throw err;
    }
  }

  private toError(err: unknown, model: ModelVersionId, rev: number): DeployError {
    const step = err instanceof DeployFailure ? err.step : 'load';
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 1024);
    return { step, message, model, rev, at: (this.opts.now ?? Date.now)() };
  }

  /** Releases every loaded session (shutdown), after requests in flight finish. */
  async close(): Promise<void> {
    await this.queue;
    const retired = this.opts.engine.switchTo({ active: null, shadow: null, standby: null });
    await Promise.all(retired.map((s) => s.release()));
  }
}

async function sha256Matches(path: string, sha256: string): Promise<boolean> {
  try {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    return hash.digest('hex') === sha256;
  } catch {
    return false;
  }
}
