import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DesiredState, desiredStateSchema, type Manifest } from '@edgefleet/shared';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type FleetDatabase, openDatabase, schema } from '../db';
import { DeviceSessions } from '../device-state/device-sessions';
import { createLogger } from '../logging';
import { dbSpecResolver } from '../models';
import type { FleetLink } from '../mqtt/link';
import { insertClsVersion } from '../telemetry/fixtures';
import { CLS_PREPROCESSING } from '../testing/harness';
import { RolloutController } from './controller';
import { createRollout } from './service';
import { insertSimDevices } from './sim-fleet';

// The controller publishing through the real device sessions (batched path) on a real SQLite file, with a
// recording link instead of a broker.

let dir: string;
let database: FleetDatabase;
const now = Date.UTC(2026, 10, 23, 10);

const hex = (c: string) => c.repeat(64);
/** A manifest the shared schema accepts (its signature is well-formed, not verifiable). */
const manifestOf = (version: string): Manifest => ({
  v: 1,
  fleet: 'f',
  name: 'cls',
  version,
  format: 'onnx',
  sha256: hex('a'),
  sizeBytes: 1_234,
  preprocessing: CLS_PREPROCESSING,
  specHash: hex('b'),
  baselineSha256: hex('c'),
  createdAt: 1_763_900_000_000,
});
const signature = { alg: 'ES256', keyId: 'k'.repeat(43), value: 's'.repeat(86) };

/** A link that records publishes and fails those to `failFor`. */
function recordingLink() {
  const published: { topic: string; payload: string }[] = [];
  const failFor = new Set<string>();
  const link: FleetLink = {
    kind: 'embedded',
    sharedSubscriptions: false,
    async publish(topic, payload) {
      if ([...failFor].some((id) => topic.includes(`/dev/${id}/`))) throw new Error('broker down');
      published.push({ topic, payload: payload.toString() });
    },
    subscribe: async () => async () => {},
    close: async () => {},
  };
  return { link, published, failFor };
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgefleet-rollout-publish-'));
  database = openDatabase(dir);
  for (const version of ['1.0.0', '2.0.0']) {
    insertClsVersion(database.db, version);
    database.db
      .update(schema.modelVersions)
      .set({ manifest: manifestOf(version), manifestSignature: JSON.stringify(signature) })
      .where(eq(schema.modelVersions.version, version))
      .run();
  }
  insertSimDevices(database.db, 'd', 40, { site: 'a' }, now);
});
afterEach(() => {
  vi.restoreAllMocks();
  database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('RolloutController with device sessions', () => {
  it('publishes a stage to every target in one batch, validating each distinct state once', async () => {
    const { link, published, failFor } = recordingLink();
    failFor.add('d-00007');
    const sessions = new DeviceSessions({
      link,
      fleet: 'f',
      db: database.db,
      now: () => now,
      desiredChunkSize: 16,
    });
    const many = vi.spyOn(sessions, 'publishDesiredMany');
    const validate = vi.spyOn(desiredStateSchema, 'safeParse');
    const controller = new RolloutController({
      ctx: { db: database.db, now: () => now, logger: createLogger('silent') },
      specs: dbSpecResolver(database.db),
      tickMs: 60_000,
    });
    createRollout(
      { db: database.db, now: () => now },
      {
        id: 'r',
        model: 'cls',
        candidate: '2.0.0',
        baseline: '1.0.0',
        target: { selector: 'site=a' },
        strategy: 'canary',
        stages: '100%:1h',
        minReportingTargets: 0,
        minInferences: 0,
        gates: {},
        onBreach: 'rollback',
        maintenanceWindows: [],
        confidence: 0.99,
        onInconclusive: 'pause' as const,
      },
      'admin:t',
    );
    controller.start(sessions);
    await controller.tick();
    await controller.stop();
    expect(many).toHaveBeenCalledTimes(1);
    expect(validate).toHaveBeenCalledTimes(1); // 40 devices, one distinct desired state
    expect(controller.stats).toMatchObject({ desiredPublished: 39, publishFailures: 1 });
    expect(published).toHaveLength(39);
    for (const { topic, payload } of published) {
      const state = desiredStateSchema.parse(JSON.parse(payload)) as DesiredState;
      expect(topic).toBe(`ef/v1/f/dev/${state.deviceId}/desired`);
      expect(state).toMatchObject({ rev: 1, models: { active: { manifest: { version: '2.0.0' } } } });
      const row = database.db
        .select()
        .from(schema.devices)
        .where(eq(schema.devices.id, state.deviceId))
        .get()!;
      expect(row.desiredState).toEqual(state);
    }
    // Stored before the publish failed: the device gets it on its next hello.
    const failed = database.db.select().from(schema.devices).where(eq(schema.devices.id, 'd-00007')).get()!;
    expect(failed.desiredRev).toBe(1);
  });

  it('gives targets without telemetry settings the configured window, and keeps settings and the automation level a target has', async () => {
    const { link, published } = recordingLink();
    const sessions = new DeviceSessions({ link, fleet: 'f', db: database.db, now: () => now });
    const telemetry = { windowMs: 1_500, maxInFlight: 8, outboxMaxReports: 10_000 };
    const kept = { windowMs: 30_000, maxInFlight: 2, outboxMaxReports: 50 };
    const partial = { level: 'partial', minConfidence: 0.9, minMargin: 0.2 } as const;
    await sessions.publishDesired('d-00003', {
      models: { active: null, shadow: null, standby: null },
      telemetry: kept,
      policies: { golden: 'if_present', shadowSampleRate: 1 },
      automation: partial,
    });
    published.length = 0;
    const controller = new RolloutController({
      ctx: { db: database.db, now: () => now, logger: createLogger('silent') },
      specs: dbSpecResolver(database.db),
      tickMs: 60_000,
      telemetry,
    });
    createRollout(
      { db: database.db, now: () => now },
      {
        id: 'r',
        model: 'cls',
        candidate: '2.0.0',
        baseline: '1.0.0',
        target: { selector: 'site=a' },
        strategy: 'all-at-once',
        minReportingTargets: 0,
        minInferences: 0,
        gates: {},
        onBreach: 'rollback',
        maintenanceWindows: [],
        confidence: 0.99,
        onInconclusive: 'pause' as const,
      },
      'admin:t',
    );
    controller.start(sessions);
    await controller.tick();
    await controller.stop();
    expect(published).toHaveLength(40);
    for (const { payload } of published) {
      const state = desiredStateSchema.parse(JSON.parse(payload)) as DesiredState;
      expect(state.telemetry, state.deviceId).toEqual(state.deviceId === 'd-00003' ? kept : telemetry);
      expect(state.automation, state.deviceId).toEqual(state.deviceId === 'd-00003' ? partial : undefined);
    }
  });
});
