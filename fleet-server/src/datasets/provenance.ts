import type { Dataset, DatasetSample, Sample } from '@edgefleet/shared/api';
import type { CaptureReason } from '@edgefleet/shared/capture';

type Provenance = Dataset['provenance'];

/**
 * Chooses a dataset's samples from matching captures, newest first: the first `maxSamples` distinct samples are
 * taken (label as now), later ones are counted as truncated. Provenance is built from the captures of the taken
 * samples only (every matching capture of a taken sample counts its device, app, version and reasons).
 */
export class SnapshotBuilder {
  readonly samples = new Map<string, DatasetSample>();
  readonly #left = new Set<string>();
  readonly #reasons = new Map<string, Set<CaptureReason>>();
  readonly #devices = new Set<string>();
  readonly #apps = new Set<string>();
  readonly #versions = new Map<string, { name: string; version: string }>();
  readonly #labelledBy = new Set<string>();
  #from: number | null = null;
  #to: number | null = null;

  constructor(readonly maxSamples: number) {}

  /** Adds one matching capture (captures come newest first). */
  add(capture: Sample): void {
    const { sha256 } = capture;
    if (!this.samples.has(sha256)) {
      if (this.samples.size >= this.maxSamples) {
        this.#left.add(sha256);
        return;
      }
      const { contentType, sizeBytes, label } = capture;
      this.samples.set(sha256, { sha256, contentType, sizeBytes, label });
      if (capture.labelledBy !== null && label !== null) this.#labelledBy.add(capture.labelledBy);
    }
    const reasons = this.#reasons.get(sha256) ?? new Set<CaptureReason>();
    this.#reasons.set(sha256, reasons);
    for (const reason of capture.reasons) reasons.add(reason);
    if (capture.deviceId !== null) this.#devices.add(capture.deviceId);
    if (capture.appId !== null) this.#apps.add(capture.appId);
    this.#versions.set(`${capture.model.name}@${capture.model.version}`, capture.model);
    this.#from = this.#from === null ? capture.capturedAt : Math.min(this.#from, capture.capturedAt);
    this.#to = this.#to === null ? capture.capturedAt : Math.max(this.#to, capture.capturedAt);
  }

  /** Matching samples left out by maxSamples. */
  get truncated(): number {
    return this.#left.size;
  }

  get totalBytes(): number {
    let total = 0;
    for (const sample of this.samples.values()) total += sample.sizeBytes;
    return total;
  }

  get provenance(): Provenance {
    const reasons: Provenance['reasons'] = {};
    for (const set of this.#reasons.values())
      for (const reason of set) reasons[reason] = (reasons[reason] ?? 0) + 1;
    const labels: Record<string, number> = {};
    for (const { label } of this.samples.values())
      if (label !== null) labels[label] = (labels[label] ?? 0) + 1;
    const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    return {
      devices: [...this.#devices].sort(byText),
      apps: [...this.#apps].sort(byText),
      versions: [...this.#versions.entries()].sort(([a], [b]) => byText(a, b)).map(([, v]) => v),
      reasons,
      labels,
      labelledBy: [...this.#labelledBy].sort(byText),
      from: this.#from,
      to: this.#to,
    };
  }
}
