import { ArtifactStore } from '../artifacts/store';
import type { ServerContext } from '../context';
import { counterFrom } from '../metrics';
import type { ServerPart } from '../part';
import type { RolloutPublisher } from '../rollouts';
import { registerCaptureRoutes } from './capture-routes';
import { SampleGc } from './gc';
import { UploadsInFlight } from './in-flight';
import { registerReviewRoutes } from './review-routes';
import { Thumbnails } from './thumbnails';
import { registerUploadRoutes } from './upload-routes';

/** Samples: capture settings, uploads from devices and browsers, review, the content-addressed store and its GC. */
export interface SamplesPart extends ServerPart {
  name: 'samples';
  /** Blobs under `<dataDir>/samples/sha256/`. */
  blobs: ArtifactStore;
  /** Uploads by outcome: `stored`, `duplicate`, or the error code. */
  uploads: Map<string, number>;
  /** The store's collector (every `sampleGcIntervalMs` once started; `runPass()` runs one now). */
  gc: SampleGc;
  thumbnails: Thumbnails;
  /** Takes the device sessions' publisher once the MQTT side is up (capture settings answer 409 before). */
  start(publisher: RolloutPublisher): void;
}

/** The samples part. */
export function createSamples(ctx: ServerContext): SamplesPart {
  let publisher: RolloutPublisher | null = null;
  let gcTimer: NodeJS.Timeout | null = null;
  const blobs = new ArtifactStore(ctx.config.dataDir, 'samples');
  const uploads = new Map<string, number>();
  const inFlight = new UploadsInFlight();
  const thumbnails = new Thumbnails(blobs);
  const gc = new SampleGc({
    db: ctx.db,
    blobs,
    inFlight,
    now: ctx.now,
    logger: ctx.logger,
    retentionMs: ctx.config.sampleRetentionMs,
    onRemoved: (sha256) => thumbnails.forget(sha256),
  });
  counterFrom(
    ctx.metrics.registry,
    'edgefleet_sample_uploads_total',
    'Sample uploads by result: stored, duplicate, or the error code of the refusal',
    ['result'],
    () => [...uploads].map(([result, n]) => [{ result }, n]),
  );
  counterFrom(
    ctx.metrics.registry,
    'edgefleet_sample_gc_removed_total',
    'What the sample collector removed: expired samples, orphan blobs, budget days, and bytes of blob files',
    ['kind'],
    () => [
      [{ kind: 'expired_samples' }, gc.totals.expired],
      [{ kind: 'orphan_blobs' }, gc.totals.orphanBlobs],
      [{ kind: 'budget_days' }, gc.totals.budgetDays],
      [{ kind: 'bytes' }, gc.totals.bytes],
    ],
  );
  return {
    name: 'samples',
    blobs,
    uploads,
    gc,
    thumbnails,
    routes: (app) => {
      registerCaptureRoutes(app, ctx, () => publisher);
      registerUploadRoutes(app, ctx, blobs, inFlight, uploads);
      registerReviewRoutes(app, ctx, blobs, thumbnails);
    },
    start: (p) => {
      publisher = p;
      const intervalMs = ctx.config.sampleGcIntervalMs;
      if (intervalMs > 0 && !gcTimer) {
        gcTimer = setInterval(() => {
          gc.runPass().catch((err) => {
            ctx.logger.error({ err }, 'sample collection failed; retried next pass');
            ctx.storage.noteError(err, 'samples');
          });
        }, intervalMs);
        gcTimer.unref();
      }
    },
    close: async () => {
      if (gcTimer) clearInterval(gcTimer);
      gcTimer = null;
      await gc.idle();
      publisher = null;
    },
  };
}
