import { alertRoutes } from './alerts';
import { appRoutes } from './apps';
import { artifactRoutes } from './artifacts';
import { automationRoutes } from './automation';
import { brokerHookRoutes } from './broker-hooks';
import { datasetRoutes } from './datasets';
import { deviceRoutes } from './devices';
import { downloadRoutes } from './downloads';
import { eventRoutes } from './events';
import { modelRoutes } from './models';
import { monitoringRoutes } from './monitoring';
import { qualityRoutes } from './quality';
import { rolloutPlanRoutes } from './rollout-plan';
import { rolloutRoutes } from './rollouts';
import type { ApiRoute, RouteKey } from './route';
import { sampleRoutes } from './samples';
import { systemRoutes } from './system';
import { telemetryRoutes } from './telemetry';

/** Every HTTP route of the fleet server, by concept. */
export const API_ROUTES = [
  ...systemRoutes,
  ...artifactRoutes,
  ...modelRoutes,
  ...deviceRoutes,
  ...appRoutes,
  ...rolloutRoutes,
  ...rolloutPlanRoutes,
  ...telemetryRoutes,
  ...monitoringRoutes,
  ...qualityRoutes,
  ...automationRoutes,
  ...sampleRoutes,
  ...datasetRoutes,
  ...downloadRoutes,
  ...alertRoutes,
  ...eventRoutes,
  ...brokerHookRoutes,
] as const satisfies readonly ApiRoute[];

type AnyRoute = (typeof API_ROUTES)[number];

/** The routes by `METHOD path`, e.g. `ApiRoutes['GET /api/v1/devices/{id}']`. */
export type ApiRoutes = { [R in AnyRoute as RouteKey<R>]: R };

/** `METHOD path` of a route, as the client names it. */
export const routeKeyOf = (route: ApiRoute): string => `${route.method.toUpperCase()} ${route.path}`;

const byKey = new Map<string, ApiRoute>(API_ROUTES.map((route) => [routeKeyOf(route), route]));

/** The contract route of `METHOD path`, e.g. `apiRoute('GET /api/v1/devices/{id}')`. */
export function apiRoute<K extends keyof ApiRoutes>(key: K): ApiRoutes[K] {
  const route = byKey.get(key);
  if (!route) throw new TypeError(`no API route ${key}`);
  return route as ApiRoutes[K];
}
