// The bundled agent (dist/index.mjs) for the RSS comparison: the cls model restored from its store as
// active, the full agent started (HTTP API, outbox, windows), 50 inferences through the engine, RSS.
// With `full`, one PNG goes through the HTTP API (loads sharp) and mqtt.js is loaded as when enrolled.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelStore, resolveAgentConfig, startAgent } from '../dist/index.mjs';

// The stored record comes from run.ts (`localModel`): its manifest tells the truth about the file (size,
// sha256, spec hash), so the agent's re-verification at restore accepts it as it would a fleet install.
const [modelPath, threads, recordPath, mode] = process.argv.slice(2);
const { ref, spec } = JSON.parse(readFileSync(recordPath, 'utf8'));
const dataDir = mkdtempSync(join(tmpdir(), 'agent-rss-'));
const store = new ModelStore(dataDir);
await store.init();
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
// Fail here with the reason (not later as `not_ready`) when the agent refuses the stored model.
if (!agent.engine.current.active) throw new Error(`cls not served: ${JSON.stringify(agent.lastErrors())}`);
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
