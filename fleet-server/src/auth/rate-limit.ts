/** Token bucket state of one key. */
interface Bucket {
  tokens: number;
  updatedMs: number;
}

/** Per-key token buckets: `ratePerS` refill, `burst` capacity. In memory, per server replica. */
export class TokenBuckets {
  readonly #buckets = new Map<string, Bucket>();

  constructor(
    private readonly ratePerS: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes `cost` tokens (default one) for `key`; returns 0 when allowed, else the seconds until they are back. */
  take(key: string, cost = 1): number {
    const nowMs = this.now();
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      if (this.#buckets.size >= this.maxKeys) this.#evictFull(nowMs);
      bucket = { tokens: this.burst, updatedMs: nowMs };
      this.#buckets.set(key, bucket);
    }
    const refill = ((nowMs - bucket.updatedMs) / 1000) * this.ratePerS;
    bucket.tokens = Math.min(this.burst, bucket.tokens + refill);
    bucket.updatedMs = nowMs;
    if (bucket.tokens >= cost) {
      bucket.tokens -= cost;
      return 0;
    }
    return (cost - bucket.tokens) / this.ratePerS;
  }

  // Buckets that refilled completely carry no state worth keeping.
  #evictFull(nowMs: number): void {
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((nowMs - bucket.updatedMs) / 1000) * this.ratePerS >= this.burst) {
        this.#buckets.delete(key);
      }
    }
  }
}
