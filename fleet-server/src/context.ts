import { networkInterfaces } from 'node:os';
import { ArtifactStore } from './artifacts/store';
import { TokenBuckets } from './auth/rate-limit';
import { Revocations } from './auth/revocations';
import type { Config } from './config';
import type { FleetDatabase, FleetDb } from './db';
import { readSetting, writeSetting } from './fleet/bootstrap';
import { type FleetSigner, loadOrCreateSigner } from './fleet/signing-key';
import type { Logger } from './logging';
import { createMetrics, type FleetMetrics } from './metrics';
import { StorageHealth } from './storage/health';

/** Where clients reach this server; filled in once the listeners are bound. */
export interface Endpoints {
  /** Base URL of the HTTP API, e.g. `http://10.0.0.5:8080`. */
  apiUrl: string;
  /** URL devices connect their MQTT link to (set by the MQTT side when its broker is up). */
  mqttUrl: string;
}

/** Everything a route or service needs from the running server, passed explicitly (no globals). */
export interface ServerContext {
  config: Config;
  database: FleetDatabase;
  db: FleetDb;
  logger: Logger;
  metrics: FleetMetrics;
  store: ArtifactStore;
  signer: FleetSigner;
  appKeyBuckets: TokenBuckets;
  /** Revoked credentials: live MQTT sessions and event streams of them end at once. */
  revocations: Revocations;
  endpoints: Endpoints;
  /** Health of the data dir's storage: storage errors become 503 `storage_full`, a probe finds recovery. */
  storage: StorageHealth;
  now: () => number;
}

/** The host clients are told to reach: the first LAN address when the server listens on every interface. */
export function advertisedHost(host: string): string {
  if (host !== '0.0.0.0' && host !== '::') return host;
  const lan = Object.values(networkInterfaces())
    .flat()
    .find((net) => net && net.family === 'IPv4' && !net.internal);
  return lan?.address ?? '127.0.0.1';
}

function stripCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString().replace(/\/$/, '');
}

/**
 * The context of a server on an open database: the artifact store (unfinished uploads of a previous run removed),
 * the fleet signing key (created on first start; its public key recorded), metrics, storage health (probing once
 * started), rate limits, revocations.
 * `endpoints.apiUrl` is filled in once HTTP listens, `endpoints.mqttUrl` once the broker has its port.
 */
export async function createServerContext(
  config: Config,
  database: FleetDatabase,
  { logger, now }: { logger: Logger; now: () => number },
): Promise<ServerContext> {
  const store = new ArtifactStore(config.dataDir);
  const stale = store.removeStaleUploads();
  if (stale > 0) logger.warn({ count: stale }, 'removed unfinished uploads from a previous run');
  const knownKey = readSetting(database.db, 'signing.publicJwk');
  const knownKeyId = knownKey ? ((JSON.parse(knownKey) as { kid?: string }).kid ?? null) : null;
  const { signer, created } = await loadOrCreateSigner(config.dataDir, knownKeyId);
  if (knownKeyId !== null && knownKeyId !== signer.keyId) {
    logger.warn(
      { previousKeyId: knownKeyId, keyId: signer.keyId },
      'the fleet signing key file was replaced',
    );
  }
  if (created) logger.info({ keyId: signer.keyId }, 'created the fleet signing key');
  writeSetting(database.db, 'signing.publicJwk', JSON.stringify(signer.publicJwk), now());

  const host = advertisedHost(config.httpHost);
  const metrics = createMetrics(database);
  const storage = new StorageHealth({
    dataDir: config.dataDir,
    writeDb: (nowMs) => writeSetting(database.db, 'storage.probeAt', String(nowMs), nowMs),
    registry: metrics.registry,
    logger,
    now,
    probeMs: config.storageProbeMs,
    reserveBytes: config.storageReserveBytes,
  });
  return {
    config,
    database,
    db: database.db,
    logger,
    metrics,
    storage,
    store,
    signer,
    appKeyBuckets: new TokenBuckets(config.appRateLimitPerS, config.appRateBurst, now),
    revocations: new Revocations(),
    endpoints: {
      apiUrl: config.publicUrl ?? '',
      mqttUrl: config.mqttUrl ? stripCredentials(config.mqttUrl) : `mqtt://${host}:${config.mqttPort}`,
    },
    now,
  };
}
