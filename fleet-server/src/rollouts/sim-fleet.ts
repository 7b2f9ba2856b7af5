import {
  type DesiredState,
  deviceTopic,
  type FeedbackAggregate,
  PROTOCOL_VERSION,
  Profile,
  type ProfileSpec,
  specHash,
} from '@edgefleet/shared';
import type { MqttClient } from 'mqtt';
import { sha256Hex } from '../auth/tokens';
import { type FleetDb, schema } from '../db';
import { connectClient } from '../mqtt/test-clients';

// Light simulated devices for rollout tests and benches: real mqtt.js clients that apply desired states
// (report them as running) and send synthetic telemetry. Not part of the server.

/** Versions a simulated device runs, per role. */
export interface SimRunning {
  active: string | null;
  shadow: string | null;
  standby: string | null;
}

/** Shape of the synthetic telemetry of one window. */
export interface SimWindow {
  inferences: number;
  /** Added to every input value (drift). */
  inputShift?: number;
  /** End-to-end latency of every inference. */
  latencyMs?: number;
  errorRate?: number;
  /** Shadow comparisons agreeing (0..1); none when undefined. */
  shadowAgreement?: number;
  /** Operator feedback sent with the window (active role only, like the agent). */
  feedback?: FeedbackAggregate;
}

/** One simulated device. */
export class SimDevice {
  appliedRev = 0;
  running: SimRunning;
  /** The automation level of the last applied desired state (absent there: null, the model decides). */
  automation: DesiredState['automation'] | null = null;
  private seq = 0;
  /** Resolves listeners waiting for a rev. */
  onApplied: ((rev: number) => void) | null = null;

  constructor(
    readonly id: string,
    readonly client: MqttClient,
    private readonly fleet: string,
    private readonly model: string,
    initial: SimRunning,
    /** The device's clock (its messages' `at`); the test server's injected clock in tests that move time. */
    private readonly now: () => number = Date.now,
  ) {
    this.running = initial;
  }

  /** Applies a desired state (a rev at or below the applied one is ignored) and reports the state. */
  apply(desired: DesiredState): void {
    if (desired.rev <= this.appliedRev) return;
    this.appliedRev = desired.rev;
    const v = (ref: DesiredState['models']['active']) => ref?.manifest.version ?? null;
    this.running = {
      active: v(desired.models.active),
      shadow: v(desired.models.shadow),
      standby: v(desired.models.standby),
    };
    this.automation = desired.automation ?? null;
    this.report('state');
    this.onApplied?.(desired.rev);
  }

  /** Publishes a hello (`kind: 'hello'`) or state report with what it runs. */
  report(kind: 'hello' | 'state'): void {
    const named = (version: string | null) => (version === null ? null : { name: this.model, version });
    const running = {
      active: named(this.running.active),
      shadow: named(this.running.shadow),
      standby: named(this.running.standby),
    };
    const common = {
      v: PROTOCOL_VERSION,
      deviceId: this.id,
      epoch: 1,
      appliedRev: this.appliedRev,
      agentVersion: 'sim',
      at: this.now(),
      running,
    };
    const message =
      kind === 'hello'
        ? { ...common, type: 'hello', capabilities: { platform: 'node', backends: ['cpu'] } }
        : { ...common, type: 'state', errors: [] };
    this.client.publish(deviceTopic(this.fleet, this.id, 'reported'), JSON.stringify(message), { qos: 1 });
  }

  /** Sends one telemetry window per version it runs (active, and shadow when running one). */
  async sendTelemetry(
    spec: ProfileSpec,
    nowMs: number,
    byVersion: (version: string, role: 'active' | 'shadow') => SimWindow,
  ): Promise<void> {
    const sends: Promise<unknown>[] = [];
    for (const role of ['active', 'shadow'] as const) {
      const version = this.running[role];
      if (version === null) continue;
      const window = byVersion(version, role);
      const profile = syntheticProfile(spec, window, this.seq);
      const report = {
        v: PROTOCOL_VERSION,
        clientId: this.id,
        epoch: 1,
        seq: ++this.seq,
        window: { startMs: nowMs, endMs: nowMs + 60_000 },
        model: { name: this.model, version },
        role,
        specHash: specHash(spec),
        profile: profile.toJSON(),
        runtime: { backend: 'cpu', threads: 1 },
        overflow: { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 },
        ...(window.feedback && role === 'active' ? { feedback: window.feedback } : {}),
      };
      sends.push(
        this.client.publishAsync(deviceTopic(this.fleet, this.id, 'telemetry'), JSON.stringify(report), {
          qos: 1,
        }),
      );
    }
    await Promise.all(sends);
  }
}

/**
 * Operator feedback of a window over `classes`: `labelled` labels, `correct` of them equal to the model's answer, all
 * routed to review (as at `shadow` and `assist`), and `routed` inferences routed to review.
 */
export function simFeedback(
  classes: readonly string[],
  labelled: number,
  correct: number,
  routed = labelled,
): FeedbackAggregate {
  const counts = classes.map(() => classes.map(() => 0));
  counts[0]![0] = correct;
  if (classes.length > 1) counts[0]![1] = labelled - correct;
  return {
    classes: [...classes],
    counts,
    labels: { auto: { labelled: 0, correct: 0 }, review: { labelled, correct } },
    routed: { auto: 0, review: routed },
  };
}

/** A window profile under `spec` (inputs `brightness`, outputs `confidence`, like the cls test baseline). */
export function syntheticProfile(spec: ProfileSpec, window: SimWindow, seed: number): Profile {
  const profile = new Profile(spec);
  for (let i = 0; i < window.inferences; i++) {
    const k = (i + seed) % 10;
    for (const input of spec.inputs)
      profile.observeInputs({ [input.name]: k / 10 + (window.inputShift ?? 0) });
    for (const output of spec.outputs) profile.observeOutputs({ [output.name]: 0.5 + (k % 5) / 10 });
    if (spec.classes && spec.classes.length > 0) profile.observeClass(spec.classes[k % spec.classes.length]!);
    profile.observeLatency('total', (window.latencyMs ?? 5) * (0.9 + (k % 3) / 10));
    if (window.errorRate !== undefined && i < window.inferences * window.errorRate)
      profile.recordError('infer');
    if (window.shadowAgreement !== undefined) profile.observeShadow(k / 10 < window.shadowAgreement, 0.01);
  }
  return profile;
}

/** Registers `count` devices (`<prefix>-<i>`, labels as given) straight in the table, all with secret `secret`. */
export function insertSimDevices(
  db: FleetDb,
  prefix: string,
  count: number,
  labels: Record<string, string>,
  now: number,
): string[] {
  const ids = Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(5, '0')}`);
  const tokenHash = sha256Hex('secret');
  db.transaction((tx) => {
    for (const id of ids) tx.insert(schema.devices).values({ id, tokenHash, labels, createdAt: now }).run();
  });
  return ids;
}

/** Connects simulated devices (in batches), subscribes each to its desired topic, and optionally says hello. */
export async function connectSimFleet(options: {
  port: number;
  fleet: string;
  model: string;
  ids: string[];
  initial: SimRunning;
  hello?: boolean;
  batch?: number;
  /** The devices' clock (default the real one): pass the server's injected clock, or the server learns an offset. */
  now?: () => number;
}): Promise<SimDevice[]> {
  const devices: SimDevice[] = [];
  const batch = options.batch ?? 100;
  for (let i = 0; i < options.ids.length; i += batch) {
    const connected = await Promise.all(
      options.ids.slice(i, i + batch).map(async (id) => {
        const client = await connectClient(options.port, {
          clientId: id,
          username: id,
          password: 'secret',
          clean: true,
        });
        const device = new SimDevice(
          id,
          client,
          options.fleet,
          options.model,
          { ...options.initial },
          options.now,
        );
        client.on('message', (_topic, payload) => {
          if (payload.length > 0) device.apply(JSON.parse(payload.toString()) as DesiredState);
        });
        await client.subscribeAsync(deviceTopic(options.fleet, id, 'desired'), { qos: 1 });
        if (options.hello) device.report('hello');
        return device;
      }),
    );
    devices.push(...connected);
  }
  return devices;
}

/** Closes every simulated device. */
export async function closeSimFleet(devices: readonly SimDevice[]): Promise<void> {
  await Promise.all(devices.map((d) => d.client.endAsync(true)));
}
