// Feature extraction throughput against a plain summing loop over the same tensor, same run.
// Prints `name: value unit` lines; median of several timed batches after a warm-up.
import { classifierFeatures, imageFeatures } from '../src/features';

const BATCHES = 9;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/**
 * Median seconds per call of `fn` over {@link BATCHES} batches of ~`batchMs` each, after `warmMs` of
 * warm-up (V8 needs a few hundred calls before the optimised loop is in place; less reads 3× slower).
 */
function timePerCall(fn: () => void, warmMs = 150, batchMs = 25): number {
  let calls = 0;
  const warmEnd = performance.now() + warmMs;
  while (performance.now() < warmEnd) {
    fn();
    calls++;
  }
  const perBatch = Math.max(1, Math.ceil((calls * batchMs) / warmMs));
  const per: number[] = [];
  for (let b = 0; b < BATCHES; b++) {
    const t0 = performance.now();
    for (let i = 0; i < perBatch; i++) fn();
    per.push((performance.now() - t0) / 1000 / perBatch);
  }
  return median(per);
}

function randomImage(length: number, seed: number): Float32Array {
  const d = new Float32Array(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    d[i] = x / 4294967296;
  }
  return d;
}

let sink = 0;
function sumRaw(d: Float32Array): number {
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]!;
  return s;
}

const line = (name: string, value: number, unit: string, digits = 0): void =>
  console.log(`${name}: ${value.toFixed(digits)} ${unit}`);

/** Benchmarks image / classifier feature extraction on the classification and detection input shapes. */
export async function benchFeatures(): Promise<void> {
  const shapes = [
    { name: 'cls', dims: [1, 3, 48, 192] },
    { name: 'det320', dims: [1, 3, 320, 320] },
  ];
  for (const { name, dims } of shapes) {
    const n = dims.reduce((a, b) => a * b, 1);
    const data = randomImage(n, 7);
    const u8 = Uint8Array.from(data, (v) => Math.floor(v * 256));
    const into: Record<string, number> = {};
    const sec = timePerCall(() => {
      const r = imageFeatures(data, dims, 'NCHW', { into });
      if (r.ok) sink += r.value.brightness!;
    });
    const raw = timePerCall(() => {
      sink += sumRaw(data);
    });
    const nhwc = timePerCall(() => {
      const r = imageFeatures(data, [dims[0]!, dims[2]!, dims[3]!, dims[1]!], 'NHWC', { into });
      if (r.ok) sink += r.value.brightness!;
    });
    const u8sec = timePerCall(() => {
      const r = imageFeatures(u8, dims, 'NCHW', { into });
      if (r.ok) sink += r.value.brightness!;
    });
    line(`shared.features.${name}.values_per_s`, n / sec, '/s');
    line(`shared.features.${name}.us_per_call`, sec * 1e6, 'us', 1);
    line(`shared.features.${name}.nhwc_values_per_s`, n / nhwc, '/s');
    line(`shared.features.${name}.u8_values_per_s`, n / u8sec, '/s');
    line(`shared.raw.${name}.sum_values_per_s`, n / raw, '/s');
    if (name === 'det320') line('shared.raw.sum_values_per_s', n / raw, '/s');
  }
  const logits = randomImage(1000, 3);
  const cls = timePerCall(() => {
    const r = classifierFeatures(logits, [1, 1000]);
    if (r.ok) sink += r.value.confidence;
  });
  line('shared.features.classifier1000.us_per_call', cls * 1e6, 'us', 2);
  if (sink === 0.5) console.log('');
}
