import { timingSafeEqual } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { canPublish, canSubscribe } from './acl';
import { principalOfIdentity } from './db-auth';
import type { BrokerAuth, Principal } from './principal';

/** What the broker hook endpoints need. */
export interface BrokerHookDeps {
  fleet: string;
  auth: BrokerAuth;
  /** Username of the server's own connection (`--mqtt-url`): a superuser. */
  serverUsername?: string;
  /** When set, every hook call must carry it (`Authorization: Bearer …`, `x-edgefleet-hook-secret` or `?secret=`). */
  hookSecret?: string;
}

type Fields = Record<string, unknown>;

async function readFields(c: Context): Promise<Fields> {
  const type = c.req.header('content-type') ?? '';
  try {
    if (type.includes('application/x-www-form-urlencoded') || type.includes('multipart/form-data')) {
      return Object.fromEntries(Object.entries(await c.req.parseBody()).map(([k, v]) => [k, String(v)]));
    }
    const text = await c.req.text();
    if (text.length > 64 * 1024) return {};
    const json: unknown = JSON.parse(text);
    return json && typeof json === 'object' && !Array.isArray(json) ? (json as Fields) : {};
  } catch {
    return {};
  }
}

const str = (f: Fields, ...names: string[]): string | undefined => {
  for (const n of names) if (typeof f[n] === 'string') return f[n] as string;
  return undefined;
};

function hasSecret(c: Context, secret: string | undefined): boolean {
  if (secret === undefined) return true;
  const bearer = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
  const given = bearer ?? c.req.header('x-edgefleet-hook-secret') ?? c.req.query('secret') ?? '';
  const a = Buffer.from(given);
  const b = Buffer.from(secret);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * One answer understood by the common HTTP auth plugins: EMQX reads `result` (allow/deny) and
 * `is_superuser`, mosquitto-go-auth (`http_response_mode json`) reads `ok`, VerneMQ webhooks
 * (`?style=vernemq`) read `result: "ok"` or `{ error }`, and `?mode=status` answers 200 / 403 only.
 */
function verdict(c: Context, allow: boolean, superuser = false, reason = 'not authorized'): Response {
  if (c.req.query('mode') === 'status') return c.body(null, allow ? 200 : 403);
  if (c.req.query('style') === 'vernemq') {
    return c.json(allow ? { result: 'ok' } : { result: { error: 'not_allowed' } }, 200);
  }
  return c.json(
    allow
      ? { result: 'allow', is_superuser: superuser, ok: true }
      : { result: 'deny', ok: false, error: reason },
    200,
  );
}

/** Topics an ACL request asks about, and whether they are publishes. */
function aclRequest(c: Context, f: Fields): { publish: boolean; topics: string[]; retain: boolean } | null {
  const hook = c.req.header('vernemq-hook');
  if (hook === 'auth_on_subscribe' && Array.isArray(f.topics)) {
    const topics = (f.topics as unknown[])
      .map((t) => (t as { topic?: unknown })?.topic)
      .filter((t) => typeof t === 'string');
    return topics.length === f.topics.length
      ? { publish: false, topics: topics as string[], retain: false }
      : null;
  }
  const topic = str(f, 'topic');
  if (topic === undefined) return null;
  const retain = f.retain === true || f.retain === 'true' || f.retain === 1 || f.retain === '1';
  if (hook === 'auth_on_publish') return { publish: true, topics: [topic], retain };
  const action = str(f, 'action')?.toLowerCase();
  const acc = Number(f.acc);
  if (action === 'publish' || acc === 2) return { publish: true, topics: [topic], retain };
  // go-auth: 1 = read (delivery to a subscriber), 4 = subscribe. Anything else (3 = read+write) is refused:
  // no client of ours needs both on one topic.
  if (action === 'subscribe' || acc === 1 || acc === 4) return { publish: false, topics: [topic], retain };
  return null;
}

/**
 * Whether and how the hook routes are mounted: `secret` (they require `brokerHookSecret`), `open` (external
 * broker without a secret: mounted without one, with a loud warning at start) or `off` (embedded broker without
 * a secret: nothing outside the process needs them, so they do not exist).
 */
export function brokerHookMode(config: {
  mqttUrl?: string | undefined;
  brokerHookSecret?: string | undefined;
}): 'secret' | 'open' | 'off' {
  if (config.brokerHookSecret !== undefined) return 'secret';
  return config.mqttUrl ? 'open' : 'off';
}

/**
 * `POST /broker/auth`, `POST /broker/acl` and `POST /broker/superuser`: HTTP auth hooks for an external broker
 * (EMQX HTTP authn/authz, mosquitto-go-auth HTTP backend, VerneMQ webhooks). Mount under the API prefix.
 * Body: JSON or form with `clientid` | `client_id` | `clientId`, `username`, `password` (auth), `topic` and
 * `action` (`publish`|`subscribe`) or go-auth's `acc` (acl).
 */
export function createBrokerHookApp(deps: BrokerHookDeps): Hono {
  const app = new Hono();
  app.use('/broker/*', async (c, next) => {
    if (!hasSecret(c, deps.hookSecret))
      return c.json({ error: 'unauthorized', message: 'hook secret required' }, 401);
    await next();
  });

  app.post('/broker/auth', async (c) => {
    const f = await readFields(c);
    const clientId = str(f, 'clientid', 'client_id', 'clientId') ?? '';
    const principal = await deps.auth.authenticate(clientId, str(f, 'username'), str(f, 'password'));
    return verdict(c, principal !== null, principal?.kind === 'server', 'bad credentials');
  });

  app.post('/broker/superuser', async (c) => {
    const f = await readFields(c);
    const username = str(f, 'username') ?? '';
    return verdict(c, deps.serverUsername !== undefined && username === deps.serverUsername, true);
  });

  app.post('/broker/acl', async (c) => {
    const f = await readFields(c);
    const principal: Principal | null = principalOfIdentity(
      str(f, 'clientid', 'client_id', 'clientId') ?? '',
      str(f, 'username') ?? '',
      deps.serverUsername,
    );
    const request = aclRequest(c, f);
    if (!principal || !request) return verdict(c, false);
    const allowed = request.topics.every((topic) =>
      request.publish
        ? canPublish(principal, topic, deps.fleet, { retain: request.retain })
        : canSubscribe(principal, topic, deps.fleet),
    );
    return verdict(c, allowed);
  });
  return app;
}
