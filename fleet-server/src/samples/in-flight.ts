/**
 * The sample digests uploads are working on now. An upload holds its digest from before it looks for the sample
 * until its capture row is written (or it is refused); the collector never deletes the blob of a held digest, so
 * bytes written by an upload cannot vanish between the write and the row that keeps them.
 */
export class UploadsInFlight {
  readonly #held = new Map<string, number>();

  /** Holds `sha256` until the returned release is called (several uploads may hold the same digest). */
  hold(sha256: string): () => void {
    this.#held.set(sha256, (this.#held.get(sha256) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.#held.get(sha256) ?? 1) - 1;
      if (n === 0) this.#held.delete(sha256);
      else this.#held.set(sha256, n);
    };
  }

  /** Whether an upload holds `sha256` now. */
  has(sha256: string): boolean {
    return this.#held.has(sha256);
  }
}
