import {
  type Manifest,
  PADDLE_OCR_CLS_PREPROCESSING,
  PROTOCOL_VERSION,
  Profile,
  type ProfileSpec,
  type TelemetryReport,
} from '@edgefleet/shared';
import { and, eq } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';

// Realistic telemetry of the PaddleOCR text-direction classifier (cls): image features of the
// 3×48×192 input, confidence and margin of its 2 classes (0°, 180°), latency per stage.
// Used by the ingestion tests and `pnpm bench`; not part of the server.

const IMAGE_FEATURES = [
  'brightness',
  'contrast',
  'sharpness',
  'clipped',
  'ch0.mean',
  'ch1.mean',
  'ch2.mean',
  'ch0.std',
  'ch1.std',
  'ch2.std',
] as const;

/** 11 equal-mass edges (10 bins) of a roughly normal feature around `center`. */
function edgesAround(center: number, spread: number): number[] {
  const z = [-1.64, -1.04, -0.67, -0.39, -0.13, 0, 0.13, 0.39, 0.67, 1.04, 1.64];
  return z.map((q) => Number((center + q * spread).toFixed(6)));
}

/** The ProfileSpec of the cls model: 10 image features, confidence and margin, 2 classes. */
export const CLS_SPEC: ProfileSpec = {
  v: 1,
  inputs: IMAGE_FEATURES.map((name, i) => ({ name, edges: edgesAround(0.4 + i * 0.01, 0.1) })),
  outputs: [
    { name: 'confidence', edges: edgesAround(0.9, 0.05) },
    { name: 'margin', edges: edgesAround(0.8, 0.1) },
  ],
  classes: ['0', '180'],
  latency: { relativeAccuracy: 0.01, maxBins: 512 },
};

/** A small deterministic PRNG (mulberry32) so fixtures are reproducible. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One window of `inferences` observations; `shift` moves the inputs (drift). */
export function clsWindowProfile(seed: number, inferences = 60, shift = 0): Profile {
  const random = prng(seed);
  const normal = () => (random() + random() + random() - 1.5) * 0.2;
  const profile = new Profile(CLS_SPEC);
  for (let n = 0; n < inferences; n++) {
    const inputs: Record<string, number> = {};
    for (const [i, name] of IMAGE_FEATURES.entries()) inputs[name] = 0.4 + i * 0.01 + normal() + shift;
    profile.observeInputs(inputs);
    const confidence = Math.min(1, 0.9 + normal() / 4);
    profile.observeOutputs({ confidence, margin: 2 * confidence - 1 });
    profile.observeClass(random() < 0.9 ? 0 : 1);
    profile.observeLatency('preprocess', 0.3 + random() * 0.2);
    profile.observeLatency('infer', 2 + random() * 3);
    profile.observeLatency('total', 2.5 + random() * 3.5);
    if (random() < 0.01) profile.recordError('infer');
  }
  return profile;
}

/** A telemetry report of the cls model for `clientId` carrying `profile`. */
export function clsReport(
  clientId: string,
  seq: number,
  profile: Profile,
  options: { epoch?: number; startMs?: number; version?: string; specHash?: string } = {},
): TelemetryReport {
  const startMs = options.startMs ?? Date.UTC(2026, 10, 23, 10, 0, 0) + seq * 60_000;
  return {
    v: PROTOCOL_VERSION,
    clientId,
    epoch: options.epoch ?? 1,
    seq,
    window: { startMs, endMs: startMs + 60_000 },
    model: { name: 'cls', version: options.version ?? '1.0.0' },
    role: 'active',
    specHash: options.specHash ?? profile.specHash,
    profile: profile.toJSON(),
    runtime: { backend: 'cpu', threads: 1 },
    overflow: { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 },
  };
}

/** A manifest of a cls fixture version (signed by no one: the fixtures' signatures are not checked). */
export function clsManifest(version: string): Manifest {
  return {
    v: 1,
    fleet: 'test',
    name: 'cls',
    version,
    format: 'onnx',
    sha256: 'a'.repeat(64),
    sizeBytes: 1,
    preprocessing: PADDLE_OCR_CLS_PREPROCESSING,
    specHash: 'b'.repeat(16),
    baselineSha256: 'b'.repeat(64),
    createdAt: 1_763_900_000_000,
  };
}

/** Registers `cls@version` with {@link CLS_SPEC} and a baseline directly in the tables (tests only). */
export function insertClsVersion(
  db: FleetDb,
  version = '1.0.0',
  baseline = clsWindowProfile(7, 2_000),
): void {
  const now = Date.now();
  const sha256 = 'a'.repeat(64);
  db.insert(schema.models).values({ name: 'cls', createdAt: now }).onConflictDoNothing().run();
  db.insert(schema.artifacts)
    .values({ sha256, sizeBytes: 1, format: 'model', signature: null, createdAt: now })
    .onConflictDoNothing()
    .run();
  const exists = db
    .select({ id: schema.modelVersions.id })
    .from(schema.modelVersions)
    .where(and(eq(schema.modelVersions.modelName, 'cls'), eq(schema.modelVersions.version, version)))
    .get();
  if (exists) return;
  db.insert(schema.modelVersions)
    .values({
      id: `cls@${version}`,
      modelName: 'cls',
      version,
      artifactSha256: sha256,
      preprocessing: PADDLE_OCR_CLS_PREPROCESSING,
      lineage: { createdBy: 'test' },
      baseline: { spec: CLS_SPEC, profile: baseline.toJSON() },
      baselineSha256: 'b'.repeat(64),
      manifest: clsManifest(version),
      manifestSignature: 'test',
      createdBy: 'test',
      createdAt: now,
    })
    .run();
}
