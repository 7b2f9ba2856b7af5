import { Profile } from '../profile/profile';
import { type ProfileSpec, specHash } from '../profile/spec';
import type { AppPlan } from './app-plan';
import type { DesiredState } from './desired';
import type { EnrollRequest, EnrollResponse, ModelVersionCreate } from './http';
import type { Manifest, ModelRef, SignedManifest } from './manifest';
import type { Hello, Presence, StateReport } from './reported';
import type { Ack, TelemetryBatch, TelemetryReport } from './telemetry';

// Valid example messages, shared by the protocol tests (not exported from the package).

const hex = (c: string): string => c.repeat(64);

/** A valid manifest. */
export const sampleManifest = (): Manifest => ({
  v: 1,
  fleet: 'acme',
  name: 'defect',
  version: '3.0.0',
  format: 'onnx',
  sha256: hex('a'),
  sizeBytes: 1_234_567,
  preprocessing: {
    kind: 'image',
    layout: 'NCHW',
    width: 224,
    height: 224,
    resize: 'stretch',
    channelOrder: 'RGB',
    scale: 1 / 255,
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    dtype: 'float32',
  },
  specHash: hex('b'),
  baselineSha256: hex('c'),
  goldenSha256: hex('d'),
  createdAt: 1_763_900_000_000,
});

/** A signed manifest with a syntactically valid (not verifiable) signature. */
export const sampleSignedManifest = (): SignedManifest => ({
  manifest: sampleManifest(),
  signature: { alg: 'ES256', keyId: 'k'.repeat(43), value: 's'.repeat(86) },
});

/** A valid model ref. */
export const sampleModelRef = (): ModelRef => ({
  ...sampleSignedManifest(),
  artifactUrl: `/artifacts/${hex('a')}`,
  profileSpecUrl: 'https://fleet.example.com/api/v1/models/defect/versions/3.0.0/spec',
  goldenUrl: '/golden/x',
});

/** A valid desired state. */
export const sampleDesired = (): DesiredState => ({
  v: 1,
  rev: 7,
  deviceId: 'station-7',
  issuedAt: 1_763_900_000_000,
  models: { active: sampleModelRef(), shadow: null, standby: sampleModelRef() },
  telemetry: { windowMs: 60_000, maxInFlight: 8, outboxMaxReports: 10_000 },
  policies: { golden: 'if_present', shadowSampleRate: 1 },
});

/** A valid hello. */
export const sampleHello = (): Hello => ({
  v: 1,
  type: 'hello',
  deviceId: 'station-7',
  epoch: 3,
  appliedRev: 6,
  agentVersion: '0.1.0',
  at: 1_763_900_000_000,
  capabilities: { platform: 'node', os: 'linux', arch: 'arm64', backends: ['cpu'], cpuCount: 4 },
  running: { active: { name: 'defect', version: '2.0.0' }, shadow: null, standby: null },
});

/** A valid state report. */
export const sampleState = (): StateReport => ({
  v: 1,
  type: 'state',
  deviceId: 'station-7',
  epoch: 3,
  appliedRev: 7,
  agentVersion: '0.1.0',
  at: 1_763_900_000_000,
  running: { active: { name: 'defect', version: '2.0.0' }, shadow: null, standby: null },
  errors: [
    {
      step: 'verify_sha256',
      message: 'expected aaaa…, got bbbb…',
      model: { name: 'defect', version: '3.0.0' },
      rev: 7,
      at: 1_763_900_000_000,
    },
  ],
});

/** A valid presence. */
export const samplePresence = (): Presence => ({ v: 1, status: 'online', epoch: 3, at: 1_763_900_000_000 });

/** A small ProfileSpec. */
export const sampleProfileSpec = (): ProfileSpec => ({
  v: 1,
  inputs: [{ name: 'brightness', edges: [0.2, 0.4, 0.6, 0.8] }],
  outputs: [{ name: 'confidence', edges: [0.5, 0.9] }],
  classes: ['ok', 'defect'],
  latency: { relativeAccuracy: 0.01, maxBins: 256 },
});

/** A window profile with a few observations, as JSON. */
export const sampleProfileJson = () => {
  const profile = new Profile(sampleProfileSpec());
  profile.observeInputs({ brightness: 0.5 });
  profile.observeOutputs({ confidence: 0.95 });
  profile.observeClass('defect');
  profile.observeLatency('total', 12.5);
  return profile.toJSON();
};

/** Process metrics of one window (durations fractional, as measured). */
export const sampleSoftware = () => ({
  rssBytes: 96_468_992,
  heapUsedBytes: 21_233_664,
  cpuUserMs: 812.5,
  cpuSystemMs: 93.25,
  eventLoopDelayP50Ms: 10.1,
  eventLoopDelayP99Ms: 12.7,
  eventLoopDelayMaxMs: 48.3,
});

/** A valid telemetry report. */
export const sampleTelemetry = (): TelemetryReport => ({
  v: 1,
  clientId: 'station-7',
  epoch: 3,
  seq: 42,
  window: { startMs: 1_763_900_000_000, endMs: 1_763_900_060_000 },
  model: { name: 'defect', version: '3.0.0' },
  role: 'active',
  specHash: specHash(sampleProfileSpec()),
  profile: sampleProfileJson(),
  runtime: { backend: 'wasm', threads: 1, fallbackReason: 'requestAdapter() returned null' },
  software: sampleSoftware(),
  overflow: { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 },
});

/** A valid ack. */
export const sampleAck = (): Ack => ({ v: 1, clientId: 'station-7', epoch: 3, seq: 42, seqs: [40, 42] });

/** A valid telemetry batch. */
export const sampleBatch = (): TelemetryBatch => ({ reports: [sampleTelemetry(), sampleTelemetry()] });

/** A valid app plan. */
export const sampleAppPlan = (): AppPlan => ({
  v: 1,
  rev: 2,
  appId: 'shop',
  issuedAt: 1_763_900_000_000,
  models: [
    {
      name: 'defect',
      current: sampleModelRef(),
      candidate: { rolloutId: 'r-1', ref: sampleModelRef(), strategy: 'canary', salt: 'salt_1', percent: 5 },
    },
  ],
  telemetry: { windowMs: 60_000, maxInFlight: 4, outboxMaxReports: 500 },
  policies: { golden: 'required', shadowSampleRate: 0.5, inferenceTimeoutMs: 2000 },
});

/** A valid enrollment request. */
export const sampleEnrollRequest = (): EnrollRequest => ({
  enrollmentToken: 't'.repeat(32),
  deviceId: 'station-7',
  labels: { site: 'berlin', line: '3' },
  capabilities: { platform: 'node', backends: ['cpu'] },
  agentVersion: '0.1.0',
});

/** A valid enrollment response. */
export const sampleEnrollResponse = (): EnrollResponse => ({
  deviceId: 'station-7',
  fleet: 'acme',
  deviceToken: 'd'.repeat(32),
  mqttUrl: 'mqtts://fleet.example.com:8883',
  apiUrl: 'https://fleet.example.com',
  signingKeys: [{ kty: 'EC', crv: 'P-256', x: 'x'.repeat(43), y: 'y'.repeat(43), kid: 'k'.repeat(43) }],
});

/** A valid model version creation body. */
export const sampleModelVersionCreate = (): ModelVersionCreate => ({
  name: 'defect',
  version: '3.0.0',
  sha256: hex('a'),
  sizeBytes: 1_234_567,
  preprocessing: { kind: 'tensor', dtype: 'float32' },
  baseline: { spec: sampleProfileSpec(), profile: sampleProfileJson() },
  golden: { sha256: hex('d') },
  lineage: {
    createdBy: 'ana@example.com',
    trainingDataSha256: hex('e'),
    codeRevision: 'abc123',
    params: { lr: 0.001, arch: 'resnet18', augment: true },
    metrics: { accuracy: 0.97 },
  },
});
