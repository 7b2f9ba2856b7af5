import type { Reported } from '@edgefleet/shared';
import { eq, sql } from 'drizzle-orm';
import { type FleetDb, schema } from '../db';

const d = schema.devices;
const p = sql.placeholder;

/**
 * The device columns the MQTT side reads and writes per message, as statements prepared once: a fan-out
 * touches every device twice (desired, then reported), and building each query anew cost more than running it.
 * JSON columns are written as the text that goes on the wire, so nothing is serialised twice.
 */
export class DeviceStateStore {
  private readonly desiredRevQuery;
  private readonly storeDesiredQuery;
  private readonly desiredTextQuery;
  private readonly reportTargetQuery;
  private readonly storeReportedQuery;

  constructor(readonly db: FleetDb) {
    const byId = eq(d.id, p('id'));
    this.desiredRevQuery = db.select({ rev: d.desiredRev }).from(d).where(byId).prepare();
    this.storeDesiredQuery = db
      .update(d)
      .set({ desiredState: sql`${p('state')}`, desiredRev: sql`${p('rev')}` })
      .where(byId)
      .prepare();
    this.desiredTextQuery = db
      .select({ rev: d.desiredRev, text: sql<string | null>`${d.desiredState}` })
      .from(d)
      .where(byId)
      .prepare();
    this.reportTargetQuery = db.select({ epoch: d.epoch }).from(d).where(byId).prepare();
    this.storeReportedQuery = db
      .update(d)
      .set({
        reportedState: sql`${p('reported')}`,
        reportedAt: sql`${p('now')}`,
        appliedRev: sql`${p('appliedRev')}`,
        // A hello of a new epoch starts a new presence history (its `online` may still be on the way).
        presenceAt: sql`case when ${p('epoch')} > ${d.epoch} then null else ${d.presenceAt} end`,
        epoch: sql`${p('epoch')}`,
        online: true,
        lastSeenAt: sql`${p('now')}`,
      })
      .where(byId)
      .prepare();
  }

  /** Runs `work` in one transaction (all or nothing). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(() => work());
  }

  /** The device's current desired rev; undefined for an unknown device. */
  desiredRevOf(deviceId: string): number | undefined {
    return this.desiredRevQuery.get({ id: deviceId })?.rev;
  }

  /** Stores a desired state (its JSON text as published) and its rev. */
  storeDesired(deviceId: string, rev: number, state: string): void {
    this.storeDesiredQuery.run({ id: deviceId, rev, state });
  }

  /** The stored desired state as published (JSON text) and its rev; undefined for an unknown device. */
  desiredTextOf(deviceId: string): { rev: number; text: string | null } | undefined {
    return this.desiredTextQuery.get({ id: deviceId });
  }

  /** The device's current epoch; undefined for an unknown device. */
  epochOf(deviceId: string): number | undefined {
    return this.reportTargetQuery.get({ id: deviceId })?.epoch;
  }

  /** Stores a reported state: applied rev, epoch (a newer one clears the presence history), online, seen now. */
  storeReported(deviceId: string, reported: Reported, now: number): void {
    this.storeReportedQuery.run({
      id: deviceId,
      reported: JSON.stringify(reported),
      now,
      appliedRev: reported.appliedRev,
      epoch: reported.epoch,
    });
  }
}
