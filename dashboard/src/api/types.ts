// Shapes of the fleet server's admin API as the dashboard reads them (see fleet-server/src/*/routes.ts).

export interface ApiErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

export interface RunningRef {
  name: string;
  version: string;
}

export interface DeployError {
  step: string;
  message: string;
  model?: string;
  rev?: number;
  at: number;
}

export interface ReportedState {
  type?: string;
  appliedRev?: number;
  agentVersion?: string;
  at?: number;
  running?: { active: RunningRef | null; shadow: RunningRef | null; standby: RunningRef | null };
  errors?: DeployError[];
  capabilities?: { platform?: string; os?: string; arch?: string; backends?: string[]; cpuCount?: number };
}

export interface Device {
  id: string;
  name: string | null;
  labels: Record<string, string>;
  createdAt: number;
  disabled: boolean;
  disabledAt: number | null;
  online: boolean;
  epoch: number;
  lastSeenAt: number | null;
  connectedAt: number | null;
  reportedState: ReportedState | null;
  reportedAt: number | null;
  appliedRev: number;
  desiredRev: number;
}

export interface DeviceReport {
  id: string | number;
  modelName: string;
  modelVersion: string;
  role: string;
  windowStartMs: number;
  windowEndMs: number;
  inferences: number;
  errors: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null } | number | null;
  software?: unknown;
  receivedAt: number;
  status?: string;
}

export interface FleetOverview {
  devices: { total: number; online: number; offline: number; failing: number; disabled: number };
  byVersion: Record<string, number>;
  byLabel: Record<string, Record<string, number>>;
  models: number | unknown[];
  rollouts: { active: number };
}

export interface Model {
  name: string;
  description: string | null;
  createdAt: number;
  versions: number;
  latestCreatedAt: number | null;
}

export interface ModelVersion {
  name: string;
  version: string;
  sha256: string;
  sizeBytes: number;
  preprocessing: Record<string, unknown>;
  lineage: Record<string, unknown>;
  specHash: string;
  baselineSha256: string;
  goldenSha256: string | null;
  createdBy: string;
  createdAt: number;
  deprecatedAt: number | null;
  deprecationReason: string | null;
  manifest: Record<string, unknown>;
}

/** A ProfileSpec: baseline bin edges per feature. */
export interface ProfileSpec {
  inputs: { name: string; edges: number[] }[];
  outputs: { name: string; edges: number[] }[];
  classes?: string[];
}

export interface CategoryCountsJSON {
  c: [string, number][];
  other: number;
}

/** A baseline Profile JSON (features in spec order). */
export interface ProfileJSON {
  inferences: number;
  inputs: { m: number[]; h: number[] }[];
  outputs: { m: number[]; h: number[] }[];
  classes: CategoryCountsJSON;
}

export type RolloutStatus = 'scheduled' | 'running' | 'paused' | 'completed' | 'rolled_back' | 'aborted';
export type RolloutAction = 'pause' | 'resume' | 'promote' | 'abort' | 'rollback';

export interface RolloutTarget {
  kind?: 'selector' | 'devices' | 'app';
  selector?: string;
  ids?: string[];
  appId?: string;
}

export interface RolloutSummary {
  id: string;
  model: string;
  candidate: string;
  /** The version the candidate replaces; null for a first deployment (no target ran the model). */
  baseline: string | null;
  strategy: string;
  target: RolloutTarget;
  status: RolloutStatus;
  stageIndex: number;
  stageCount: number;
  percent: number;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export interface GateValue {
  gate: string;
  value: number | null;
  threshold: number;
  bound: 'max' | 'min';
  status: 'pass' | 'wait' | 'breach';
}

export interface AuditRow {
  id: number;
  at: number;
  actor: string;
  event: string;
  fromStatus: string | null;
  toStatus: string;
  stageIndex: number;
  reason: string;
  gates: GateValue[];
}

export interface RolloutStage {
  index: number;
  percent: number;
  minDurationMs: number;
  minReportingTargets: number;
  minInferences: number;
  state: 'done' | 'current' | 'pending';
}

export interface RolloutDetail extends RolloutSummary {
  stages: RolloutStage[];
  stage: {
    index: number;
    percent: number;
    startedAt: number;
    elapsedMs: number;
    minDurationMs: number;
  } | null;
  gates: Record<string, unknown>;
  onBreach: string;
  startAt: number;
  evaluation: { at: number; note: string; verdict: string | null; gates: GateValue[] } | null;
  targets: { total: number; byState: Record<string, number>; failures: { id: string; error: string }[] };
  audit: AuditRow[];
}

/** Body of `POST /api/v1/rollouts` as the form sends it. */
export interface RolloutCreate {
  model: string;
  candidate: string;
  /** Omitted: what the targets run now (none: a first deployment); null: asserts a first deployment. */
  baseline?: string | null;
  target: { selector: string } | { devices: string[] } | { app: string };
  strategy: string;
  stages?: string;
  minReportingTargets: number;
  minInferences: number;
  gates: Record<string, number>;
  onBreach: 'rollback' | 'pause';
}

export interface DriftPair {
  psi: number | null;
  js: number | null;
}

export interface TimeseriesPoint {
  t: number;
  reports: number;
  inferences: number;
  errors: number;
  errorRate: number | null;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null } | null;
  drift: {
    inputs: Record<string, DriftPair>;
    /** The class mix against the baseline's. */
    output: DriftPair | null;
    /** Numeric outputs (e.g. confidence), when the server sends them. */
    outputs?: Record<string, DriftPair>;
    maxPsi: number | null;
    maxJs: number | null;
  } | null;
  classMix: Record<string, number> | null;
  confidence: { p50: number | null; mean: number | null } | null;
}

export interface TimeseriesQuery {
  from: number;
  to: number;
  stepMs: number;
  selector?: string;
  device?: string;
  role?: 'active' | 'shadow';
}

export type AlertKind = 'gate_breach' | 'apply_failed' | 'device_silent' | 'drift';
export type AlertStatus = 'open' | 'acknowledged' | 'resolved' | 'all';

export interface Alert {
  id: string | number;
  kind: AlertKind | string;
  severity: string;
  /** What it is about, e.g. `{ deviceId }`, `{ rolloutId }`, `{ model, version }`. */
  subject: Record<string, unknown> | string;
  message: string;
  details: unknown;
  status?: 'open' | 'acknowledged' | 'resolved';
  firstSeenAt: number;
  lastSeenAt: number;
  count: number;
  resolvedAt: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
}

export interface App {
  id: string;
  name: string;
  disabled: boolean;
}

export interface TensorInfo {
  name: string;
  type: string;
  shape: (number | string | null)[];
}

export interface ArtifactMeta {
  sha256: string;
  sizeBytes: number;
  kind: string;
  signature: { inputs: TensorInfo[]; outputs: TensorInfo[] } | null;
  createdAt: number;
}

/** `GET …/metrics`: a version's profile merged over whole hours of a range. */
export interface VersionMetrics {
  fromMs: number;
  toMs: number;
  inferences: number;
  profile: ProfileJSON | null;
}
