/** Thrown by `merge` when two sketches were built with different parameters or edges: a programming error. */
export class SketchMismatchError extends Error {
  override readonly name = 'SketchMismatchError';
  /** What differed, e.g. `edges` or `relativeAccuracy`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.field = field;
  }
}
