import { imageTensorDims, type KeyRing, type Manifest, type RuntimeInfo } from '@edgefleet/shared';
import type { ModelCache } from '../artifacts/cache';
import { downloadArtifact, type ProgressEvent, verifyRef } from '../artifacts/download';
import { kindOf, messageOf, RuntimeError } from '../errors';
import type { FleetClient } from '../fleet/client';
import { type BackendPreference, loadOnBestBackend } from '../inference/backend';
import type { Backend } from '../inference/protocol';
import type { WorkerFactory, WorkerSession } from '../inference/session';
import type { Selection } from '../plan/select';
import type { Store } from '../storage/db';
import { TelemetryWindow, tensorRange } from '../telemetry/window';
import { checkGoldenPair, type GoldenPolicy, loadGoldenPair } from './golden';

/** A model version ready to serve: verified, loaded in its Worker and warmed up. */
export interface PreparedVersion {
  selection: Selection;
  manifest: Manifest;
  session: WorkerSession;
  backend: Backend;
  /** Why this backend (the adapter that passed warm-up, or why not WebGPU). */
  reason: string;
  runtime: RuntimeInfo;
  /** The open telemetry window; undefined when telemetry is off or the profile spec is unavailable. */
  window: TelemetryWindow | undefined;
}

/** What {@link prepareVersion} needs. */
export interface PrepareDeps {
  server: string;
  key: string;
  keys: KeyRing;
  cache: ModelCache;
  fleet: FleetClient;
  preference: BackendPreference;
  createWorker: WorkerFactory;
  ortBaseUrl: string;
  telemetry: boolean;
  store: Store;
  /** The plan's golden policy. */
  golden: GoldenPolicy;
  onProgress: (event: ProgressEvent) => void;
  /** Non-fatal problems (no profile spec: the version serves without telemetry). */
  onWarning: (error: RuntimeError) => void;
  /** A version refused after loading (golden pair): its window holds the error, for the server to see. */
  onRefused: (window: TelemetryWindow, runtime: RuntimeInfo) => void;
}

/**
 * Verifies the manifest signature, takes the bytes from the cache or downloads and checks them (sha256, size)
 * and caches them, fetches the profile spec and the golden pair (checked against the signed sha256), loads the
 * model in a new Worker on the best backend with a warm-up run, then runs the golden inputs there and compares.
 * Any failure rejects and leaves nothing running: a version that fails a step is never served.
 */
export async function prepareVersion(selection: Selection, deps: PrepareDeps): Promise<PreparedVersion> {
  const manifest = await verifyRef(selection.ref, deps.keys);
  const { name, version, sha256 } = manifest;
  let bytes = await deps.cache.get(sha256);
  if (bytes) {
    deps.onProgress({
      name,
      version,
      loadedBytes: bytes.byteLength,
      totalBytes: manifest.sizeBytes,
      cached: true,
    });
  } else {
    bytes = await downloadArtifact({
      url: new URL(selection.ref.artifactUrl, deps.server).toString(),
      key: deps.key,
      manifest,
      onProgress: deps.onProgress,
      store: deps.store,
    });
    await deps.cache.put({ sha256, name, version, bytes });
  }
  const spec = deps.telemetry
    ? await deps.fleet.spec(selection.ref.profileSpecUrl, manifest.specHash).catch((error: unknown) => {
        deps.onWarning(
          new RuntimeError('network', `no telemetry for ${name}@${version}: ${messageOf(error)}`),
        );
        return undefined;
      })
    : undefined;
  const golden = await loadGoldenPair(selection.ref, manifest, {
    server: deps.server,
    key: deps.key,
    store: deps.store,
    policy: deps.golden,
  });
  const pre = manifest.preprocessing;
  const choice = await loadOnBestBackend({
    preference: deps.preference,
    createWorker: deps.createWorker,
    ortBaseUrl: deps.ortBaseUrl,
    model: bytes,
    ...(pre.kind === 'image' ? { warmupDims: imageTensorDims(pre, 1) } : {}),
  });
  const info = choice.session.info!;
  const runtime: RuntimeInfo = {
    backend: choice.backend,
    threads: info.threads,
    ...(info.adapter ? { adapter: info.adapter } : {}),
    ...(choice.fallbackReason ? { fallbackReason: choice.fallbackReason } : {}),
    runtimeVersion: info.runtimeVersion.slice(0, 64),
  };
  const window = spec ? new TelemetryWindow(spec, { name, version }, tensorRange(pre)) : undefined;
  if (golden) {
    try {
      await checkGoldenPair(choice.session, golden, `${name}@${version}`);
    } catch (error) {
      choice.session.terminate();
      if (window) {
        window.recordError(kindOf(error, 'golden_mismatch'));
        deps.onRefused(window, runtime);
      }
      throw error;
    }
  }
  return {
    selection,
    manifest,
    session: choice.session,
    backend: choice.backend,
    reason:
      choice.backend === 'webgpu'
        ? `WebGPU adapter "${info.adapter ?? 'unknown'}" passed the warm-up run`
        : (choice.fallbackReason ?? 'WASM'),
    runtime,
    window,
  };
}
