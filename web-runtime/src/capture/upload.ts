import type { SampleEntry } from '../storage/db';

/** What to do with a sample after one upload attempt. */
export type UploadVerdict =
  /** Stored (201) or already there (200): delete it. */
  | { kind: 'delivered'; status: number }
  /** Refused for good (the sample or this app's right to send it): drop it and count the status. */
  | { kind: 'refused'; status: number; reason?: string }
  /** Not now (offline, over the server's budget or space, server error): keep it, retry after `afterMs`. */
  | { kind: 'retry'; status: number; afterMs?: number };

/** Statuses that say "later", not "never": budget (429), space (507), timeouts, and key or route trouble. */
const RETRY_STATUSES = new Set([0, 401, 404, 408, 425, 429]);

/**
 * Classifies the server's answer to `POST /api/v1/samples`. 5xx and the statuses above are retried; any other
 * 4xx (403 capture_disabled or a forged client, 413 too large, 415/422 undecodable or invalid) can never succeed.
 */
export function classifyAnswer(status: number, retryAfter?: string | null, reason?: string): UploadVerdict {
  if (status === 200 || status === 201) return { kind: 'delivered', status };
  if (RETRY_STATUSES.has(status) || status >= 500) {
    const seconds = retryAfter ? Number(retryAfter) : Number.NaN;
    return Number.isFinite(seconds) && seconds >= 0
      ? { kind: 'retry', status, afterMs: Math.min(seconds, 3_600) * 1_000 }
      : { kind: 'retry', status };
  }
  return reason ? { kind: 'refused', status, reason } : { kind: 'refused', status };
}

/**
 * Uploads one sample as multipart/form-data (`meta` JSON, `content` bytes) with the app's publishable key, at low
 * fetch priority; never throws (a network failure is a retry).
 */
export async function uploadSample(server: string, key: string, entry: SampleEntry): Promise<UploadVerdict> {
  const form = new FormData();
  form.append('meta', new Blob([JSON.stringify(entry.meta)], { type: 'application/json' }), 'meta.json');
  form.append('content', new Blob([entry.content], { type: entry.meta.contentType }), entry.sha256);
  let response: Response;
  try {
    response = await fetch(`${server}/api/v1/samples`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}` },
      body: form,
      priority: 'low',
    });
  } catch {
    return { kind: 'retry', status: 0 };
  }
  // Error bodies are `{ error: code, message }` (shared/api errorBodySchema).
  const body = (await response.json().catch(() => null)) as { error?: unknown } | null;
  const reason = typeof body?.error === 'string' ? body.error.slice(0, 64) : undefined;
  return classifyAnswer(response.status, response.headers.get('retry-after'), reason);
}
