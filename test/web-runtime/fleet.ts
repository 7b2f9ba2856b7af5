import { readFileSync } from 'node:fs';
import type { AppPlanInput, GoldenPairJson, Manifest, ModelRef } from '@edgefleet/shared';
import { schema } from '../../fleet-server/src/db';
import {
  CLS_MODEL_PATH,
  CLS_PREPROCESSING,
  clsBaseline,
  startTestServer,
  type TestServer,
} from '../../fleet-server/src/testing/harness';

export { CLS_PREPROCESSING };

/** The cls model's bytes; `variant` > 0 appends a protobuf doc_string field, giving the same graph new bytes. */
export function clsModelBytes(variant = 0): Uint8Array {
  const base = readFileSync(CLS_MODEL_PATH);
  if (variant === 0) return new Uint8Array(base);
  const doc = new TextEncoder().encode(`variant ${variant}`);
  // ModelProto field 6 (doc_string), wire type 2: tag 0x32, length, bytes. The last occurrence wins.
  return new Uint8Array([...base, 0x32, doc.length, ...doc]);
}

/** A real fleet server with one app and helpers to register versions and publish plans. */
export interface Fleet {
  t: TestServer;
  appId: string;
  key: string;
  register(version: string, bytes: Uint8Array, golden?: GoldenPairJson): Promise<ModelRef>;
  /** Stores `bytes` as an artifact of `kind` (default model); its sha256. */
  upload(bytes: Uint8Array, kind?: 'model' | 'golden'): Promise<string>;
  /** Signs a manifest with the fleet's real key (a version the server never checked). */
  sign(manifest: Manifest): Promise<Pick<ModelRef, 'manifest' | 'signature'>>;
  publish(models: AppPlanInput['models'], telemetry?: Partial<AppPlanInput['telemetry']>): Promise<number>;
  /** Telemetry reports the server stored for the app's browsers. */
  reports(): (typeof schema.telemetryReports.$inferSelect)[];
  dispose(): Promise<void>;
}

async function json<T>(response: Response): Promise<T> {
  const body = await response.json();
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${JSON.stringify(body)}`);
  return body as T;
}

/** Starts the fleet server (port 0, temp data dir) with app `inspector`. */
export async function startFleet(): Promise<Fleet> {
  const t = await startTestServer({ appRateLimitPerS: 1000, appRateBurst: 1000 });
  const appId = 'inspector';
  const app = await json<{ publishableKey: string }>(
    await t.call('/api/v1/apps', { method: 'POST', json: { id: appId, name: 'Inspector' } }),
  );
  const upload = async (bytes: Uint8Array, kind: 'model' | 'golden' = 'model') => {
    const uploaded = await json<{ sha256: string }>(
      await t.call(`/api/v1/artifacts?kind=${kind}`, { method: 'POST', body: Buffer.from(bytes) }),
    );
    return uploaded.sha256;
  };
  const deviceState = () => t.server.parts.deviceState;
  return {
    t,
    appId,
    key: app.publishableKey,
    upload,
    sign: (manifest) => t.server.context.signer.signManifest(manifest),
    async register(version, bytes, golden) {
      const uploaded = await json<{ sha256: string; sizeBytes: number }>(
        await t.call('/api/v1/artifacts', { method: 'POST', body: Buffer.from(bytes) }),
      );
      const goldenSha256 = golden ? await upload(Buffer.from(JSON.stringify(golden)), 'golden') : undefined;
      await json(
        await t.call('/api/v1/models/cls/versions', {
          method: 'POST',
          json: {
            name: 'cls',
            version,
            sha256: uploaded.sha256,
            sizeBytes: uploaded.sizeBytes,
            preprocessing: CLS_PREPROCESSING,
            baseline: clsBaseline(),
            lineage: { createdBy: 'web-runtime tests' },
            ...(goldenSha256 ? { golden: { sha256: goldenSha256 } } : {}),
          },
        }),
      );
      const view = await json<ModelRef & Record<string, unknown>>(
        await t.call(`/api/v1/models/cls/versions/${version}`),
      );
      return {
        manifest: view.manifest,
        signature: view.signature,
        artifactUrl: view.artifactUrl,
        profileSpecUrl: view.profileSpecUrl,
        ...(typeof view.goldenUrl === 'string' ? { goldenUrl: view.goldenUrl } : {}),
      };
    },
    async publish(models, telemetry = {}) {
      const plan = await deviceState().sessions.publishAppPlan(appId, {
        models,
        telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 100, ...telemetry },
        policies: { golden: 'if_present', shadowSampleRate: 0 },
      });
      return plan.rev;
    },
    reports: () => t.server.context.db.select().from(schema.telemetryReports).all(),
    dispose: () => t.dispose(),
  };
}
