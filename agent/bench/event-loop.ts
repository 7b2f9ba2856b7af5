// The agent's event loop while det runs back to back: an HTTP health probe (`GET /v1/status`) and the loop's
// delay histogram, with det in its own process (the agent's placement) and, as the baseline, inline.
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { serve } from '@hono/node-server';
import pino from 'pino';
import { createApi } from '../src/http/app';
import type { ModelSession } from '../src/runtime/model-session';
import type { AgentTensor } from '../src/runtime/tensor';
import { ServingEngine } from '../src/serving/engine';
import { TelemetryWindows } from '../src/telemetry/windows';

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};

interface LoopFigures {
  loopP99Ms: number;
  loopMaxMs: number;
  probeP99Ms: number;
  probes: number;
  inferences: number;
}

/**
 * Runs det inferences back to back through the engine for `durationMs` while a probe asks the local API for
 * its status every 10 ms; the loop delay is sampled every 1 ms (`monitorEventLoopDelay`, whose samples are the
 * time between two 1 ms timer turns, so an idle loop reads ~1 ms).
 */
async function measure(session: ModelSession, durationMs: number): Promise<LoopFigures> {
  const engine = new ServingEngine(new TelemetryWindows(), pino({ level: 'silent' }));
  engine.switchTo({ active: session, shadow: null, standby: null });
  const app = createApi({ engine, maxBodyBytes: 16 << 20, status: () => ({ ok: true }) });
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await new Promise((r) => server.once('listening', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/status`;
  const n = 3 * 320 * 320;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i) * 0.9;
  const tensor: AgentTensor = { data, dims: [1, 3, 320, 320], dtype: 'float32' };
  for (let i = 0; i < 3; i++) await engine.infer({ kind: 'tensor', tensor });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const until = performance.now() + durationMs;
  let inferences = 0;
  const probeMs: number[] = [];
  histogram.enable();
  const infer = (async () => {
    while (performance.now() < until) {
      await engine.infer({ kind: 'tensor', tensor });
      inferences++;
    }
  })();
  const probe = (async () => {
    while (performance.now() < until) {
      const t0 = performance.now();
      const res = await fetch(url);
      await res.arrayBuffer();
      probeMs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await Promise.all([infer, probe]);
  histogram.disable();
  server.close();
  return {
    loopP99Ms: histogram.percentile(99) / 1e6,
    loopMaxMs: histogram.max / 1e6,
    probeP99Ms: quantile(probeMs, 0.99),
    probes: probeMs.length,
    inferences,
  };
}

/** Prints `agent.event_loop_p99_ms_during_det` and the health probe's p99, for the agent's placement and inline. */
export async function eventLoopDuringDet(
  agentDet: ModelSession,
  inlineDet: ModelSession,
  durationMs: number,
) {
  const agent = await measure(agentDet, durationMs);
  const inline = await measure(inlineDet, durationMs);
  console.log(`agent.det320.placement: ${agentDet.placement}`);
  console.log(`agent.event_loop_p99_ms_during_det: ${agent.loopP99Ms.toFixed(2)} ms`);
  console.log(`agent.event_loop_max_ms_during_det: ${agent.loopMaxMs.toFixed(2)} ms`);
  console.log(
    `agent.health_probe_p99_ms_during_det: ${agent.probeP99Ms.toFixed(2)} ms (${agent.probes} probes, ${agent.inferences} det runs)`,
  );
  console.log(`agent.event_loop_p99_ms_during_det_inline: ${inline.loopP99Ms.toFixed(2)} ms`);
  console.log(
    `agent.health_probe_p99_ms_during_det_inline: ${inline.probeP99Ms.toFixed(2)} ms (${inline.probes} probes, ${inline.inferences} det runs)`,
  );
}
