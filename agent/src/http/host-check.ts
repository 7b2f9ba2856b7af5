import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { MiddlewareHandler } from 'hono';

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.']);

function hostnameOf(hostHeader: string): string | null {
  try {
    return new URL(`http://${hostHeader}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return null;
  }
}

const isLoopback = (name: string): boolean =>
  LOOPBACK_NAMES.has(name) || name === '::1' || (isIP(name) === 4 && name.startsWith('127.'));

/**
 * Guards the local API against DNS rebinding and cross-site pages on the station: a browser that visits an
 * attacker's page can be made to send requests to 127.0.0.1 under the attacker's host name, or from the
 * attacker's origin. So the `Host` must be an IP address, `localhost`, this machine's host name or one of
 * `allowedHosts`; and a request that carries an `Origin` (browsers do, station software does not) must come
 * from a loopback origin or one of `allowedHosts`. Anything else is 403.
 */
export function checkHostAndOrigin(allowedHosts: readonly string[]): MiddlewareHandler {
  const extra = new Set(allowedHosts.map((h) => h.toLowerCase()));
  const own = hostname().toLowerCase();
  const hostOk = (name: string) =>
    isIP(name) !== 0 || isLoopback(name) || name === own || name === `${own}.local` || extra.has(name);
  return async (c, next) => {
    const host = c.req.header('host');
    const hostName = host === undefined ? null : hostnameOf(host);
    if (host !== undefined && (hostName === null || !hostOk(hostName))) {
      return c.json(
        { error: 'forbidden', message: `host ${host} is not this agent (see --api-allowed-hosts)` },
        403,
      );
    }
    const origin = c.req.header('origin');
    if (origin !== undefined) {
      let originHost: string | null = null;
      try {
        originHost = new URL(origin).hostname.replace(/^\[|\]$/g, '').toLowerCase();
      } catch {
        originHost = null;
      }
      if (originHost === null || !(isLoopback(originHost) || extra.has(originHost))) {
        return c.json({ error: 'forbidden', message: `origin ${origin} may not call this agent` }, 403);
      }
    }
    await next();
  };
}
