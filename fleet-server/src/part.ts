import type { FleetApp } from './http/app';

/** Something that runs beside the HTTP API (the MQTT broker or link, ingest workers, timers); stopped in reverse. */
export interface Component {
  name: string;
  close(): Promise<void>;
}

/**
 * One module of the server as `startServer` wires it: `createX(deps) → { routes, start, close }`. `routes` mounts
 * its HTTP API; `start` (only where the module runs something: a timer, a subscription) takes what exists once
 * the listeners are up; `close` stops what `start` started.
 */
export interface ServerPart extends Component {
  routes(app: FleetApp): void;
}

/** A part that only serves routes: nothing to start, nothing to stop. */
export function routesOnly(name: string, routes: (app: FleetApp) => void): ServerPart {
  return { name, routes, close: async () => {} };
}
