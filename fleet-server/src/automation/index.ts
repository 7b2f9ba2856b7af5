import type { ServerContext } from '../context';
import type { ServerPart } from '../part';
import type { RolloutPublisher } from '../rollouts';
import { registerAutomationRoutes } from './routes';

export { setAutomation } from './apply';

/** Automation levels: set per model on device targets and web apps, applied through the desired-state publisher. */
export interface AutomationPart extends ServerPart {
  name: 'automation';
  /** Takes the device sessions' publisher once the MQTT side is up. */
  start(publisher: RolloutPublisher): void;
}

/** The automation part: its routes answer 409 until {@link AutomationPart.start}. */
export function createAutomation(ctx: ServerContext): AutomationPart {
  let publisher: RolloutPublisher | null = null;
  return {
    name: 'automation',
    routes: (app) => registerAutomationRoutes(app, ctx, () => publisher),
    start: (p) => {
      publisher = p;
    },
    close: async () => {
      publisher = null;
    },
  };
}
