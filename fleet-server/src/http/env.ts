import type { HttpBindings } from '@hono/node-server';

/** Who made a request, set by the auth middleware. */
export type Principal =
  | { kind: 'admin'; tokenId: string }
  | { kind: 'device'; deviceId: string }
  | { kind: 'app'; appId: string };

/** Hono environment of every route. */
export interface AppEnv {
  Bindings: HttpBindings;
  Variables: { principal: Principal };
}
