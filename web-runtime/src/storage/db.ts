import type { KeptPrediction } from '@edgefleet/shared';
import type { SampleMeta } from '@edgefleet/shared/capture';
import { type DBSchema, type IDBPDatabase, openDB } from 'idb';

/** One cached model artifact, keyed by its sha256. */
export interface CachedModel {
  sha256: string;
  name: string;
  version: string;
  bytes: ArrayBuffer;
  sizeBytes: number;
  storedAt: number;
  lastUsedAt: number;
}

/** One telemetry report waiting for the server's ack. */
export interface OutboxEntry {
  /** `[epoch, seq]`: the order reports are sent in. */
  key: [number, number];
  /** The report as JSON text, exactly as it will be sent. */
  body: string;
  inferences: number;
  createdAt: number;
  /** A POST or beacon carried it: the server may hold it, so it is never merged. */
  sent?: boolean;
}

/** A prediction kept for a later operator label; `label` is the class index once one was counted. */
export interface PredictionEntry extends KeptPrediction {
  label?: number;
  labelledMs?: number;
}

/** A captured sample waiting for upload, keyed by its content sha256 (see `capture/`). */
export interface SampleEntry {
  sha256: string;
  /** The `sampleMetaSchema` metadata, exactly as it will be uploaded. */
  meta: SampleMeta;
  content: ArrayBuffer;
  /** When it entered the queue (retention counts from here). */
  queuedAt: number;
}

/** Small values: clientId, epoch, last plan, signing keys, overflow counters. */
export interface MetaRecord {
  key: string;
  value: unknown;
}

/** The runtime database's stores. */
export interface RuntimeDb extends DBSchema {
  models: { key: string; value: CachedModel; indexes: { byName: string } };
  outbox: { key: [number, number]; value: OutboxEntry };
  meta: { key: string; value: MetaRecord };
  predictions: { key: string; value: PredictionEntry; indexes: { byCreated: number } };
  samples: { key: string; value: SampleEntry; indexes: { byQueued: number } };
}

/** The runtime's IndexedDB database. */
export type Store = IDBPDatabase<RuntimeDb>;

/** Opens (and creates, or upgrades from an earlier version of the runtime) the runtime database `name`. */
export function openStore(name: string): Promise<Store> {
  return openDB<RuntimeDb>(name, 3, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        const models = db.createObjectStore('models', { keyPath: 'sha256' });
        models.createIndex('byName', 'name');
        db.createObjectStore('outbox', { keyPath: 'key' });
        db.createObjectStore('meta', { keyPath: 'key' });
      }
      if (oldVersion < 2) {
        const predictions = db.createObjectStore('predictions', { keyPath: 'predictionId' });
        predictions.createIndex('byCreated', 'createdMs');
      }
      // Captured samples: their own store, never in the telemetry outbox's way.
      if (oldVersion < 3)
        db.createObjectStore('samples', { keyPath: 'sha256' }).createIndex('byQueued', 'queuedAt');
    },
  });
}

/** Reads a meta value. */
export async function getMeta<T>(store: Store, key: string): Promise<T | undefined> {
  return (await store.get('meta', key))?.value as T | undefined;
}

/** Writes a meta value (awaited: IndexedDB writes are not durable until the transaction completes). */
export async function setMeta(store: Store, key: string, value: unknown): Promise<void> {
  await store.put('meta', { key, value });
}

/**
 * The persisted client id (generated once) and a fresh epoch (previous + 1) with zeroed overflow counters, in
 * one transaction so two tabs starting together never share an epoch.
 */
export async function startClient(store: Store): Promise<{ clientId: string; epoch: number }> {
  const tx = store.transaction('meta', 'readwrite');
  const meta = tx.objectStore('meta');
  const storedId = (await meta.get('clientId'))?.value;
  const clientId = typeof storedId === 'string' ? storedId : `web-${crypto.randomUUID()}`;
  const previous = (await meta.get('epoch'))?.value;
  const epoch = typeof previous === 'number' ? previous + 1 : 0;
  await meta.put({ key: 'clientId', value: clientId });
  await meta.put({ key: 'epoch', value: epoch });
  // Overflow counters are per epoch (the report schema counts drops "since the epoch began").
  await meta.put({ key: 'overflow', value: { mergedWindows: 0, droppedReports: 0, droppedInferences: 0 } });
  await tx.done;
  return { clientId, epoch };
}

/** Whether an error is the browser refusing a write for lack of space. */
export const isQuotaExceeded = (error: unknown): boolean =>
  error instanceof DOMException &&
  (error.name === 'QuotaExceededError' || error.name === 'NS_ERROR_DOM_QUOTA_REACHED');
