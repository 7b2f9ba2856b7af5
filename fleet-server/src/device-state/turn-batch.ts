interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Collects items for one event-loop turn (or up to `maxItems`) and hands them to `apply` together, in the
 * order they came, so that 10,000 device messages cost a few transactions instead of 10,000. `add` resolves
 * once its batch was applied and rejects with the batch's error if `apply` threw (nothing of it applied
 * when `apply` is one transaction).
 */
export class TurnBatch<T> {
  private items: T[] = [];
  private waiters: Waiter[] = [];
  private scheduled = false;

  constructor(
    private readonly apply: (items: T[]) => void,
    private readonly maxItems = 1_000,
  ) {}

  /** Queues an item; resolves when its batch was applied. */
  add(item: T): Promise<void> {
    this.items.push(item);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.items.length >= this.maxItems) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
    return done;
  }

  /** Applies what is queued now. */
  flush(): void {
    if (this.items.length === 0) return;
    const { items, waiters } = this;
    this.items = [];
    this.waiters = [];
    try {
      this.apply(items);
    } catch (err) {
      for (const w of waiters) w.reject(err);
      return;
    }
    for (const w of waiters) w.resolve();
  }
}
