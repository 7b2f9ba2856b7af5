import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelSession } from '../runtime/model-session';
import { ServingEngine } from '../serving/engine';
import { TelemetryWindows } from '../telemetry/windows';
import { loadCls } from '../testing/cls';
import { createApi } from './app';

describe('POST /v1/infer and the inferenceTimeoutMs policy (real cls model)', () => {
  let session: ModelSession;
  beforeAll(async () => {
    session = await loadCls('1.0.0');
  });
  afterAll(async () => {
    await session.release();
  });

  const setup = () => {
    const windows = new TelemetryWindows();
    const engine = new ServingEngine(windows, pino({ level: 'silent' }));
    engine.switchTo({ active: session, shadow: null, standby: null });
    const app = createApi({ engine, maxBodyBytes: 16 << 20, status: () => ({}) });
    // A batch of 8 as JSON (~1.5 MB): reading and checking the body alone takes well over a millisecond.
    const body = JSON.stringify({ dims: [8, 3, 48, 192], data: new Array(8 * 3 * 48 * 192).fill(0.25) });
    const post = () =>
      app.request('/v1/infer?outputs=false', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    return { windows, engine, post };
  };

  it('answers 504 timeout as JSON when the answer would come after the limit, counted from the request', async () => {
    const { windows, engine, post } = setup();
    engine.inferenceTimeoutMs = 1;
    const res = await post();
    expect(res.status).toBe(504);
    const answer = (await res.json()) as { error: string; message: string };
    expect(answer.error).toBe('timeout');
    expect(answer.message).toMatch(
      /^expected an answer within inferenceTimeoutMs 1 ms, took [\d.]+ ms on cls@1\.0\.0$/,
    );
    expect(engine.counters).toMatchObject({ inferences: 1, timedOut: 1 });
    // The run finished: the session serves the next request, within a generous limit.
    engine.inferenceTimeoutMs = 600_000;
    const ok = await post();
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { model: { version: string } }).model.version).toBe('1.0.0');
    const [draft] = windows.close();
    expect(draft!.inferences).toBe(2);
    expect(draft!.profile.errors.c).toEqual([['timeout', 1]]);
  });

  it('still answers 4xx (not 504) for hostile bodies under a tiny limit, and no limit means no 504', async () => {
    const { engine, post } = setup();
    engine.inferenceTimeoutMs = 1;
    const app = createApi({ engine, maxBodyBytes: 1024, status: () => ({}) });
    const send = (body: string, type = 'application/json') =>
      app.request('/v1/infer', { method: 'POST', headers: { 'content-type': type }, body });
    expect((await send('{"dims":[1,3,48,192],"data":[1,2]}')).status).toBe(400);
    expect((await send('{nope')).status).toBe(400);
    expect((await send('x'.repeat(2048))).status).toBe(413);
    expect((await send('abc', 'text/plain')).status).toBe(415);
    expect(engine.counters.timedOut).toBe(0);
    engine.inferenceTimeoutMs = undefined;
    expect((await post()).status).toBe(200);
  });
});
