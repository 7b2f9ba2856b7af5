// What the browser uploads to `POST /api/v1/samples`, seen at the browser's network edge (Playwright routing): each
// request's multipart body parsed and checked against the shared contract (meta schema, content sha256 and size),
// then either answered as the test says (refusals, retry-later statuses, an unreachable server) or passed on to
// the real fleet server.
import { createHash } from 'node:crypto';
import { type SampleMeta, sampleMetaSchema } from '@edgefleet/shared/capture';
import type { BrowserContext, Route } from 'playwright-core';

/** One upload the browser made. */
export interface SeenUpload {
  meta: SampleMeta;
  contentType: string;
  sizeBytes: number;
  /** The content hashes to `meta.sha256`. */
  hashOk: boolean;
  startedMs: number;
  answeredMs: number;
  status: number;
}

/**
 * How the sink answers: pass to the server; `accept` (201 once per sha256, then 200 duplicate, as the server's
 * contract says); a status with an error code; or `offline` (a network failure).
 */
export type SinkMode =
  | 'server'
  | 'accept'
  | 'offline'
  | { status: number; error?: string; retryAfterS?: number };

/** Routes `/api/v1/samples` POSTs of `context`; `delayMs` holds each answer back (a slow uplink). */
export async function sampleSink(context: BrowserContext, initial: SinkMode = 'server') {
  const sink = {
    mode: initial,
    delayMs: 0,
    /** Uploads received and not yet answered. */
    inFlight: 0,
    uploads: [] as SeenUpload[],
    /** Uploads by sha256 that the server answered 200/201. */
    delivered(): Map<string, number> {
      const counts = new Map<string, number>();
      for (const u of this.uploads)
        if (u.status === 200 || u.status === 201)
          counts.set(u.meta.sha256, (counts.get(u.meta.sha256) ?? 0) + 1);
      return counts;
    },
  };
  await context.route('**/api/v1/samples', async (route: Route) => {
    const request = route.request();
    if (request.method() !== 'POST') return route.fallback();
    const startedMs = Date.now();
    sink.inFlight += 1;
    try {
      const form = await new Request('http://sink/', {
        method: 'POST',
        headers: { 'content-type': (await request.headerValue('content-type')) ?? '' },
        body: new Uint8Array(request.postDataBuffer() ?? []),
      }).formData();
      const meta = sampleMetaSchema.parse(JSON.parse(await (form.get('meta') as Blob).text()));
      const content = form.get('content') as Blob;
      const bytes = new Uint8Array(await content.arrayBuffer());
      const hashOk =
        createHash('sha256').update(bytes).digest('hex') === meta.sha256 && bytes.length === meta.sizeBytes;
      if (sink.delayMs) await new Promise((r) => setTimeout(r, sink.delayMs));
      const mode = sink.mode;
      const record = (status: number) =>
        sink.uploads.push({
          meta,
          contentType: content.type,
          sizeBytes: bytes.length,
          hashOk,
          startedMs,
          answeredMs: Date.now(),
          status,
        });
      if (mode === 'offline') {
        record(0);
        return route.abort('internetdisconnected');
      }
      if (mode === 'server') {
        const response = await route.fetch();
        record(response.status());
        return route.fulfill({ response });
      }
      if (mode === 'accept') {
        const status = sink.uploads.some((u) => u.meta.sha256 === meta.sha256 && u.status === 201)
          ? 200
          : 201;
        record(status);
        return route.fulfill({
          status,
          contentType: 'application/json',
          body: JSON.stringify({ sha256: meta.sha256 }),
        });
      }
      record(mode.status);
      return route.fulfill({
        status: mode.status,
        contentType: 'application/json',
        headers: mode.retryAfterS !== undefined ? { 'retry-after': String(mode.retryAfterS) } : {},
        body: JSON.stringify({ error: mode.error ?? 'refused', message: 'from the test' }),
      });
    } finally {
      sink.inFlight -= 1;
    }
  });
  return sink;
}
