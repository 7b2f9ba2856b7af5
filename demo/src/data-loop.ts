import type { Dataset, Sample } from '@edgefleet/shared/api';
import type { CapturePolicy, CaptureReason } from '@edgefleet/shared/capture';
import type { AdminApi } from './api';
import { type CheckedExport, exportDataset } from './dataset-check';
import { MODEL_NAME, RETRAINED, registerRetrained } from './models';
import type { TruthLog } from './truth';

/** The line whose lights fail: the capture policy's target. */
export const DATA_LOOP_SELECTOR = 'line=2';
/** Samples of the dark line the loop waits for before it labels (fewer after {@link SAMPLE_WAIT_MS}). */
export const WANTED_SAMPLES = 30;
/** How long the loop waits for {@link WANTED_SAMPLES}; it goes on with fewer, or gives up with none. */
export const SAMPLE_WAIT_MS = 120_000;

/**
 * What the admin (the demo) asks line 2's stations to capture once its lights failed: every image outside the
 * baseline's brightness or contrast range, every answer below 90 % confidence, and a 5 % random ε-sample (so the
 * training data is not only what today's model finds hard) — at most 40 samples and 4 MB per station and day.
 * No downscale: a sample is the image the station received, so its sha256 is the one the generator recorded.
 */
export const DATA_LOOP_POLICY: CapturePolicy = {
  outOfRange: { features: ['brightness', 'contrast'] },
  lowConfidence: { below: 0.9 },
  random: { rate: 0.05 },
  budget: { maxSamplesPerDay: 40, maxBytesPerDay: 4_000_000 },
  clientRetentionDays: 7,
};

/** What a closed loop made, for the summary and the demo's state. */
export interface DataLoopResult {
  /** Captures of line 2 since the loop began. */
  samples: number;
  reasons: Partial<Record<CaptureReason, number>>;
  labelled: number;
  /** Captures whose image the generators no longer know (not labelled, left out of the dataset). */
  unknown: number;
  dataset: Dataset;
  exported: CheckedExport;
  version: string;
}

/** What the loop needs: the API, the generators' truth, where to save the export, how to talk, when to stop. */
export interface DataLoopDeps {
  api: AdminApi;
  truth: TruthLog;
  exportDir: string;
  say: (line: string) => void;
  stopping: () => boolean;
  /** Poll interval while waiting for samples (ms). */
  pollMs?: number;
  wantedSamples?: number;
  sampleWaitMs?: number;
}

/** Every capture of line 2 since `fromMs`, newest first (all pages). */
export async function line2Samples(api: AdminApi, fromMs: number): Promise<Sample[]> {
  const samples: Sample[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const query = { model: MODEL_NAME, slice: DATA_LOOP_SELECTOR, from: fromMs, limit: 1000, cursor };
    const answer = await api.call('GET /api/v1/samples', { query });
    samples.push(...answer.samples);
    if (!answer.nextCursor) break;
    cursor = answer.nextCursor;
  }
  return samples;
}

/** Samples per capture reason (a sample with two reasons counts in both). */
export function reasonCounts(samples: readonly Sample[]): Partial<Record<CaptureReason, number>> {
  const counts: Partial<Record<CaptureReason, number>> = {};
  for (const s of samples) for (const r of s.reasons) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

export const reasonsText = (counts: Partial<Record<CaptureReason, number>>) =>
  Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');

async function waitForSamples(deps: DataLoopDeps, fromMs: number): Promise<Sample[]> {
  const want = deps.wantedSamples ?? WANTED_SAMPLES;
  const end = Date.now() + (deps.sampleWaitMs ?? SAMPLE_WAIT_MS);
  let samples: Sample[] = [];
  while (!deps.stopping()) {
    samples = await line2Samples(deps.api, fromMs);
    const known = samples.filter((s) => deps.truth.truthOf(s.sha256) !== undefined).length;
    if (known >= want || Date.now() >= end) break;
    await new Promise((r) => setTimeout(r, deps.pollMs ?? 1000));
  }
  return samples;
}

/**
 * The labelling team: gives every sample whose image a generator fed its true orientation
 * (`PUT /api/v1/samples/{sha256}/label`); returns how many it labelled and how many it could not know.
 */
export async function labelSamples(
  api: AdminApi,
  samples: readonly Sample[],
  truth: TruthLog,
): Promise<{ labelled: number; unknown: number }> {
  let labelled = 0;
  let unknown = 0;
  for (const sha256 of new Set(samples.map((s) => s.sha256))) {
    const label = truth.truthOf(sha256);
    if (!label) {
      unknown++;
      continue;
    }
    await api.call('PUT /api/v1/samples/{sha256}/label', { params: { sha256 }, body: { label } });
    labelled++;
  }
  return { labelled, unknown };
}

/**
 * Closes the data loop on line 2 once its lights failed: sets the capture policy, waits for the stations'
 * samples, labels them with the truth, snapshots the labelled ones as a dataset, exports and checks it, and
 * registers the retrained {@link RETRAINED} with `lineage.trainedOn` = the dataset. Resolves to null when the
 * demo stops first or no sample came.
 */
export async function closeDataLoop(deps: DataLoopDeps): Promise<DataLoopResult | null> {
  const { api, say } = deps;
  const fromMs = Date.now();
  const set = await api.call('PUT /api/v1/models/{name}/capture', {
    params: { name: MODEL_NAME },
    body: { target: { selector: DATA_LOOP_SELECTOR }, policy: DATA_LOOP_POLICY },
  });
  say(
    `data loop: line 2's stations capture dark, unsure and 5 % random images (≤ ${DATA_LOOP_POLICY.budget.maxSamplesPerDay} a day each; ` +
      `policy sent to ${set.applied.devices} station${set.applied.devices === 1 ? '' : 's'})`,
  );
  const samples = await waitForSamples(deps, fromMs);
  if (deps.stopping()) return null;
  if (samples.length === 0) {
    say(
      `data loop: no sample from line 2 within ${Math.round((deps.sampleWaitMs ?? SAMPLE_WAIT_MS) / 1000)} s`,
    );
    return null;
  }
  const reasons = reasonCounts(samples);
  say(`data loop: ${samples.length} samples from line 2 arrived (${reasonsText(reasons)})`);
  const { labelled, unknown } = await labelSamples(api, samples, deps.truth);
  if (deps.stopping()) return null;
  say(
    `data loop: the labelling team labelled ${labelled} with their true orientation${unknown ? ` (${unknown} unknown)` : ''}`,
  );
  const dataset = await api.call('POST /api/v1/datasets', {
    body: {
      name: `line 2 under a failed lamp, ${new Date(fromMs).toISOString().slice(0, 16)}Z`,
      filter: { model: MODEL_NAME, slice: DATA_LOOP_SELECTOR, from: fromMs, labelled: true },
      labelledOnly: true,
    },
  });
  const exported = await exportDataset(api, dataset, deps.exportDir);
  say(
    `data loop: dataset ${dataset.id} (${dataset.sampleCount} labelled samples) exported to ${exported.path}; ` +
      `all ${exported.verified} images match their sha256 in the manifest`,
  );
  if (deps.stopping()) return null;
  const retrained = await registerRetrained(api, dataset.id);
  if (retrained.trainedOn !== dataset.id) {
    say(
      `data loop: cls ${RETRAINED.version} was registered earlier (trained on ${retrained.trainedOn ?? 'nothing named'}); kept as it is`,
    );
  } else say(`data loop: registered cls ${RETRAINED.version}, trained on ${dataset.id} (lineage.trainedOn)`);
  return {
    samples: samples.length,
    reasons,
    labelled,
    unknown,
    dataset,
    exported,
    version: RETRAINED.version,
  };
}

/** Where to look once the loop closed: the Samples page, the dataset and the retrained version's lineage. */
export function dataLoopSummary(
  r: { dataset: string; tar: string; version: string },
  dashboard: string | null,
): string[] {
  const page = (hash: string, api: string) => (dashboard ? `${dashboard}${hash}` : api);
  const slice = encodeURIComponent(DATA_LOOP_SELECTOR);
  return [
    'data loop closed — where to look:',
    `  samples       ${page(`#/samples?model=${MODEL_NAME}&slice=${slice}`, `GET /api/v1/samples?model=${MODEL_NAME}&slice=${slice}`)}`,
    `  dataset       ${page(`#/datasets/${r.dataset}`, `GET /api/v1/datasets/${r.dataset}`)}  (export: ${r.tar})`,
    `  retrained     ${page(`#/models/${MODEL_NAME}?version=${r.version}`, `GET /api/v1/models/${MODEL_NAME}/versions/${r.version}`)}  (lineage.trainedOn ${r.dataset})`,
  ];
}
