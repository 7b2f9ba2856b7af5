import { apiRoute } from '@edgefleet/shared/api';
import type { ServerContext } from '../context';
import { API_PREFIX, type FleetApp } from '../http/app';
import { contractRoute } from '../http/openapi';
import { brokerHookMode, createBrokerHookApp } from './broker-hooks';
import { dbBrokerAuth } from './db-auth';

/** The server's own credentials from `--mqtt-url` (for the HTTP auth hooks), if it has any. */
function serverCredentialsOf(
  mqttUrl: string | undefined,
): { username: string; password: string } | undefined {
  if (!mqttUrl) return undefined;
  const url = new URL(mqttUrl);
  return url.username
    ? { username: decodeURIComponent(url.username), password: decodeURIComponent(url.password) }
    : undefined;
}

/** The external broker's HTTP auth hooks under `/api/v1/broker/*`, per {@link brokerHookMode}. */
export function mountBrokerHooks(app: FleetApp, ctx: ServerContext): void {
  const { config, logger } = ctx;
  const mode = brokerHookMode(config);
  if (mode === 'off') return;
  if (mode === 'open') {
    logger.warn(
      { routes: `${API_PREFIX}/broker/{auth,acl,superuser}` },
      'BROKER HOOKS ARE OPEN: external broker mode without --broker-hook-secret; anyone who can reach this ' +
        'port can probe device credentials through them. Set --broker-hook-secret and configure the broker to send it.',
    );
  }
  // Plain Hono (each plugin sends its own form or JSON): documented from the contract, read by the hooks themselves.
  for (const name of ['auth', 'acl', 'superuser'] as const) {
    app.openAPIRegistry.registerPath(
      contractRoute(apiRoute(`POST /api/v1/broker/${name}`), {
        tags: ['broker'],
        summary: `External broker HTTP auth hook: ${name} (EMQX, mosquitto-go-auth, VerneMQ)`,
        description:
          'The hook secret (when set) comes as `Authorization: Bearer`, `x-edgefleet-hook-secret` or `?secret=`; ' +
          '`?style=vernemq` and `?mode=status` choose the answer form.',
        errors: [403],
      }),
    );
  }
  const serverCredentials = serverCredentialsOf(config.mqttUrl);
  app.route(
    API_PREFIX,
    createBrokerHookApp({
      fleet: config.fleet,
      auth: dbBrokerAuth(ctx.db, serverCredentials),
      ...(serverCredentials ? { serverUsername: serverCredentials.username } : {}),
      ...(config.brokerHookSecret !== undefined ? { hookSecret: config.brokerHookSecret } : {}),
    }),
  );
}
