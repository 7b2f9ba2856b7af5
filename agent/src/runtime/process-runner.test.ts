import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentError } from '../errors';
import { CLS_MODEL_PATH, CLS_PREPROCESSING, DET_MODEL_PATH, localModel } from '../testing/cls';
import { ModelSession, type SessionOptions } from './model-session';
import type { AgentTensor } from './tensor';

const OPTIONS: SessionOptions = { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' };
const DET_PREP = { ...CLS_PREPROCESSING, width: 320, height: 320 };

function pattern(dims: number[], seed: number): AgentTensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 0.013 * seed) * 0.9;
  return { data, dims, dtype: 'float32' };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor(check: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Each test starts processes and loads det: generous limits for a loaded shared box.
describe('inference in a child process (real models, real processes)', { timeout: 60_000 }, () => {
  const sessions: ModelSession[] = [];
  const load = async (path: string, version: string, placement: 'inline' | 'process', det = false) => {
    const s = await ModelSession.load(
      det ? localModel(path, version, DET_PREP, undefined) : localModel(path, version),
      { ...OPTIONS, placement },
    );
    sessions.push(s);
    return s;
  };
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.release()));
  }, 60_000);

  describe('outputs', () => {
    let detInline: ModelSession;
    let detProcess: ModelSession;
    beforeAll(async () => {
      [detInline, detProcess] = await Promise.all([
        load(DET_MODEL_PATH, '1.0.0', 'inline', true),
        load(DET_MODEL_PATH, '1.0.0', 'process', true),
      ]);
    }, 60_000);

    it('are identical to in-process outputs, bit for bit (det and cls, batches, dynamic dims)', async () => {
      expect([detInline.placement, detProcess.placement]).toEqual(['inline', 'process']);
      expect(detProcess.pid).toBeGreaterThan(0);
      expect(detProcess.pid).not.toBe(process.pid);
      expect(detProcess.inputShape()).toEqual(detInline.inputShape());
      for (const dims of [
        [1, 3, 320, 320],
        [2, 3, 96, 160],
      ]) {
        const input = pattern(dims, dims[2]!);
        const [a, b] = [await detInline.run({ x: input }), await detProcess.run({ x: input })];
        const name = detInline.outputNames[0]!;
        expect(b[name]!.dims).toEqual(a[name]!.dims);
        expect(b[name]!.data).toBeInstanceOf(Float32Array);
        expect(Buffer.from(b[name]!.data.buffer).equals(Buffer.from(a[name]!.data.buffer))).toBe(true);
        // The caller's input is untouched and still usable (statistics read it after the answer).
        expect(input.data.length).toBe(dims.reduce((x, y) => x * y, 1));
      }
      const [clsInline, clsProcess] = await Promise.all([
        load(CLS_MODEL_PATH, '1.0.0', 'inline'),
        load(CLS_MODEL_PATH, '1.0.0', 'process'),
      ]);
      const input = pattern([4, 3, 48, 192], 3);
      const [a, b] = [await clsInline.run({ x: input }), await clsProcess.run({ x: input })];
      expect(Array.from(b[clsInline.outputNames[0]!]!.data as Float32Array)).toEqual(
        Array.from(a[clsInline.outputNames[0]!]!.data as Float32Array),
      );
    });

    it('answers a bad input with onnxruntime’s error, and keeps serving', async () => {
      await expect(detProcess.run({ x: pattern([1, 3, 320], 1) })).rejects.toThrow(
        /[Ii]nvalid rank|dims|dimension/,
      );
      await expect(detProcess.run({ y: pattern([1, 3, 32, 32], 1) })).rejects.toThrow(/input/i);
      expect(
        (await detProcess.run({ x: pattern([1, 3, 64, 64], 1) }))[detProcess.outputNames[0]!]!.dims,
      ).toEqual([1, 1, 64, 64]);
      expect(detProcess.restarts).toBe(0);
    });

    it('fails a run whose process is killed mid-inference with runtime_crashed, and the next run works', async () => {
      const pid = detProcess.pid!;
      // ~10× a 320×320 run: long enough to be surely inside onnxruntime when the signal lands.
      const long = detProcess.run({ x: pattern([1, 3, 1024, 1024], 2) });
      let settled = false;
      long.then(
        () => (settled = true),
        () => (settled = true),
      );
      await new Promise((r) => setTimeout(r, 50));
      expect(settled).toBe(false);
      process.kill(pid, 'SIGKILL');
      const err = await long.then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(AgentError);
      expect(err).toMatchObject({ kind: 'runtime_crashed', status: 503 });
      expect((err as Error).message).toMatch(/cls@1\.0\.0 exited \(signal SIGKILL\) during the run/);
      const next = await detProcess.run({ x: pattern([1, 3, 320, 320], 320) });
      const reference = await detInline.run({ x: pattern([1, 3, 320, 320], 320) });
      const name = detInline.outputNames[0]!;
      expect(Array.from(next[name]!.data as Float32Array)).toEqual(
        Array.from(reference[name]!.data as Float32Array),
      );
      expect(detProcess.restarts).toBe(1);
      expect(detProcess.pid).not.toBe(pid);
      expect(alive(pid)).toBe(false);
    });

    it('kills a run that never answers (hangMs) and serves the next', async () => {
      const hung = await load(DET_MODEL_PATH, '1.0.1', 'process', true);
      // The session's own limit, shortened for the test: a 1024² det run takes far longer than 5 ms.
      (hung as unknown as { runner: { hangMs: number } }).runner.hangMs = 5;
      await expect(hung.run({ x: pattern([1, 3, 1024, 1024], 1) })).rejects.toMatchObject({
        kind: 'runtime_crashed',
        message: expect.stringMatching(/no answer within hangMs 5 ms/),
      });
      (hung as unknown as { runner: { hangMs: number } }).runner.hangMs = 60_000;
      expect((await hung.run({ x: pattern([1, 3, 32, 32], 1) }))[hung.outputNames[0]!]!.dims).toEqual([
        1, 1, 32, 32,
      ]);
    });
  });

  it('leaves no process behind across swaps: each version’s process ends with its release', async () => {
    const pids: number[] = [];
    let current: ModelSession | null = null;
    for (let i = 0; i < 4; i++) {
      const next = await ModelSession.load(localModel(CLS_MODEL_PATH, `3.0.${i}`), {
        ...OPTIONS,
        placement: 'process',
      });
      await next.warmUp(1);
      pids.push(next.pid!);
      const retired = current;
      current = next;
      await retired?.release();
    }
    expect(new Set(pids).size).toBe(4);
    await waitFor(() => pids.slice(0, 3).every((pid) => !alive(pid)));
    expect(alive(pids[3]!)).toBe(true);
    await current!.release();
    await waitFor(() => !alive(pids[3]!));
    await expect(current!.run(current!.zeroInput())).rejects.toThrow(/released/);
  });

  it('places a model by its measured run time: cls inline under a generous limit, in a process under 0 ms', async () => {
    const fast = await ModelSession.load(localModel(CLS_MODEL_PATH, '4.0.0'), {
      ...OPTIONS,
      inlineMaxMs: 1_000,
    });
    sessions.push(fast);
    expect(fast.placement).toBe('inline');
    const slow = await ModelSession.load(localModel(CLS_MODEL_PATH, '4.0.1'), { ...OPTIONS, inlineMaxMs: 0 });
    sessions.push(slow);
    expect(slow.placement).toBe('process');
  });

  it('reports a model onnxruntime cannot load as a load failure', async () => {
    const bad = localModel(CLS_MODEL_PATH, '5.0.0');
    bad.modelPath = `${CLS_MODEL_PATH}.missing`;
    await expect(ModelSession.load(bad, { ...OPTIONS, placement: 'process' })).rejects.toMatchObject({
      name: 'DeployFailure',
      step: 'load',
    });
  });
});
