import type { ServerContext } from '../context';
import type { ServerPart } from '../part';
import type { StorageHealth } from './health';

export { StorageHealth, type StorageState } from './health';

/**
 * The storage part: the data dir's health (`ctx.storage`, which every write's error handler reports to) and its
 * write probe. No routes of its own (`/healthz` and `/readyz` read the state).
 */
export interface Storage extends ServerPart {
  name: 'storage';
  health: StorageHealth;
  /** Probes once (writing the reserve), then every `config.storageProbeMs` (0: only on `/healthz`). */
  start(): void;
}

/** Creates the storage part on the context's health; `close()` stops the probe. */
export function createStorage(ctx: ServerContext): Storage {
  const health = ctx.storage;
  return {
    name: 'storage',
    health,
    routes: () => {},
    start: () => health.start(),
    close: async () => health.close(),
  };
}
