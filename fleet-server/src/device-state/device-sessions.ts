import {
  type AppPlan,
  type AppPlanInput,
  appPlanSchema,
  appTopic,
  type DesiredState,
  type DesiredStateInput,
  deviceTopic,
  deviceTopicFilter,
  MAX_APP_PLAN_BYTES,
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
import type { FleetLink } from '../mqtt/link';
import { ClockOffsets } from './clock';
import { type DesiredPublish, type DesiredPublishResult, publishDesiredInChunks } from './desired-fanout';
import { DeviceStateStore } from './store';
import { TurnBatch } from './turn-batch';

export type { DesiredPublish, DesiredPublishResult } from './desired-fanout';

/** A presence or reported message waiting for its batch's transaction. */
type DeviceWrite =
  | { kind: 'presence'; deviceId: string; presence: Presence }
  | { kind: 'reported'; deviceId: string; reported: Reported };

/** A device whose presence or reported state was written (`reported`: a hello or state report). */
export interface DeviceChange {
  deviceId: string;
  online: boolean;
  reported: boolean;
}

/** Counters of the device session logic. */
export interface DeviceSessionStats {
  presenceApplied: number;
  /** Presence ignored: from an older epoch, or a same-epoch last will of a taken-over connection. */
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
  /** Devices per transaction (and per burst of publishes) in {@link DeviceSessions.publishDesiredMany}. Default 500. */
  desiredChunkSize?: number;
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
  /** Each device's clock offset, from its hello and state messages. */
  readonly clocks = new ClockOffsets();
  private stops: (() => Promise<void>)[] = [];
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly store: DeviceStateStore;
  /** Presence and reported messages of one event-loop turn, written in one transaction in arrival order. */
  private readonly writes = new TurnBatch<DeviceWrite>((items) => this.applyWrites(items));
  private readonly changeListeners: ((changes: DeviceChange[]) => void)[] = [];
  /** Changes of the transaction being written (told to listeners after its commit). */
  private changes: DeviceChange[] = [];

  constructor(private readonly options: DeviceSessionsOptions) {
    this.log = options.logger ?? pino({ level: 'silent' });
    this.now = options.now ?? Date.now;
    this.store = new DeviceStateStore(options.db);
  }

  /** Calls `listener` after each commit with the devices whose presence or reported state changed. */
  onDeviceChange(listener: (changes: DeviceChange[]) => void): void {
    this.changeListeners.push(listener);
  }

  private notifyChanges(): void {
    const changes = this.changes;
    this.changes = [];
    if (changes.length === 0) return;
    for (const listener of this.changeListeners) {
      try {
        listener(changes);
      } catch (err) {
        this.log.error({ err }, 'device change listener failed');
      }
    }
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
    this.writes.flush();
  }

  /**
   * Stores the next desired state of a device (rev = previous rev + 1, atomically in the database) and
   * publishes it retained with QoS 1. Throws NotFound for an unknown device, InvalidInput for a state
   * that fails the shared schema.
   */
  async publishDesired(deviceId: string, input: DesiredStateInput): Promise<DesiredState> {
    const [result] = await this.publishDesiredMany([{ deviceId, input }]);
    if (!result?.ok) throw result?.error;
    return { ...input, v: 1, rev: result.rev, deviceId, issuedAt: result.issuedAt };
  }

  /**
   * {@link publishDesired} for many devices, one transaction per `desiredChunkSize` of them, each distinct
   * input validated once; one result per entry, in order ({@link publishDesiredInChunks}).
   * @example await sessions.publishDesiredMany(ids.map((deviceId) => ({ deviceId, input })));
   */
  async publishDesiredMany(items: readonly DesiredPublish[]): Promise<DesiredPublishResult[]> {
    return publishDesiredInChunks(items, {
      store: this.store,
      now: this.now,
      log: this.log,
      chunkSize: this.options.desiredChunkSize ?? 500,
      send: (deviceId, payload) =>
        this.sendDesired(deviceId, payload).then(() => {
          this.stats.desiredPublished++;
        }),
    });
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
      tx.update(a).set({ plan: next, planRev: next.rev }).where(eq(a.id, appId)).run();
      return next;
    });
    const topic = appTopic(this.options.fleet, appId, 'desired');
    await this.options.link.publish(topic, JSON.stringify(plan), { qos: 1, retain: true });
    this.stats.desiredPublished++;
    return plan;
  }

  private sendDesired(deviceId: string, payload: string | Buffer): Promise<void> {
    const topic = deviceTopic(this.options.fleet, deviceId, 'desired');
    return this.options.link.publish(topic, payload, { qos: 1, retain: true });
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

  /**
   * Applies `online`/`offline` unless it comes from an older epoch than the device's current one. Valid
   * messages are written with the others of the same event-loop turn; the promise resolves once written.
   */
  onPresence(topic: string, payload: Buffer): void | Promise<void> {
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
    return this.writes.add({ kind: 'presence', deviceId, presence: parsed.value });
  }

  /**
   * Writes a turn's presence and reported messages in one transaction, in arrival order (a last will is
   * never overtaken by an earlier hello), then answers the hellos that run an older rev.
   */
  private applyWrites(items: readonly DeviceWrite[]): void {
    const resends: { deviceId: string; rev: number; appliedRev: number; text: string }[] = [];
    this.changes = [];
    this.store.transaction(() => {
      for (const item of items) {
        if (item.kind === 'presence') {
          this.applyPresence(item.deviceId, item.presence);
          continue;
        }
        const { deviceId, reported } = item;
        const desired = this.applyReported(deviceId, reported);
        if (reported.type === 'hello' && desired && desired.rev > reported.appliedRev) {
          resends.push({ deviceId, rev: desired.rev, appliedRev: reported.appliedRev, text: desired.text });
        }
      }
    });
    this.notifyChanges();
    // Issued right after the commit that read them: a newer desired state is published after these.
    for (const { deviceId, rev, appliedRev, text } of resends) {
      // Not awaited: over an external broker the PUBACK is only read after this handler returns.
      this.sendDesired(deviceId, text).then(
        () => {
          this.stats.desiredResent++;
          this.log.info({ deviceId, rev, applied: appliedRev }, 'hello answered with desired state');
        },
        (err: unknown) =>
          this.log.warn({ err, deviceId }, 'desired state resend failed; the next hello retries'),
      );
    }
  }

  /**
   * Applies a presence when its epoch is newer than the device's, or the same epoch and either `online`
   * (a live connection says so) or an `offline` at least as recent as the last applied `online`. Within
   * one epoch (an agent reconnecting without restarting) a session takeover makes the broker publish the
   * old connection's last will, possibly after the new connection's `online`: its `at` (the old
   * connection's start) is older than the new `online`'s, so it is ignored.
   */
  private applyPresence(deviceId: string, presence: Presence): void {
    const d = schema.devices;
    const now = this.now();
    const online = presence.status === 'online';
    const applies = online
      ? sql`${d.epoch} <= ${presence.epoch}`
      : sql`(${d.epoch} < ${presence.epoch} or (${d.epoch} = ${presence.epoch} and (${d.presenceAt} is null or ${d.presenceAt} <= ${presence.at})))`;
    const changed = this.options.db
      .update(d)
      .set({
        online,
        epoch: presence.epoch,
        lastSeenAt: now,
        ...(online ? { connectedAt: now, presenceAt: presence.at } : {}),
      })
      .where(sql`${d.id} = ${deviceId} and ${applies}`)
      .run();
    if (changed.changes > 0) {
      this.stats.presenceApplied++;
      this.changes.push({ deviceId, online, reported: false });
      this.log.info({ deviceId, status: presence.status, epoch: presence.epoch }, 'device presence');
      return;
    }
    const known = this.options.db
      .select({ epoch: d.epoch, presenceAt: d.presenceAt })
      .from(d)
      .where(eq(d.id, deviceId))
      .get();
    if (!known) {
      this.reject('unknown_device', deviceId);
      return;
    }
    this.stats.presenceStale++;
    this.log.info(
      { deviceId, epoch: presence.epoch, at: presence.at, current: known.epoch, onlineAt: known.presenceAt },
      'stale presence ignored',
    );
  }

  /**
   * Stores the reported state; answers a hello with the desired state when the device runs an older rev.
   * Valid messages are written with the others of the same event-loop turn; the promise resolves once written.
   */
  onReported(topic: string, payload: Buffer): void | Promise<void> {
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
    this.clocks.observe(deviceId, reported.at, this.now());
    return this.writes.add({ kind: 'reported', deviceId, reported });
  }

  /**
   * Writes the report (inside the batch's transaction); returns the stored desired state as published and its
   * rev (null if none), undefined when not applied.
   */
  private applyReported(
    deviceId: string,
    reported: Reported,
  ): { rev: number; text: string } | null | undefined {
    const epoch = this.store.epochOf(deviceId);
    if (epoch === undefined) {
      this.reject('unknown_device', deviceId);
      return undefined;
    }
    if (reported.epoch < epoch) {
      this.reject('stale_epoch', deviceId, { epoch: reported.epoch, current: epoch });
      return undefined;
    }
    this.store.storeReported(deviceId, reported, this.now());
    this.stats.reportsApplied++;
    this.changes.push({ deviceId, online: true, reported: true });
    if (reported.type !== 'hello') return null;
    const desired = this.store.desiredTextOf(deviceId);
    return desired?.text ? { rev: desired.rev, text: desired.text } : null;
  }
}
