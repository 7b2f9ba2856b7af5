// Helpers for agent tests against the real fleet server (embedded broker, SQLite).
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  enroll,
  type RunningAgent,
  resolveAgentConfig,
  type StartAgentOptions,
  startAgent,
} from '@edgefleet/agent';
import {
  type Automation,
  type DesiredState,
  type DesiredStateInput,
  type FeedbackAggregate,
  type ModelRef,
  mergeFeedback,
} from '@edgefleet/shared';
import sharp from 'sharp';
import { schema } from '../../fleet-server/src/db';
import {
  CLS_MODEL_PATH,
  CLS_PREPROCESSING,
  clsBaseline,
  startTestServer,
  type TestServer,
} from '../../fleet-server/src/testing/harness';

export { CLS_MODEL_PATH };

/** Uploads bytes as an artifact; returns sha256 and size. */
export async function upload(t: TestServer, bytes: Uint8Array, kind: 'model' | 'golden' = 'model') {
  const res = await t.call(`/api/v1/artifacts?kind=${kind}`, {
    method: 'POST',
    body: new Blob([new Uint8Array(bytes)]),
  });
  if (res.status !== 201 && res.status !== 200) throw new Error(`upload ${res.status}: ${await res.text()}`);
  return (await res.json()) as { sha256: string; sizeBytes: number };
}

/**
 * Registers a cls version (optionally with a golden file, and other names for its two classes) and returns its
 * model ref.
 */
export async function registerCls(
  t: TestServer,
  version: string,
  golden?: unknown,
  classes?: [string, string],
): Promise<ModelRef> {
  const baseline = clsBaseline(classes);
  const model = await upload(t, readFileSync(CLS_MODEL_PATH));
  const goldenArtifact = golden ? await upload(t, Buffer.from(JSON.stringify(golden)), 'golden') : undefined;
  const res = await t.call('/api/v1/models/cls/versions', {
    method: 'POST',
    json: {
      name: 'cls',
      version,
      sha256: model.sha256,
      sizeBytes: model.sizeBytes,
      preprocessing: CLS_PREPROCESSING,
      baseline,
      ...(goldenArtifact ? { golden: { sha256: goldenArtifact.sha256 } } : {}),
      lineage: { createdBy: 'test' },
    },
  });
  if (res.status !== 201) throw new Error(`register ${res.status}: ${await res.text()}`);
  return modelRef(t, version);
}

/** The model ref of a registered cls version, as a device receives it. */
export async function modelRef(t: TestServer, version: string): Promise<ModelRef> {
  const v = (await (await t.call(`/api/v1/models/cls/versions/${version}`)).json()) as ModelRef;
  return {
    manifest: v.manifest,
    signature: v.signature,
    artifactUrl: v.artifactUrl,
    profileSpecUrl: v.profileSpecUrl,
    ...(v.goldenUrl ? { goldenUrl: v.goldenUrl } : {}),
  };
}

/** Publishes a desired state to a device through the server's device sessions. */
export function publishDesired(
  t: TestServer,
  deviceId: string,
  models: Partial<DesiredStateInput['models']>,
  over: Partial<DesiredStateInput> = {},
): Promise<DesiredState> {
  return t.server.parts.deviceState.sessions.publishDesired(deviceId, {
    models: { active: null, shadow: null, standby: null, ...models },
    telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 1000 },
    policies: { golden: 'if_present', shadowSampleRate: 1 },
    ...over,
  });
}

/** Enrolls a device into a fresh data dir and starts an agent on port 0 (silent logs). */
export async function startEnrolledAgent(
  t: TestServer,
  deviceId: string,
  config: Record<string, unknown> = {},
  options: Omit<StartAgentOptions, 'reconnect'> = {},
): Promise<{ agent: RunningAgent; dataDir: string }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'edgefleet-agent-'));
  const token = (await (
    await t.call('/api/v1/enrollment-tokens', { method: 'POST', json: { labels: {} } })
  ).json()) as {
    token: string;
  };
  await enroll({ server: t.url, token: token.token, dataDir, deviceId, labels: {} });
  const agent = await startAgent(
    resolveAgentConfig({ dataDir, httpPort: 0, threads: 1, logLevel: 'silent', ...config }),
    { reconnect: { baseMs: 50, maxMs: 500 }, ...options },
  );
  return { agent, dataDir };
}

/** Polls until `check` returns a truthy value. */
export async function until<T>(
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A PNG with a horizontal gradient (text-like stripes), `width`×`height`. */
export async function stripesPng(width = 192, height = 48): Promise<Uint8Array<ArrayBuffer>> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      raw.fill((x * 7 + y * 3) % 256, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
}

/** The JSON answer of `POST /v1/infer`. */
export interface InferBody {
  predictionId: string;
  model: { name: string; version: string };
  top?: { index: number; label: string; confidence: number; margin: number };
  latencyMs: { preprocessMs: number; inferMs: number; totalMs: number };
  outputs: Record<string, { dims: number[]; dtype: string; data: number[] }>;
}

/** A free TCP port on 127.0.0.1 (for the embedded broker). */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** A test server whose embedded broker listens on a real port (agents connect over MQTT). */
export async function startServerWithBroker(): Promise<TestServer> {
  return startTestServer({ mqttPort: await freePort() });
}

/**
 * Three text-like images the cls model answers with different confidences: upright stripes, the same turned
 * 180°, and a narrower one.
 */
export async function orientationImages(): Promise<Uint8Array<ArrayBuffer>[]> {
  const upright = await stripesPng();
  const turned = new Uint8Array(await sharp(upright).rotate(180).png().toBuffer());
  return [upright, turned, await stripesPng(160, 48)];
}

/** The answer of `POST /v1/infer?outputs=false` for a classifier. */
export interface ClassifierAnswer {
  predictionId: string;
  model: { name: string; version: string };
  top: { index: number; label: string; confidence: number; margin: number };
  decision: { route: 'auto' | 'review'; reason: string };
}

/** Infers a PNG through an agent's local API; throws unless 200. */
export async function inferPng(agentUrl: string, png: Uint8Array<ArrayBuffer>): Promise<ClassifierAnswer> {
  const res = await fetch(`${agentUrl}/v1/infer?outputs=false`, {
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body: png,
  });
  if (res.status !== 200) throw new Error(`infer ${res.status}: ${await res.text()}`);
  return (await res.json()) as ClassifierAnswer;
}

/** Publishes `active` with an automation level to a device and waits until its agent applied it. */
export async function deployWithAutomation(
  t: TestServer,
  agent: RunningAgent,
  deviceId: string,
  active: ModelRef,
  automation: Automation,
): Promise<void> {
  const desired = await publishDesired(t, deviceId, { active }, { automation });
  await until(() => agent.reportedRev() === desired.rev, 20_000, `rev ${desired.rev} applied`);
}

/** Every feedback aggregate the server stored for a client, merged (undefined when none came). */
export function feedbackOnServer(t: TestServer, clientId: string): FeedbackAggregate | undefined {
  const rows = t.server.context.db.select().from(schema.telemetryReports).all();
  let sum: FeedbackAggregate | undefined;
  for (const row of rows.filter((r) => r.clientId === clientId)) {
    const f = row.feedback;
    if (!f) continue;
    const merged = sum ? mergeFeedback(sum, f) : { ok: true as const, value: f };
    if (!merged.ok) throw new Error(merged.error.message);
    sum = merged.value;
  }
  return sum;
}
