import type { PreprocessingSpec } from '@edgefleet/shared';
import type { ModelSignature } from '@edgefleet/shared/api';
import type { Baseline } from '../baseline';
import type { ReferenceOptions } from '../reference/baseline';

/** Where a job's reference files come from: a tar on disk, a directory (the CLI), or multipart parts. */
export type ReferenceSource =
  | { kind: 'tar'; path: string }
  | { kind: 'dir'; path: string }
  | { kind: 'parts'; tarPath?: string; parts: { name: string; bytes: Uint8Array }[] };

/** What a model job does with one model, off the main thread: check a golden pair and/or compute a baseline. */
export interface ModelJob {
  modelPath: string;
  /** The model's IO signature; read from the file when absent. */
  signature?: ModelSignature;
  preprocessing: PreprocessingSpec;
  /** A golden pair file the model must reproduce. */
  goldenPath?: string;
  reference?: { source: ReferenceSource; options?: ReferenceOptions };
}

/** A job's result: the baseline computed from the reference set (null without one). */
export interface ModelJobResult {
  baseline: (Baseline & { samples: number; files: number; skipped: string[] }) | null;
}

/** An error as it crosses the thread boundary: a FleetError keeps its status, code and details. */
export interface JobError {
  message: string;
  status?: number;
  code?: string;
  details?: unknown;
  /** errno / SQLite code of a non-Fleet error. */
  errno?: string;
}

/** The one message a job process posts. */
export type JobMessage = { ok: true; result: ModelJobResult } | { ok: false; error: JobError };
