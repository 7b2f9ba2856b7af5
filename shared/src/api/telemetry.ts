import { z } from 'zod';
import { idSchema } from '../protocol/primitives';
import { sampleBatch } from '../protocol/samples';
import { telemetryBatchSchema } from '../protocol/telemetry';
import { API_PREFIX, defineRoute } from './route';

/** Per client and epoch: the exact seqs stored now or before (delete those) and the highest stored seq. */
export const httpAckSchema = z
  .object({
    v: z.literal(1),
    clientId: idSchema,
    epoch: z.int(),
    seq: z.int().meta({ description: 'highest stored seq of the epoch' }),
    seqs: z
      .array(z.int())
      .optional()
      .meta({ description: 'exactly the seqs of this request stored now or before: delete these' }),
  })
  .meta({ id: 'TelemetryAck', example: { v: 1, clientId: 'st-1', epoch: 3, seq: 42, seqs: [41, 42] } });

/** What became of one report of the batch. */
export const reportResultSchema = z
  .object({
    clientId: z.string(),
    epoch: z.int(),
    seq: z.int(),
    status: z.enum(['stored', 'duplicate', 'rejected']),
    reason: z.string().optional(),
  })
  .meta({ id: 'ReportResult', example: { clientId: 'st-1', epoch: 3, seq: 42, status: 'stored' } });

/** Answer of `POST /api/v1/telemetry`, sent after the reports are stored. */
export const telemetryAcksSchema = z
  .object({ acks: z.array(httpAckSchema), results: z.array(reportResultSchema) })
  .meta({
    id: 'TelemetryAcks',
    example: {
      acks: [{ v: 1, clientId: 'st-1', epoch: 3, seq: 42, seqs: [42] }],
      results: [{ clientId: 'st-1', epoch: 3, seq: 42, status: 'stored' }],
    },
  });
/** Answer of `POST /api/v1/telemetry`. */
export type TelemetryAcks = z.infer<typeof telemetryAcksSchema>;

/** Telemetry over HTTP (browsers and devices). */
export const telemetryRoutes = [
  defineRoute({
    method: 'post',
    path: `${API_PREFIX}/telemetry`,
    body: z.object(telemetryBatchSchema.shape).meta({ id: 'TelemetryBatch', example: sampleBatch() }),
    bodyAlso: ['text/plain'],
    responses: { 200: telemetryAcksSchema, 503: telemetryAcksSchema },
  }),
] as const;
