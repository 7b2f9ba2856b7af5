import { z } from 'zod';
import { API_PREFIX, defineRoute } from './route';

/**
 * What a broker's HTTP auth plugin sends (as JSON or a form): EMQX, mosquitto-go-auth and VerneMQ webhooks name
 * the fields differently; the hooks read whichever is there.
 */
export const brokerHookRequestSchema = z
  .object({
    clientid: z.string().optional(),
    client_id: z.string().optional(),
    clientId: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    topic: z.string().optional(),
    topics: z.array(z.object({ topic: z.string() })).optional(),
    action: z.enum(['publish', 'subscribe']).optional(),
    acc: z
      .union([z.int(), z.string()])
      .optional()
      .meta({ description: 'go-auth: 1 read, 2 write, 4 subscribe' }),
    retain: z.union([z.boolean(), z.int(), z.string()]).optional(),
  })
  .meta({
    id: 'BrokerHookRequest',
    example: {
      clientid: 'station-7',
      username: 'station-7',
      topic: 'ef/v1/plant-a/dev/station-7/telemetry',
      acc: 2,
    },
  });

/**
 * The verdict, in the form each plugin reads: `{ result: allow|deny, is_superuser, ok }` (EMQX, go-auth JSON mode),
 * `{ result: "ok" }` or `{ result: { error } }` (`?style=vernemq`); `?mode=status` answers 200 / 403 without a body.
 */
export const brokerHookVerdictSchema = z
  .union([
    z.object({ result: z.literal('allow'), is_superuser: z.boolean(), ok: z.literal(true) }),
    z.object({ result: z.literal('deny'), ok: z.literal(false), error: z.string() }),
    z.object({ result: z.literal('ok') }),
    z.object({ result: z.object({ error: z.string() }) }),
  ])
  .meta({ id: 'BrokerHookVerdict', example: { result: 'allow', is_superuser: false, ok: true } });

const hook = (name: 'auth' | 'acl' | 'superuser') =>
  defineRoute({
    method: 'post',
    path: `${API_PREFIX}/broker/${name}`,
    body: brokerHookRequestSchema,
    responses: { 200: brokerHookVerdictSchema },
  });

/** The external broker's HTTP auth hooks (mounted only in external broker mode or with a hook secret). */
export const brokerHookRoutes = [hook('auth'), hook('acl'), hook('superuser')] as const;
