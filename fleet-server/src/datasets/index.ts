import type { ArtifactStore } from '../artifacts/store';
import type { ServerContext } from '../context';
import { counterFrom } from '../metrics';
import type { ServerPart } from '../part';
import { registerDatasetRoutes } from './routes';

/** Datasets: immutable snapshots of samples with provenance, exported as a tar; model lineage points at them. */
export interface DatasetsPart extends ServerPart {
  name: 'datasets';
  /** Export outcomes: `exported` (the whole tar was sent), `failed` (aborted while streaming), or the error code. */
  exports: Map<string, number>;
}

/** The datasets part; `blobs` is the sample store the samples part writes. */
export function createDatasets(ctx: ServerContext, blobs: ArtifactStore): DatasetsPart {
  const exports = new Map<string, number>();
  counterFrom(
    ctx.metrics.registry,
    'edgefleet_dataset_exports_total',
    'Dataset exports by result: exported, failed (aborted while streaming), or the error code of the refusal',
    ['result'],
    () => [...exports].map(([result, n]) => [{ result }, n]),
  );
  return {
    name: 'datasets',
    exports,
    routes: (app) => registerDatasetRoutes(app, ctx, blobs, exports),
    close: async () => {},
  };
}
