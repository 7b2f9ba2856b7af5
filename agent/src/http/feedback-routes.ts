import type { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { AgentError } from '../errors';
import type { OperatorFeedback } from '../feedback';

/** Largest `POST /v1/feedback` body: an id and a class name. */
export const MAX_FEEDBACK_BODY_BYTES = 1024;

const feedbackBodySchema = z.strictObject({
  predictionId: z.string().min(1).max(64),
  label: z.string().min(1).max(128),
});

/**
 * `POST /v1/feedback {predictionId, label}`: an operator's label, counted once (404 unknown id, 409 duplicate,
 * 410 too late, 422 label not a class, 429 the window holds as many labels as inferences). `GET /v1/review`:
 * predictions routed to review still without a label, newest first (`?limit=`, at most 500).
 */
export function addFeedbackRoutes(app: Hono, feedback: OperatorFeedback): void {
  app.post(
    '/v1/feedback',
    bodyLimit({
      maxSize: MAX_FEEDBACK_BODY_BYTES,
      onError: (c) =>
        c.json(
          { error: 'too_large', message: `expected a body of at most ${MAX_FEEDBACK_BODY_BYTES} bytes` },
          413,
        ),
    }),
    async (c) => {
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        throw new AgentError('invalid_input', 'body is not valid JSON');
      }
      const parsed = feedbackBodySchema.safeParse(json);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AgentError(
          'invalid_input',
          `body.${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'} (expected {predictionId, label})`,
        );
      }
      return c.json(feedback.submit(parsed.data.predictionId, parsed.data.label));
    },
  );
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
    }));
    return c.json({ pending });
  });
}
