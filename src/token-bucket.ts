export interface TokenBucketOptions {
  ratePerSecond: number;
  burst: number;
}

/** A token bucket per client: `take()` is false when the client has sent more than its rate allows. */
export class TokenBucket {
  #tokens: number;
  #updatedAtMs: number;
  readonly #options: TokenBucketOptions;
  readonly #now: () => number;

  constructor(options: TokenBucketOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
    this.#tokens = options.burst;
    this.#updatedAtMs = now();
  }

  /** Takes `cost` tokens (default one message); false, taking none, when fewer are left. */
  take(cost = 1): boolean {
    const nowMs = this.#now();
    const refill = ((nowMs - this.#updatedAtMs) / 1000) * this.#options.ratePerSecond;
    this.#tokens = Math.min(this.#options.burst, this.#tokens + refill);
    this.#updatedAtMs = nowMs;
    if (this.#tokens < cost) return false;
    this.#tokens -= cost;
    return true;
  }
}
