// Raw onnxruntime-node baseline for the RSS comparison: cls model loaded, 50 runs, then RSS.
import * as ort from 'onnxruntime-node';

const [modelPath, threads] = process.argv.slice(2);
const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: Number(threads),
  interOpNumThreads: 1,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
});
const input = new ort.Tensor('float32', new Float32Array(3 * 48 * 192).fill(0.1), [1, 3, 48, 192]);
for (let i = 0; i < 50; i++) await session.run({ x: input });
globalThis.gc?.();
process.stdout.write(`${process.memoryUsage().rss}\n`);
