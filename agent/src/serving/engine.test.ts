import type { RawImage } from '@edgefleet/shared';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../errors';
import type { ModelSession } from '../runtime/model-session';
import { MAX_DEFERRED_OBSERVATIONS, TelemetryWindows } from '../telemetry/windows';
import { loadCls } from '../testing/cls';
import { ServingEngine } from './engine';

function image(width: number, height: number, seed: number): RawImage {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * seed + (i >> 7)) & 0xff;
  return { data, width, height, channels: 4 };
}

describe('ServingEngine with the real cls model', () => {
  let v1: ModelSession;
  let v2: ModelSession;
  beforeAll(async () => {
    [v1, v2] = await Promise.all([loadCls('1.0.0'), loadCls('2.0.0')]);
  });
  afterAll(async () => {
    await Promise.all([v1.release(), v2.release()]);
  });

  it('answers before the shadow runs, never returns shadow outputs, and measures agreement', async () => {
    let clock = 1_000;
    const windows = new TelemetryWindows(() => clock);
    const engine = new ServingEngine(windows, pino({ level: 'silent' }));
    engine.switchTo({ active: v1, shadow: v2, standby: null });
    const r = await engine.infer({ kind: 'image', image: image(300, 80, 3) });
    expect(r.model.version).toBe('1.0.0');
    expect(engine.counters.shadowRuns).toBe(0); // not yet: the shadow runs after the answer
    expect(r.top?.confidence).toBeGreaterThan(0.5);
    await engine.infer({ kind: 'image', image: image(64, 64, 5) });
    await engine.drainShadow();
    expect(engine.counters.shadowRuns).toBe(2);
    clock = 61_000;
    const drafts = windows.close();
    const active = drafts.find((d) => d.role === 'active')!;
    const shadow = drafts.find((d) => d.role === 'shadow')!;
    expect(active).toMatchObject({
      model: { version: '1.0.0' },
      inferences: 2,
      window: { startMs: 1_000, endMs: 61_000 },
    });
    expect(shadow).toMatchObject({ model: { version: '2.0.0' }, inferences: 2 });
    // Same weights: full agreement, zero difference.
    const shadowJson = shadow.profile as unknown as { shadow: { compared: number; agreed: number } };
    expect(shadowJson.shadow).toMatchObject({ compared: 2, agreed: 2 });
  });

  it('counts an inference over the policy limit as a timeout, and still answers it', async () => {
    const windows = new TelemetryWindows();
    const engine = new ServingEngine(windows, pino({ level: 'silent' }));
    engine.switchTo({ active: v1, shadow: null, standby: null });
    engine.inferenceTimeoutMs = 0;
    await engine.infer({ kind: 'image', image: image(192, 48, 2) });
    const [draft] = windows.close();
    expect(JSON.stringify(draft!.profile.errors)).toContain('timeout');
  });

  it('answers before its statistics are taken, bounds what waits, and never loses them at a window end', async () => {
    const windows = new TelemetryWindows();
    const engine = new ServingEngine(windows, pino({ level: 'silent' }));
    engine.switchTo({ active: v1, shadow: null, standby: null });
    const tensor = {
      data: new Float32Array(3 * 48 * 192).fill(0.2),
      dims: [1, 3, 48, 192],
      dtype: 'float32' as const,
    };
    await engine.infer({ kind: 'tensor', tensor });
    expect(windows.profileFor(v1, 'active').inferences).toBe(0); // not yet: after the caller's answer
    await new Promise((resolve) => setImmediate(resolve));
    expect(windows.profileFor(v1, 'active').inferences).toBe(1);
    // A caller that never yields: at most MAX_DEFERRED_OBSERVATIONS wait, the rest ran on the way.
    for (let i = 0; i < 10; i++) await engine.infer({ kind: 'tensor', tensor });
    const seen = windows.profileFor(v1, 'active').inferences;
    expect(seen).toBeGreaterThanOrEqual(11 - MAX_DEFERRED_OBSERVATIONS);
    expect(seen).toBeLessThan(11);
    // Closing the window takes what still waits: every inference is in this window, none in the next.
    const [draft] = windows.close();
    expect(draft!.inferences).toBe(11);
    await new Promise((resolve) => setImmediate(resolve));
    expect(windows.close()).toEqual([]);
    expect(windows.failedObservations).toBe(0);
  });

  it('fails a caller that asked for it with timeout when the run took over the limit, and still counts the inference', async () => {
    const windows = new TelemetryWindows();
    const engine = new ServingEngine(windows, pino({ level: 'silent' }));
    engine.switchTo({ active: v1, shadow: null, standby: null });
    engine.inferenceTimeoutMs = 1;
    // A batch of 32: the run alone takes far longer than 1 ms, on any machine.
    const tensor = {
      data: new Float32Array(32 * 3 * 48 * 192).fill(0.3),
      dims: [32, 3, 48, 192],
      dtype: 'float32' as const,
    };
    const late = engine.infer({ kind: 'tensor', tensor }, { failOnTimeout: true });
    await expect(late).rejects.toMatchObject({ kind: 'timeout', status: 504 });
    await expect(late).rejects.toThrow(/inferenceTimeoutMs 1 ms, took \d+(\.\d)? ms on cls@1\.0\.0/);
    // Counted from when the request arrived: a request that waited long fails even if its run was quick.
    engine.inferenceTimeoutMs = 50;
    const small = { data: new Float32Array(3 * 48 * 192), dims: [1, 3, 48, 192], dtype: 'float32' as const };
    await expect(
      engine.infer(
        { kind: 'tensor', tensor: small },
        { receivedAtMs: performance.now() - 60, failOnTimeout: true },
      ),
    ).rejects.toMatchObject({ kind: 'timeout' });
    // Without failOnTimeout (the watched folder) the late answer is still returned; the session keeps serving.
    engine.inferenceTimeoutMs = 1;
    expect((await engine.infer({ kind: 'tensor', tensor })).model.version).toBe('1.0.0');
    engine.inferenceTimeoutMs = undefined;
    expect(
      (await engine.infer({ kind: 'tensor', tensor: small }, { failOnTimeout: true })).top,
    ).toBeDefined();
    expect(engine.counters).toMatchObject({ inferences: 4, timedOut: 3 });
    const [draft] = windows.close();
    expect(draft!.inferences).toBe(4);
    expect(draft!.profile.errors.c).toEqual([['timeout', 3]]);
  });

  it('keeps a request in flight on the session it started on across a switch', async () => {
    const engine = new ServingEngine(new TelemetryWindows(), pino({ level: 'silent' }));
    engine.switchTo({ active: v1, shadow: null, standby: null });
    const inflight = engine.infer({ kind: 'image', image: image(192, 48, 7) });
    const retired = engine.switchTo({ active: v2, shadow: null, standby: v1 });
    expect(retired).toEqual([]);
    expect((await inflight).model.version).toBe('1.0.0');
    expect((await engine.infer({ kind: 'image', image: image(192, 48, 7) })).model.version).toBe('2.0.0');
  });

  it('rejects a wrong tensor with a clear message and counts it', async () => {
    const engine = new ServingEngine(new TelemetryWindows(), pino({ level: 'silent' }));
    await expect(engine.infer({ kind: 'image', image: image(4, 4, 1) })).rejects.toMatchObject({
      kind: 'not_ready',
    });
    engine.switchTo({ active: v1, shadow: null, standby: null });
    const bad = engine.infer({
      kind: 'tensor',
      tensor: { data: new Float32Array(10), dims: [1, 3, 48, 192], dtype: 'float32' },
    });
    await expect(bad).rejects.toBeInstanceOf(AgentError);
    await expect(bad).rejects.toThrow(/need 27648 values, got 10/);
    const wrongDims = engine.infer({
      kind: 'tensor',
      tensor: { data: new Float32Array(3 * 48 * 100), dims: [1, 3, 48, 100], dtype: 'float32' },
    });
    await expect(wrongDims).rejects.toThrow(/expected dims \[N,3,48,192\]/);
    expect(engine.counters.rejected.invalid_input).toBe(2);
  });
});
