import { z } from 'zod';
import { ALERT_KINDS, ALERT_STATUSES } from './alerts';
import { ROLLOUT_STATUSES } from './rollouts';
import { API_PREFIX, defineRoute } from './route';

/** One live update of `GET /api/v1/events` (the SSE `event:` name is `type`, the `data:` line is `data` as JSON). */
export const fleetEventSchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('rollout'),
      data: z.object({
        id: z.string(),
        status: z.enum(ROLLOUT_STATUSES),
        stageIndex: z.int(),
        action: z.string(),
      }),
    }),
    z.object({
      type: z.literal('telemetry'),
      data: z.object({ model: z.string(), version: z.string(), reports: z.int() }),
    }),
    z.object({
      type: z.literal('device'),
      data: z.object({ id: z.string(), online: z.boolean(), reported: z.boolean().optional() }),
    }),
    z.object({
      type: z.literal('alert'),
      data: z.object({ id: z.int(), kind: z.enum(ALERT_KINDS), status: z.enum(ALERT_STATUSES) }),
    }),
  ])
  .meta({ id: 'FleetEvent', example: { type: 'device', data: { id: 'st-1', online: true } } });
/** One live update. */
export type FleetEvent = z.infer<typeof fleetEventSchema>;

/** The live event stream. */
export const eventRoutes = [
  defineRoute({
    method: 'get',
    path: `${API_PREFIX}/events`,
    query: z.object({
      token: z.string().max(512).optional().meta({ description: 'admin token, for EventSource' }),
    }),
    responses: {
      200: z.string().meta({
        description: 'Server-Sent Events; each `data:` line is the `data` of a FleetEvent',
        example: 'event: device\ndata: {"id":"st-1","online":true}\n\n',
      }),
    },
    rawResponse: 'text/event-stream',
  }),
] as const;
