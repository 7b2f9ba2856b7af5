import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { AgentError } from '../errors';
import type { OperatorFeedback } from '../feedback';

/** Largest `POST /v1/feedback` body: an id and a class name. */
export const MAX_FEEDBACK_BODY_BYTES = 1024;

const predictionIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'expected letters, digits, - or _');
const labelSchema = z.string().min(1).max(128);
const feedbackBodySchema = z.strictObject({ predictionId: predictionIdSchema, label: labelSchema });
const verdictBodySchema = z.strictObject({ label: labelSchema });

const limitBody = bodyLimit({
  maxSize: MAX_FEEDBACK_BODY_BYTES,
  onError: (c) =>
    c.json(
      { error: 'too_large', message: `expected a body of at most ${MAX_FEEDBACK_BODY_BYTES} bytes` },
      413,
    ),
});

/**
 * Reads a JSON body against `schema`. Only `application/json` is taken: a foreign page can send a form or plain
 * text to localhost without asking, but JSON needs a CORS preflight this API never grants (CSRF defence, beside
 * the `Origin` check).
 */
async function readJsonBody<T>(c: Context, schema: z.ZodType<T>, expected: string): Promise<T> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new AgentError(
      'unsupported_media',
      `expected content-type application/json, got ${type || 'none'}`,
    );
  }
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    throw new AgentError('invalid_input', 'body is not valid JSON');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AgentError(
      'invalid_input',
      `body.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'} (expected ${expected})`,
    );
  }
  return parsed.data;
}

function predictionIdParam(c: Context): string {
  const raw = c.req.param('predictionId') ?? '';
  const parsed = predictionIdSchema.safeParse(raw);
  if (!parsed.success) {
    throw new AgentError(
      'invalid_input',
      `expected a predictionId of 1 to 64 letters, digits, - or _, got ${JSON.stringify(raw.slice(0, 80))}`,
    );
  }
  return parsed.data;
}

/**
 * `POST /v1/feedback {predictionId, label}`: an operator's label, counted once (404 unknown id, 409 duplicate,
 * 410 too late, 422 label not a class, 429 the window holds as many labels as inferences).
 * `GET /v1/review`: predictions routed to review still without a label, newest first (`?limit=`, at most 500).
 * `POST /v1/review/{predictionId} {label}`: the review queue's verdict, the same path and errors as feedback.
 * `GET /v1/review/{predictionId}/image`: the image the prediction was made on (kept on the device only).
 */
export function addFeedbackRoutes(app: Hono, feedback: OperatorFeedback): void {
  app.post('/v1/feedback', limitBody, async (c) => {
    const body = await readJsonBody(c, feedbackBodySchema, '{predictionId, label}');
    return c.json(feedback.submit(body.predictionId, body.label));
  });
  app.get('/v1/review', (c) => {
    const limit = Number(c.req.query('limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1)
      throw new AgentError(
        'invalid_input',
        `expected limit to be a positive integer, got ${c.req.query('limit')}`,
      );
    const pending = feedback.pendingReview(limit).map((p) => ({
      predictionId: p.predictionId,
      createdAt: new Date(p.createdMs).toISOString(),
      model: p.model,
      suggestion: { label: p.classes[p.predictedIndex], confidence: p.confidence },
      classes: p.classes,
      reason: p.reason,
      image: feedback.hasReviewImage(p.predictionId) ? `/v1/review/${p.predictionId}/image` : null,
    }));
    return c.json({ pending });
  });
  app.post('/v1/review/:predictionId', limitBody, async (c) => {
    const predictionId = predictionIdParam(c);
    const body = await readJsonBody(c, verdictBodySchema, '{label}');
    return c.json(feedback.submit(predictionId, body.label));
  });
  app.get('/v1/review/:predictionId/image', (c) => {
    const predictionId = predictionIdParam(c);
    const image = feedback.reviewImage(predictionId);
    if (!image) {
      return c.json(
        {
          error: 'not_found',
          message: `no image kept for ${predictionId}: labelled, expired, evicted by --review-image-bytes, or a tensor input`,
        },
        404,
      );
    }
    return c.body(new Uint8Array(image.bytes), 200, {
      'content-type': image.contentType,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // Another site's page may not even embed it (an <img> sends no Origin header).
      'cross-origin-resource-policy': 'same-origin',
    });
  });
}
