import { createHash } from 'node:crypto';
import type { Orientation } from './images';

/** Images remembered by default: at the demo's pace (six stations, 0.75 s) about 40 minutes of images. */
export const DEFAULT_TRUTH_CAPACITY = 20_000;

/**
 * What the stations' generators know about the images they fed: the sha256 of each image's bytes → its true
 * orientation, the newest `capacity` images. An agent captures an image as it received it (no downscale in the
 * demo's policy), so a sample's sha256 finds its truth here: the demo's labelling team looks it up.
 */
export class TruthLog {
  private readonly bySha = new Map<string, Orientation>();

  constructor(readonly capacity = DEFAULT_TRUTH_CAPACITY) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`capacity: expected ≥ 1, got ${capacity}`);
  }

  /** Records an image; the oldest record goes once `capacity` are kept. Returns the image's sha256. */
  record(bytes: Uint8Array, orientation: Orientation): string {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    // Re-recorded content moves to the newest end (Map keeps insertion order).
    this.bySha.delete(sha256);
    this.bySha.set(sha256, orientation);
    if (this.bySha.size > this.capacity) this.bySha.delete(this.bySha.keys().next().value as string);
    return sha256;
  }

  /** The true orientation of the image with this sha256, or undefined when it was not fed (or is forgotten). */
  truthOf(sha256: string): Orientation | undefined {
    return this.bySha.get(sha256);
  }

  get size(): number {
    return this.bySha.size;
  }
}
