import {
  type AppPlan,
  appPlanSchema,
  appTopic,
  type DesiredState,
  desiredStateSchema,
  deviceTopic,
  deviceTopicFilter,
  MAX_APP_PLAN_BYTES,
  MAX_DESIRED_BYTES,
  MAX_PRESENCE_BYTES,
  MAX_REPORTED_BYTES,
  type Presence,
  parseMessage,
  parseTopic,
  presenceSchema,
  type Reported,
  reportedSchema,
  serializeMessage,
} from '@edgefleet/shared';
import { eq, sql } from 'drizzle-orm';
import pino, { type Logger } from 'pino';
import { type FleetDb, schema } from '../db';
import { InvalidInput, NotFound } from '../errors';
import type { FleetLink } from './link';

/** A desired state as the rollout controller writes it; the session adds `v`, `rev`, `deviceId` and `issuedAt`. */
export type DesiredStateInput = Omit<DesiredState, 'v' | 'rev' | 'deviceId' | 'issuedAt'>;

/** An app plan as the rollout controller writes it; the session adds `v`, `rev`, `appId` and `issuedAt`. */
export type AppPlanInput = Omit<AppPlan, 'v' | 'rev' | 'appId' | 'issuedAt'>;

/** Counters of the device session logic. */
export interface DeviceSessionStats {
  presenceApplied: number;
  /** Presence (mostly late last wills) from an epoch older than the device's current one. */
  presenceStale: number;
  reportsApplied: number;
  /** Hellos answered with a newer desired state. */
  desiredResent: number;
  desiredPublished: number;
  rejected: Record<string, number>;
}

/** Options of {@link DeviceSessions}. */
export interface DeviceSessionsOptions {
  link: FleetLink;
  fleet: string;
  db: FleetDb;
  logger?: Logger;
  now?: () => number;
}

/**
 * The server side of a device's MQTT session: presence with epochs (a last will older than the
 * device's current epoch is ignored), the hello/reconcile on `…/reported` (answered with the desired
 * state when the device runs an older rev) and publishing desired states with a rising `rev`.
 * The database is the source of truth; retained messages are only a shortcut.
 */
export class DeviceSessions {
  readonly stats: DeviceSessionStats = {
    presenceApplied: 0,
    presenceStale: 0,
    reportsApplied: 0,
    desiredResent: 0,
    desiredPublished: 0,
    rejected: {},
  };
  private stops: (() => Promise<void>)[] = [];
  private readonly log: Logger;
  private readonly now: () => number;

  constructor(private readonly options: DeviceSessionsOptions) {
    this.log = options.logger ?? pino({ level: 'silent' });
    this.now = options.now ?? Date.now;
  }

  /** Subscribes to presence and reported topics of every device. */
  async start(): Promise<void> {
    const { link, fleet } = this.options;
    this.stops = await Promise.all([
      link.subscribe(
        deviceTopicFilter(fleet, 'presence'),
        (topic, payload) => this.onPresence(topic, payload),
        {
          shared: true,
        },
      ),
      link.subscribe(
        deviceTopicFilter(fleet, 'reported'),
        (topic, payload) => this.onReported(topic, payload),
        {
          shared: true,
        },
      ),
    ]);
  }

  async stop(): Promise<void> {
    await Promise.all(this.stops.map((stop) => stop()));
    this.stops = [];
  }

  /**
   * Stores the next desired state of a device (rev = previous rev + 1, atomically in the database) and
   * publishes it retained with QoS 1. Throws NotFound for an unknown device, InvalidInput for a state
   * that fails the shared schema.
   */
  async publishDesired(deviceId: string, input: DesiredStateInput): Promise<DesiredState> {
    const d = schema.devices;
    const state = this.options.db.transaction((tx) => {
      const row = tx.select({ rev: d.desiredRev }).from(d).where(eq(d.id, deviceId)).get();
      if (!row) throw new NotFound(`no device ${deviceId}`, { field: 'deviceId' });
      const next: DesiredState = { ...input, v: 1, rev: row.rev + 1, deviceId, issuedAt: this.now() };
      const checked = serializeMessage(desiredStateSchema, next, { maxBytes: MAX_DESIRED_BYTES });
      if (!checked.ok)
        throw new InvalidInput(`desired state: ${checked.error.message}`, { field: checked.error.path });
      tx.update(d)
        .set({ desiredState: next as unknown as Record<string, unknown>, desiredRev: next.rev })
        .where(eq(d.id, deviceId))
        .run();
      return next;
    });
    await this.sendDesired(state);
    this.stats.desiredPublished++;
    return state;
  }

  /**
   * Stores the next plan of a web app (rev + 1 in `apps.plan_rev`) and publishes it retained on
   * `…/app/{appId}/desired`: one message serves every browser of the app.
   */
  async publishAppPlan(appId: string, input: AppPlanInput): Promise<AppPlan> {
    const a = schema.apps;
    const plan = this.options.db.transaction((tx) => {
      const row = tx.select({ rev: a.planRev }).from(a).where(eq(a.id, appId)).get();
      if (!row) throw new NotFound(`no app ${appId}`, { field: 'appId' });
      const next: AppPlan = { ...input, v: 1, rev: row.rev + 1, appId, issuedAt: this.now() };
      const checked = serializeMessage(appPlanSchema, next, { maxBytes: MAX_APP_PLAN_BYTES });
      if (!checked.ok)
        throw new InvalidInput(`app plan: ${checked.error.message}`, { field: checked.error.path });
      tx.update(a)
        .set({ plan: next as unknown as Record<string, unknown>, planRev: next.rev })
        .where(eq(a.id, appId))
        .run();
      return next;
    });
    const topic = appTopic(this.options.fleet, appId, 'desired');
    await this.options.link.publish(topic, JSON.stringify(plan), { qos: 1, retain: true });
    this.stats.desiredPublished++;
    return plan;
  }

  private async sendDesired(state: DesiredState): Promise<void> {
    const topic = deviceTopic(this.options.fleet, state.deviceId, 'desired');
    await this.options.link.publish(topic, JSON.stringify(state), { qos: 1, retain: true });
  }

  private reject(reason: string, topic: string, detail?: unknown): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] ?? 0) + 1;
    this.log.debug({ topic, reason, detail }, 'device message rejected');
  }

  private deviceIdOf(topic: string, kind: 'presence' | 'reported'): string | null {
    const parsed = parseTopic(topic);
    if (!parsed.ok || parsed.value.scope !== 'dev' || parsed.value.kind !== kind) return null;
    return parsed.value.fleet === this.options.fleet ? parsed.value.deviceId : null;
  }

  /** Applies `online`/`offline` unless it comes from an older epoch than the device's current one. */
  onPresence(topic: string, payload: Buffer): void {
    const deviceId = this.deviceIdOf(topic, 'presence');
    if (!deviceId) {
      this.reject('invalid_topic', topic);
      return;
    }
    if (payload.length === 0) return; // a cleared retained message
    const parsed = parseMessage(presenceSchema, payload, { maxBytes: MAX_PRESENCE_BYTES });
    if (!parsed.ok) {
      this.reject(parsed.error.kind, topic, parsed.error);
      return;
    }
    this.applyPresence(deviceId, parsed.value);
  }

  private applyPresence(deviceId: string, presence: Presence): void {
    const d = schema.devices;
    const now = this.now();
    const online = presence.status === 'online';
    const changed = this.options.db
      .update(d)
      .set({
        online,
        epoch: presence.epoch,
        lastSeenAt: now,
        ...(online ? { connectedAt: now } : {}),
      })
      .where(sql`${d.id} = ${deviceId} and ${d.epoch} <= ${presence.epoch}`)
      .run();
    if (changed.changes > 0) {
      this.stats.presenceApplied++;
      this.log.info({ deviceId, status: presence.status, epoch: presence.epoch }, 'device presence');
      return;
    }
    const known = this.options.db.select({ epoch: d.epoch }).from(d).where(eq(d.id, deviceId)).get();
    if (!known) {
      this.reject('unknown_device', deviceId);
      return;
    }
    this.stats.presenceStale++;
    this.log.info({ deviceId, epoch: presence.epoch, current: known.epoch }, 'stale presence ignored');
  }

  /** Stores the reported state; answers a hello with the desired state when the device runs an older rev. */
  onReported(topic: string, payload: Buffer): void {
    const deviceId = this.deviceIdOf(topic, 'reported');
    if (!deviceId) {
      this.reject('invalid_topic', topic);
      return;
    }
    const parsed = parseMessage(reportedSchema, payload, { maxBytes: MAX_REPORTED_BYTES });
    if (!parsed.ok) {
      this.reject(parsed.error.kind, topic, parsed.error);
      return;
    }
    const reported = parsed.value;
    if (reported.deviceId !== deviceId) {
      this.reject('client_mismatch', topic, reported.deviceId);
      return;
    }
    const desired = this.applyReported(deviceId, reported);
    if (desired === undefined) return;
    if (reported.type === 'hello' && desired && desired.rev > reported.appliedRev) {
      // Not awaited: over an external broker the PUBACK is only read after this handler returns.
      this.sendDesired(desired).then(
        () => {
          this.stats.desiredResent++;
          this.log.info(
            { deviceId, rev: desired.rev, applied: reported.appliedRev },
            'hello answered with desired state',
          );
        },
        (err: unknown) =>
          this.log.warn({ err, deviceId }, 'desired state resend failed; the next hello retries'),
      );
    }
  }

  /** Writes the report; returns the stored desired state (null if none), undefined when not applied. */
  private applyReported(deviceId: string, reported: Reported): DesiredState | null | undefined {
    const d = schema.devices;
    const now = this.now();
    return this.options.db.transaction((tx) => {
      const row = tx
        .select({ epoch: d.epoch, desired: d.desiredState })
        .from(d)
        .where(eq(d.id, deviceId))
        .get();
      if (!row) {
        this.reject('unknown_device', deviceId);
        return undefined;
      }
      if (reported.epoch < row.epoch) {
        this.reject('stale_epoch', deviceId, { epoch: reported.epoch, current: row.epoch });
        return undefined;
      }
      tx.update(d)
        .set({
          reportedState: reported as unknown as Record<string, unknown>,
          reportedAt: now,
          appliedRev: reported.appliedRev,
          epoch: reported.epoch,
          online: true,
          lastSeenAt: now,
        })
        .where(eq(d.id, deviceId))
        .run();
      this.stats.reportsApplied++;
      return (row.desired as DesiredState | null) ?? null;
    });
  }
}
