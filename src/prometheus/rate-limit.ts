/**
 * A token bucket for the optional scrape rate limit: `perSecond` tokens flow in per second, up to a burst of
 * `max(1, perSecond)`, so `0.1` allows one scrape every ten seconds and `5` allows bursts of five.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private readonly capacity: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.capacity = Math.max(1, perSecond);
    this.tokens = this.capacity;
    this.last = this.now();
  }

  /** Takes a token: `0` when the scrape may go ahead, else the seconds to wait (for `Retry-After`). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }
}
