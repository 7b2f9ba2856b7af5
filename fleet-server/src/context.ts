import type { ArtifactStore } from './artifacts/store';
import type { TokenBuckets } from './auth/rate-limit';
import type { Revocations } from './auth/revocations';
import type { Config } from './config';
import type { FleetDatabase, FleetDb } from './db';
import type { FleetSigner } from './fleet/signing-key';
import type { Logger } from './logging';
import type { FleetMetrics } from './metrics';
import type { StorageHealth } from './storage/health';

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
