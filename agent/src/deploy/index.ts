import { join } from 'node:path';
import { type DeployError, type DesiredState, type EnrollResponse, importKeyRing } from '@edgefleet/shared';
import type { Logger } from 'pino';
import type { AgentConfig } from '../config';
import type { ServingEngine } from '../serving/engine';
import { ModelStore } from '../store/model-store';
import { Deployer } from './deployer';

/** What `createDeployment` needs. */
export interface DeploymentDeps {
  config: Pick<
    AgentConfig,
    | 'dataDir'
    | 'threads'
    | 'interOpThreads'
    | 'graphOptimization'
    | 'inlineMaxMs'
    | 'keepVersions'
    | 'applyRetries'
    | 'applyRetryMs'
  >;
  enrollment: EnrollResponse | undefined;
  engine: ServingEngine;
  logger: Logger;
}

/** The models this device runs: the verified store, the deployer that swaps them, and what went wrong doing it. */
export interface Deployment {
  store: ModelStore;
  deployer: Deployer;
  /** Errors of the last desired state applied (or of the restore). */
  errors(): DeployError[];
  /**
   * What the restore found (a quarantined model, a fallback) and no report has carried yet: it is reported once
   * connected and kept in the report of the desired state that repairs it, so the fleet sees it even then.
   */
  unreportedRestoreErrors(): boolean;
  /** Rev of the last desired state fully applied (0 before any). */
  appliedRev(): number;
  /** Applies a desired state; true when it leaves a state to report (false: an older or repeated rev). */
  apply(desired: DesiredState): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens the model store and restores the last good models (verified again before they serve). */
export async function createDeployment({
  config,
  enrollment,
  engine,
  logger,
}: DeploymentDeps): Promise<Deployment> {
  const store = new ModelStore(config.dataDir);
  await store.init();
  const keys = enrollment ? await importKeyRing(enrollment.signingKeys) : undefined;
  if (keys && !keys.ok) throw new Error(`enrollment signing keys: ${keys.error.message}`);
  const deployer = new Deployer({
    store,
    engine,
    statePath: join(config.dataDir, 'state.json'),
    sessionOptions: {
      intraOpNumThreads: config.threads,
      interOpNumThreads: config.interOpThreads,
      graphOptimizationLevel: config.graphOptimization,
      inlineMaxMs: config.inlineMaxMs,
    },
    keepVersions: config.keepVersions,
    retry: { attempts: config.applyRetries, baseMs: config.applyRetryMs },
    logger,
    ...(enrollment && keys?.ok
      ? {
          fetchContext: {
            apiUrl: enrollment.apiUrl,
            deviceToken: enrollment.deviceToken,
            keys: keys.value,
            store,
          },
        }
      : {}),
  });
  let errors = await deployer.restore();
  let restoreErrors = errors;
  let appliedRev = 0;
  return {
    store,
    deployer,
    errors: () => errors,
    unreportedRestoreErrors: () => restoreErrors.length > 0,
    appliedRev: () => appliedRev,
    async apply(desired) {
      const outcome = await deployer.apply(desired);
      if (!outcome) return false;
      errors = [...outcome.errors, ...restoreErrors];
      restoreErrors = [];
      if (outcome.applied) appliedRev = outcome.rev;
      return true;
    },
    close: () => deployer.close(),
  };
}
