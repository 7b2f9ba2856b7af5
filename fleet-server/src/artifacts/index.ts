import type { ServerContext } from '../context';
import type { ServerPart } from '../part';
import { startArtifactGc } from './gc';
import { registerArtifactRoutes } from './routes';

/** Artifacts: content-addressed uploads and downloads, and the collector of unreferenced ones. */
export interface Artifacts extends ServerPart {
  name: 'artifacts';
  /** Starts the collector every `config.artifactGcIntervalMs` (0: never). */
  start(): void;
}

/** Creates the artifact part on the server's store (`ctx.store`). */
export function createArtifacts(ctx: ServerContext): Artifacts {
  let gc: { close(): Promise<void> } | null = null;
  return {
    name: 'artifacts',
    routes: (app) => registerArtifactRoutes(app, ctx),
    start() {
      const { artifactGcIntervalMs: intervalMs, artifactGcGraceMs: graceMs } = ctx.config;
      if (intervalMs > 0) gc = startArtifactGc(ctx, { graceMs, intervalMs });
    },
    close: async () => gc?.close(),
  };
}
