import type { ServerContext } from '../context';
import type { SpecResolver } from '../models';
import type { ServerPart } from '../part';
import { RolloutController, type RolloutPublisher } from './controller';
import { DEFAULT_TELEMETRY } from './desired-state';
import { registerRolloutPlanRoute } from './plan-route';
import { registerRolloutRoutes } from './routes';

export { RolloutController, type RolloutPublisher } from './controller';
export { applyAction, type Decision, decide, type RolloutAction } from './decide';
export { evaluateGates, type Gates, type GateValue } from './gates';
export { advanceAllowed, type MaintenanceWindow } from './maintenance';
export { registerRolloutRoutes } from './routes';
export { stageMergesHoldFromId } from './stage-merge-store';
export { parseStages, type Stage } from './stages';
export type * from './types';

/** The rollout side of a server: the controller (started once the MQTT side can publish) and its routes. */
export interface Rollouts extends ServerPart {
  name: 'rollouts';
  controller: RolloutController;
  /** Starts the tick loop on the device sessions' publisher. */
  start(publisher: RolloutPublisher): void;
  close(): Promise<void>;
}

/** Creates the rollout controller on the server's database (tick every `config.rolloutTickMs`). */
export function createRollouts(ctx: ServerContext, specs: SpecResolver): Rollouts {
  const controller = new RolloutController({
    ctx,
    specs,
    tickMs: ctx.config.rolloutTickMs,
    appClientInferenceCap: ctx.config.appGateMaxClientInferences,
    telemetry: { ...DEFAULT_TELEMETRY, windowMs: ctx.config.telemetryWindowMs },
  });
  return {
    name: 'rollouts',
    controller,
    routes: (app) => {
      registerRolloutRoutes(app, ctx, controller);
      registerRolloutPlanRoute(app, ctx, specs);
    },
    start: (publisher) => controller.start(publisher),
    close: () => controller.stop(),
  };
}
