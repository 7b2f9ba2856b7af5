import type { EnrollRequest, EnrollResponse } from '@edgefleet/shared';
import { and, eq, isNull, or, sql } from 'drizzle-orm';
import { randomId, randomToken, sha256Hex } from '../auth/tokens';
import { ENROLLMENT_TOKEN_PREFIX } from '../auth/verify';
import type { ServerContext } from '../context';
import { schema } from '../db';
import { Conflict, Forbidden, NotFound, Unauthorized } from '../errors';
import type { Labels } from './schema';

export type EnrollmentTokenRow = typeof schema.enrollmentTokens.$inferSelect;

/** What an admin asks for when creating an enrollment token. */
export interface EnrollmentTokenRequest {
  labels: Labels;
  deviceLabelKeys: string[];
  maxUses: number;
  expiresInS: number;
}

/** Creates an enrollment token; the token text is returned once and only its hash is stored. */
export function createEnrollmentToken(ctx: ServerContext, request: EnrollmentTokenRequest) {
  const token = randomToken(ENROLLMENT_TOKEN_PREFIX);
  const now = ctx.now();
  const row: EnrollmentTokenRow = {
    id: randomId('enr'),
    tokenHash: sha256Hex(token),
    labels: request.labels,
    deviceLabelKeys: request.deviceLabelKeys,
    maxUses: request.maxUses,
    uses: 0,
    expiresAt: now + request.expiresInS * 1000,
    createdAt: now,
    revokedAt: null,
  };
  ctx.db.insert(schema.enrollmentTokens).values(row).run();
  return { row, token };
}

/** All enrollment tokens (without secrets), newest first. */
export function listEnrollmentTokens(ctx: ServerContext): EnrollmentTokenRow[] {
  return ctx.db
    .select()
    .from(schema.enrollmentTokens)
    .orderBy(sql`${schema.enrollmentTokens.createdAt} desc`)
    .all();
}

/** Revokes an enrollment token (devices enrolled with it keep working). */
export function revokeEnrollmentToken(ctx: ServerContext, id: string): EnrollmentTokenRow {
  const now = ctx.now();
  const row = ctx.db.select().from(schema.enrollmentTokens).where(eq(schema.enrollmentTokens.id, id)).get();
  if (!row) throw new NotFound(`no enrollment token ${id}`);
  if (row.revokedAt !== null) return row;
  ctx.db
    .update(schema.enrollmentTokens)
    .set({ revokedAt: now })
    .where(eq(schema.enrollmentTokens.id, id))
    .run();
  return { ...row, revokedAt: now };
}

function refusal(row: EnrollmentTokenRow, now: number): string | null {
  if (row.revokedAt !== null) return 'enrollment token was revoked';
  if (row.expiresAt !== null && row.expiresAt <= now) return 'enrollment token expired';
  if (row.maxUses !== null && row.uses >= row.maxUses) return 'enrollment token has no uses left';
  return null;
}

/**
 * Trades an enrollment token for device credentials. A device may add only labels whose keys the token allows
 * (`deviceLabelKeys`) or sets itself (its value wins over the device's); any other device label is refused.
 * The use count, the device row and the check run in one transaction, so a token with N uses enrolls N devices.
 */
export function enrollDevice(ctx: ServerContext, request: EnrollRequest): EnrollResponse {
  const now = ctx.now();
  const secret = randomToken('eds').slice(4);
  const deviceToken = `${request.deviceId}.${secret}`;
  ctx.db.transaction((tx) => {
    const token = tx
      .select()
      .from(schema.enrollmentTokens)
      .where(eq(schema.enrollmentTokens.tokenHash, sha256Hex(request.enrollmentToken)))
      .get();
    if (!token) throw new Unauthorized('unknown enrollment token');
    const refused = refusal(token, now);
    if (refused) throw new Forbidden(refused);
    const own = Object.keys(request.labels).filter(
      (key) => !token.deviceLabelKeys.includes(key) && !(key in token.labels),
    );
    if (own.length > 0) {
      throw new Forbidden(
        `label${own.length > 1 ? 's' : ''} ${own.map((k) => `'${k}'`).join(', ')} may not be set by the device ` +
          `(the enrollment token allows ${token.deviceLabelKeys.length ? token.deviceLabelKeys.join(', ') : 'none'})`,
        { field: 'labels' },
      );
    }
    if (
      tx
        .select({ id: schema.devices.id })
        .from(schema.devices)
        .where(eq(schema.devices.id, request.deviceId))
        .get()
    ) {
      throw new Conflict(`device ${request.deviceId} is enrolled already; delete it first to re-enroll`, {
        field: 'deviceId',
      });
    }
    const used = tx
      .update(schema.enrollmentTokens)
      .set({ uses: sql`${schema.enrollmentTokens.uses} + 1` })
      .where(
        and(
          eq(schema.enrollmentTokens.id, token.id),
          or(
            isNull(schema.enrollmentTokens.maxUses),
            sql`${schema.enrollmentTokens.uses} < ${schema.enrollmentTokens.maxUses}`,
          ),
        ),
      )
      .run();
    if (used.changes !== 1) throw new Forbidden('enrollment token has no uses left');
    tx.insert(schema.devices)
      .values({
        id: request.deviceId,
        tokenHash: sha256Hex(secret),
        labels: { ...request.labels, ...token.labels },
        enrollmentTokenId: token.id,
        createdAt: now,
        reportedState: { capabilities: request.capabilities, agentVersion: request.agentVersion },
        reportedAt: now,
      })
      .run();
  });
  ctx.logger.info({ deviceId: request.deviceId }, 'device enrolled');
  return {
    deviceId: request.deviceId,
    fleet: ctx.config.fleet,
    deviceToken,
    mqttUrl: ctx.endpoints.mqttUrl,
    apiUrl: ctx.endpoints.apiUrl,
    signingKeys: [ctx.signer.publicJwk],
  };
}
