// The bundled agent (dist/index.mjs) for the RSS comparison: the cls model restored from its store as
// active, the full agent started (HTTP API, outbox, windows), 50 inferences through the engine, RSS.
// With `full`, one PNG goes through the HTTP API (loads sharp) and mqtt.js is loaded as when enrolled.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelStore, resolveAgentConfig, startAgent } from '../dist/index.mjs';

const [modelPath, threads, mode] = process.argv.slice(2);
const dataDir = mkdtempSync(join(tmpdir(), 'agent-rss-'));
const store = new ModelStore(dataDir);
await store.init();
const preprocessing = {
  kind: 'image',
  layout: 'NCHW',
  width: 192,
  height: 48,
  resize: 'stretch',
  channelOrder: 'RGB',
  scale: 1 / 255,
  mean: [0.5, 0.5, 0.5],
  std: [0.5, 0.5, 0.5],
  dtype: 'float32',
};
const names = [
  'ch0.mean',
  'ch0.std',
  'ch0.rel',
  'ch1.mean',
  'ch1.std',
  'ch1.rel',
  'ch2.mean',
  'ch2.std',
  'ch2.rel',
  'brightness',
  'contrast',
  'sharpness',
  'clipped',
  'nan',
  'inf',
  'min',
  'max',
];
const spec = {
  v: 1,
  inputs: names.map((name) => ({ name, edges: [-1, -0.5, 0, 0.5, 1] })),
  outputs: [
    { name: 'confidence', edges: [0.5, 0.7, 0.9] },
    { name: 'margin', edges: [0.2, 0.5, 0.8] },
  ],
  classes: ['0', '180'],
  latency: { relativeAccuracy: 0.01, maxBins: 2048 },
};
const ref = { manifest: { name: 'cls', version: '1.0.0', sha256: '0'.repeat(64), preprocessing } };
const staged = join(store.tmp, 'cls.partial');
copyFileSync(modelPath, staged);
await store.install(ref, staged, spec, undefined);
writeFileSync(
  join(dataDir, 'state.json'),
  JSON.stringify({
    appliedRev: 1,
    active: { name: 'cls', version: '1.0.0' },
    shadow: null,
    standby: null,
    shadowSampleRate: 1,
  }),
);
const agent = await startAgent(
  resolveAgentConfig({ dataDir, httpPort: 0, threads: Number(threads), logLevel: 'silent' }),
);
const tensor = { data: new Float32Array(3 * 48 * 192).fill(0.1), dims: [1, 3, 48, 192], dtype: 'float32' };
for (let i = 0; i < 50; i++) await agent.engine.infer({ kind: 'tensor', tensor });
if (mode === 'full') {
  await import('mqtt');
  const sharp = (await import('sharp')).default;
  const png = await sharp({ create: { width: 192, height: 48, channels: 3, background: '#777' } })
    .png()
    .toBuffer();
  const res = await fetch(`${agent.url}/v1/infer`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: png,
  });
  if (res.status !== 200) throw new Error(`infer ${res.status}`);
}
globalThis.gc?.();
process.stdout.write(`${process.memoryUsage().rss}\n`);
await agent.close();
rmSync(dataDir, { recursive: true, force: true });
