import type { TensorDtype } from '@edgefleet/shared';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { AgentError } from '../errors';
import type { OperatorFeedback } from '../feedback';
import { admitImage, DecodeBudget, decodeImage, MAX_DECODED_PIXELS } from '../image/decode';
import type { AgentTensor } from '../runtime/tensor';
import type { InferResult, ServingEngine } from '../serving/engine';
import { addStationRoutes } from '../station';
import { addFeedbackRoutes } from './feedback-routes';
import { checkHostAndOrigin } from './host-check';

const tensorBodySchema = z.strictObject({
  dims: z
    .array(
      z
        .int()
        .min(1)
        .max(1 << 24),
    )
    .min(1)
    .max(8),
  data: z.array(z.number()).max(1 << 24),
  dtype: z.enum(['float32', 'uint8', 'int8']).default('float32'),
});

const ARRAYS = { float32: Float32Array, uint8: Uint8Array, int8: Int8Array } as const;

/** What the API needs besides the engine. */
export interface ApiDeps {
  engine: ServingEngine;
  maxBodyBytes: number;
  /** Largest image (pixels) and the decoded bytes of all images in flight (default: 16 Mpx, two of them). */
  maxImagePixels?: number;
  decodeBudget?: DecodeBudget;
  status: () => Record<string, unknown>;
  /** Host names (and origins' host names) allowed besides IPs, localhost and this machine's name. */
  allowedHosts?: readonly string[];
  /** Operator feedback (`POST /v1/feedback`, `GET /v1/review`); absent: those routes answer 404. */
  feedback?: OperatorFeedback;
}

/** JSON form of an inference result; `outputs` omitted with `?outputs=false`. */
export function resultJson(r: InferResult, withOutputs: boolean): Record<string, unknown> {
  const outputs: Record<string, unknown> = {};
  if (withOutputs) {
    for (const [name, t] of Object.entries(r.outputs)) {
      outputs[name] = { dims: t.dims, dtype: t.dtype, data: Array.from(t.data as ArrayLike<number>, Number) };
    }
  }
  return {
    predictionId: r.predictionId,
    model: r.model,
    ...(r.top ? { top: r.top } : {}),
    decision: r.decision,
    latencyMs: r.latencyMs,
    ...(withOutputs ? { outputs } : {}),
  };
}

function parseTensor(json: unknown): AgentTensor {
  const parsed = tensorBodySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentError(
      'invalid_input',
      `body.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const { dims, data, dtype } = parsed.data;
  return { data: ARRAYS[dtype].from(data), dims, dtype: dtype as TensorDtype };
}

/**
 * The local inference API (Hono): `POST /v1/infer` with a JSON tensor `{dims, data, dtype?}` or PNG/JPEG
 * bytes, `GET /v1/status`. Bad input answers 4xx with `{ error, message }` and is counted; an answer
 * later than the `inferenceTimeoutMs` policy is 504 `timeout` (the run itself cannot be interrupted).
 */
export function createApi(deps: ApiDeps): Hono {
  const app = new Hono();
  const maxPixels = deps.maxImagePixels ?? MAX_DECODED_PIXELS;
  const budget = deps.decodeBudget ?? new DecodeBudget(2 * 4 * maxPixels);
  app.onError((err, c) => {
    const e = err instanceof AgentError ? err : new AgentError('internal', err.message);
    return c.json({ error: e.kind, message: e.message }, e.status);
  });
  app.notFound((c) => c.json({ error: 'not_found', message: `no route ${c.req.method} ${c.req.path}` }, 404));
  app.use('*', checkHostAndOrigin(deps.allowedHosts ?? []));
  app.get('/v1/status', (c) => c.json(deps.status()));
  if (deps.feedback) {
    addFeedbackRoutes(app, deps.feedback);
    addStationRoutes(app);
  }
  app.post(
    '/v1/infer',
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: (c) => {
        deps.engine.reject('too_large');
        return c.json(
          { error: 'too_large', message: `expected a body of at most ${deps.maxBodyBytes} bytes` },
          413,
        );
      },
    }),
    async (c) => {
      // The timeout policy counts from here: reading and decoding the body are part of the caller's wait.
      const inferOptions = { receivedAtMs: performance.now(), failOnTimeout: true };
      const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const withOutputs = c.req.query('outputs') !== 'false';
      let result: InferResult;
      if (type === 'application/json') {
        let json: unknown;
        try {
          json = await c.req.json();
        } catch {
          deps.engine.reject('invalid_input');
          throw new AgentError('invalid_input', 'body is not valid JSON');
        }
        let tensor: AgentTensor;
        try {
          tensor = parseTensor(json);
        } catch (err) {
          deps.engine.reject('invalid_input');
          throw err;
        }
        result = await deps.engine.infer({ kind: 'tensor', tensor }, inferOptions);
      } else if (type === 'image/png' || type === 'image/jpeg' || type === 'application/octet-stream') {
        const bytes = new Uint8Array(await c.req.arrayBuffer());
        let image: Awaited<ReturnType<typeof decodeImage>>;
        let release = () => {};
        try {
          // The header first: an image over the bound is refused before a pixel is decoded.
          ({ release } = await admitImage(bytes, maxPixels, budget));
          image = await decodeImage(bytes, maxPixels);
        } catch (err) {
          release();
          deps.engine.reject(err instanceof AgentError ? err.kind : 'invalid_input');
          if (err instanceof AgentError && err.kind === 'busy') c.header('retry-after', '1');
          throw err;
        }
        try {
          result = await deps.engine.infer({ kind: 'image', image, encoded: bytes }, inferOptions);
        } finally {
          release();
        }
      } else {
        deps.engine.reject('unsupported_media');
        throw new AgentError(
          'unsupported_media',
          `expected application/json, image/png or image/jpeg, got ${type || 'none'}`,
        );
      }
      return c.json(resultJson(result, withOutputs));
    },
  );
  return app;
}
