import { ArtifactStore } from '../artifacts/store';
import type { ServerContext } from '../context';
import { counterFrom } from '../metrics';
import type { ServerPart } from '../part';
import type { RolloutPublisher } from '../rollouts';
import { registerCaptureRoutes } from './capture-routes';
import { registerUploadRoutes } from './upload-routes';

/** Samples: capture settings, uploads from devices and browsers, the content-addressed sample store. */
export interface SamplesPart extends ServerPart {
  name: 'samples';
  /** Blobs under `<dataDir>/samples/sha256/`. */
  blobs: ArtifactStore;
  /** Uploads by outcome: `stored`, `duplicate`, or the error code. */
  uploads: Map<string, number>;
  /** Takes the device sessions' publisher once the MQTT side is up (capture settings answer 409 before). */
  start(publisher: RolloutPublisher): void;
}

/** The samples part. */
export function createSamples(ctx: ServerContext): SamplesPart {
  let publisher: RolloutPublisher | null = null;
  const blobs = new ArtifactStore(ctx.config.dataDir, 'samples');
  const uploads = new Map<string, number>();
  counterFrom(
    ctx.metrics.registry,
    'edgefleet_sample_uploads_total',
    'Sample uploads by result: stored, duplicate, or the error code of the refusal',
    ['result'],
    () => [...uploads].map(([result, n]) => [{ result }, n]),
  );
  return {
    name: 'samples',
    blobs,
    uploads,
    routes: (app) => {
      registerCaptureRoutes(app, ctx, () => publisher);
      registerUploadRoutes(app, ctx, blobs, uploads);
    },
    start: (p) => {
      publisher = p;
    },
    close: async () => {
      publisher = null;
    },
  };
}
