import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../http/app';
import { ModelSession, type SessionOptions } from '../runtime/model-session';
import type { AgentTensor } from '../runtime/tensor';
import { TelemetryWindows } from '../telemetry/windows';
import { CLS_MODEL_PATH, CLS_PREPROCESSING, DET_MODEL_PATH, localModel } from '../testing/cls';
import { ServingEngine } from './engine';

const OPTIONS: SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };

function tensor(dims: number[]): AgentTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.cos(i * 0.007) * 0.8;
  return { data, dims, dtype: 'float32' };
}

function image(width: number, height: number) {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 9)) & 0xff;
  return { data, width, height, channels: 4 as const };
}

// Each test starts processes and loads det: generous limits for a loaded shared box.
describe('serving through the inference process (real det and cls models)', { timeout: 60_000 }, () => {
  let detProcess: ModelSession;
  let detInline: ModelSession;
  let clsProcess: ModelSession;
  let clsInline: ModelSession;
  beforeAll(async () => {
    const det = (v: string) =>
      localModel(DET_MODEL_PATH, v, { ...CLS_PREPROCESSING, width: 320, height: 320 }, undefined);
    [detProcess, detInline, clsProcess, clsInline] = await Promise.all([
      ModelSession.load(det('1.0.0'), { ...OPTIONS, placement: 'process' }),
      ModelSession.load(det('1.0.0'), { ...OPTIONS, placement: 'inline' }),
      ModelSession.load(localModel(CLS_MODEL_PATH, '1.0.0'), { ...OPTIONS, placement: 'process' }),
      ModelSession.load(localModel(CLS_MODEL_PATH, '1.0.0'), { ...OPTIONS, placement: 'inline' }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([detProcess, detInline, clsProcess, clsInline].map((s) => s.release()));
  }, 60_000);

  const engineWith = (active: ModelSession, shadow: ModelSession | null = null) => {
    const windows = new TelemetryWindows();
    const engine = new ServingEngine(windows, pino({ level: 'silent' }));
    engine.switchTo({ active, shadow, standby: null });
    return { engine, windows };
  };

  it('gives the same answers as in-process serving: outputs, top class, shadow agreement', async () => {
    const viaProcess = engineWith(clsProcess, clsInline);
    const inProcess = engineWith(clsInline);
    for (const [w, h] of [
      [300, 80],
      [64, 64],
    ]) {
      const a = await inProcess.engine.infer({ kind: 'image', image: image(w!, h!) });
      const b = await viaProcess.engine.infer({ kind: 'image', image: image(w!, h!) });
      expect(b.top).toEqual(a.top);
      const name = clsInline.outputNames[0]!;
      expect(Array.from(b.outputs[name]!.data as Float32Array)).toEqual(
        Array.from(a.outputs[name]!.data as Float32Array),
      );
    }
    await viaProcess.engine.drainShadow();
    const shadow = viaProcess.windows.close().find((d) => d.role === 'shadow')!;
    expect(
      (shadow.profile as unknown as { shadow: { compared: number; agreed: number } }).shadow,
    ).toMatchObject({
      compared: 2,
      agreed: 2,
    });
    const det = tensor([1, 3, 320, 320]);
    const a = await engineWith(detInline).engine.infer({ kind: 'tensor', tensor: det });
    const b = await engineWith(detProcess).engine.infer({ kind: 'tensor', tensor: det });
    const name = detInline.outputNames[0]!;
    expect(Buffer.from(b.outputs[name]!.data.buffer).equals(Buffer.from(a.outputs[name]!.data.buffer))).toBe(
      true,
    );
  });

  it('keeps the HTTP API answering while a det inference runs', async () => {
    const { engine } = engineWith(detProcess);
    const app = createApi({ engine, maxBodyBytes: 16 << 20, status: () => ({ ok: true }) });
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((r) => server.once('listening', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/status`;
      // A batch of 8 det inputs: many times one, so the probes below happen while it runs.
      let done = false;
      const running = engine.infer({ kind: 'tensor', tensor: tensor([8, 3, 320, 320]) }).finally(() => {
        done = true;
      });
      await new Promise((r) => setImmediate(r));
      const probes = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(url);
        probes.push({ status: res.status, body: await res.json(), whileRunning: !done });
      }
      expect(probes.every((p) => p.status === 200 && (p.body as { ok: boolean }).ok)).toBe(true);
      // Structural: an inline run would hold the event loop, and no probe could be answered before it ends.
      expect(probes.every((p) => p.whileRunning)).toBe(true);
      expect((await running).outputs[detProcess.outputNames[0]!]!.dims).toEqual([8, 1, 320, 320]);
    } finally {
      server.close();
    }
  });

  it('fails a request whose process died with runtime_crashed (HTTP 503), counts it, and serves the next', async () => {
    const { engine, windows } = engineWith(detProcess);
    const pid = detProcess.pid!;
    const pending = engine.infer({ kind: 'tensor', tensor: tensor([8, 3, 320, 320]) });
    await new Promise((r) => setTimeout(r, 60));
    process.kill(pid, 'SIGKILL');
    await expect(pending).rejects.toMatchObject({ kind: 'runtime_crashed', status: 503 });
    expect(engine.counters.failed).toBe(1);
    const ok = await engine.infer({ kind: 'tensor', tensor: tensor([1, 3, 320, 320]) });
    expect(ok.model.version).toBe('1.0.0');
    expect(detProcess.pid).not.toBe(pid);
    await new Promise((r) => setImmediate(r));
    const [draft] = windows.close();
    expect(draft!.inferences).toBe(1);
    expect(draft!.profile.errors.c).toEqual([['runtime_crashed', 1]]);
  });
});
