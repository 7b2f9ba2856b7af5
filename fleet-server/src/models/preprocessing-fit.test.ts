import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLS_MODEL_PATH,
  CLS_PREPROCESSING,
  clsBaseline,
  startTestServer,
  type TestServer,
} from '../testing/harness';
import { checkPreprocessingFits } from './registry';

// Issue 19 item 14: preprocessing that cannot fit the model's input is refused at registration.
describe('preprocessing against the model input signature', () => {
  let t: TestServer;
  let model: { sha256: string; sizeBytes: number };
  beforeAll(async () => {
    t = await startTestServer();
    const res = await t.call('/api/v1/artifacts?kind=model', {
      method: 'POST',
      body: new Blob([new Uint8Array(readFileSync(CLS_MODEL_PATH))]),
    });
    model = (await res.json()) as { sha256: string; sizeBytes: number };
  });
  afterAll(async () => {
    await t.dispose();
  });

  const register = (version: string, preprocessing: unknown) =>
    t.call('/api/v1/models/cls/versions', {
      method: 'POST',
      json: {
        name: 'cls',
        version,
        ...model,
        preprocessing,
        baseline: clsBaseline(),
        lineage: { createdBy: 'test' },
      },
    });

  it('refuses GRAY for the fixed 3-channel input (baseline as JSON), naming the input and the mismatch', async () => {
    const res = await register('1.0.0', {
      ...CLS_PREPROCESSING,
      channelOrder: 'GRAY',
      mean: [0.5],
      std: [0.5],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string; details: { field: string } };
    expect(body.message).toMatch(
      /^preprocessing does not fit the model input 'x' .*: channels is 3 in the model, 1 by the spec/,
    );
    expect(body.details.field).toBe('preprocessing');
    // A fitting spec registers.
    expect((await register('1.0.1', CLS_PREPROCESSING)).status).toBe(201);
  });

  it('checks rank, fixed dims, layout and dtype; symbolic and -1 dims take anything', () => {
    const sig = (shape: (number | string | null)[], type = 'float32') => ({
      inputs: [{ name: 'x', type, shape }],
      outputs: [],
    });
    const spec = { ...CLS_PREPROCESSING, inputName: undefined };
    expect(() => checkPreprocessingFits(spec, sig(['batch', 3, 48, 192]))).not.toThrow();
    expect(() => checkPreprocessingFits(spec, sig([-1, 3, -1, null]))).not.toThrow();
    expect(() => checkPreprocessingFits(spec, sig(['batch', 3, 48, 320]))).toThrow(
      /width is 320 in the model, 192 by the spec/,
    );
    expect(() => checkPreprocessingFits(spec, sig(['batch', 48, 192, 3]))).toThrow(/channels is 48/);
    expect(() => checkPreprocessingFits(spec, sig([3, 48, 192]))).toThrow(/rank 4, the input has rank 3/);
    expect(() => checkPreprocessingFits(spec, sig(['batch', 3, 48, 192], 'uint8'))).toThrow(
      /takes uint8, the spec makes float32/,
    );
    expect(() => checkPreprocessingFits({ ...spec, layout: 'NHWC' }, sig(['b', 48, 192, 3]))).not.toThrow();
  });
});
