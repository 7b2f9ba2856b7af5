import type { ServerContext } from '../context';
import type { EventBus } from '../events/bus';
import type { SpecResolver } from '../models';
import type { ServerPart } from '../part';
import { AlertEvaluator } from './evaluator';
import { registerAlertRoutes } from './routes';

export { applyFailedConditions, silentConditions } from './conditions';
export { AlertEvaluator, type AlertEvaluatorOptions } from './evaluator';
export { type Bound, type JudgeOptions, judgeWindow, type WindowJudgement } from './judge';
export type { AlertKind, AlertSeverity } from './schema';
export {
  type AlertChange,
  type AlertCondition,
  type AlertRow,
  type AlertStatus,
  acknowledgeAlert,
  listAlerts,
  raiseAlert,
  resolveCleared,
} from './store';
export { windowConditions } from './window-conditions';

/** The alert side of a server: the evaluator and its routes. */
export interface Alerts extends ServerPart {
  name: 'alerts';
  evaluator: AlertEvaluator;
  start(): void;
}

/** Creates the evaluator on the server's database (tick every `config.alertTickMs`, 0: events only). */
export function createAlerts(ctx: ServerContext, specs: SpecResolver, bus: EventBus): Alerts {
  const evaluator = new AlertEvaluator({
    db: ctx.db,
    specs,
    bus,
    logger: ctx.logger,
    now: ctx.now,
    config: ctx.config,
  });
  return {
    name: 'alerts',
    evaluator,
    routes: (app) => registerAlertRoutes(app, ctx, bus),
    start: () => evaluator.start(),
    close: async () => evaluator.close(),
  };
}
